// The extension's settings (contributes.configuration), read with their defaults in one place.
import * as vscode from 'vscode';

export interface NtSyscallSettings {
  /** Run the adapter inside the extension host instead of a separate Node process. */
  readonly runAdapterInline: boolean;
  /** Node executable for the adapter process; empty means the editor's own runtime. */
  readonly adapterNodePath: string;
  /** Connect to an adapter already listening on 127.0.0.1:port (0: start one). */
  readonly adapterServerPort: number;
  /** Refresh the NT views on every stop. */
  readonly autoRefreshViews: boolean;
  /** Show the registers a line uses next to the current line. */
  readonly inlineRegisterValues: boolean;
}

export function readSettings(): NtSyscallSettings {
  const configuration = vscode.workspace.getConfiguration('ntsyscall');
  return {
    runAdapterInline: configuration.get<boolean>('adapter.runInline', false),
    adapterNodePath: configuration.get<string>('adapter.nodePath', ''),
    adapterServerPort: configuration.get<number>('adapter.serverPort', 0),
    autoRefreshViews: configuration.get<boolean>('views.autoRefresh', true),
    inlineRegisterValues: configuration.get<boolean>('inlineValues.registers', true),
  };
}
