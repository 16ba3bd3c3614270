// Starts the debug adapter: a separate Node process by default, in-process or over TCP by setting.
import * as fs from 'fs';
import * as vscode from 'vscode';
import { readSettings } from './settings';

/** The bundled adapter first (the .vsix), then the tsc output (running from a clone). */
const ADAPTER_ENTRY_CANDIDATES = ['dist/adapter.js', 'out/adapter/dap-main.js'];
const INLINE_SESSION_CANDIDATES = ['dist/adapter-session.js', 'out/adapter/session.js'];

function firstExisting(context: vscode.ExtensionContext, candidates: readonly string[]): string | undefined {
  return candidates.map((candidate) => context.asAbsolutePath(candidate)).find((path) => fs.existsSync(path));
}

/** What the adapter's session module must export for inline use. */
interface InlineSessionModule {
  NtSyscallDebugSession: new () => vscode.DebugAdapter;
}

function isInlineSessionModule(loaded: unknown): loaded is InlineSessionModule {
  return typeof loaded === 'object' && loaded !== null
    && typeof (loaded as Record<string, unknown>)['NtSyscallDebugSession'] === 'function';
}

export class NtSyscallAdapterDescriptorFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly context: vscode.ExtensionContext) {}

  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    const settings = readSettings();
    if (settings.adapterServerPort > 0) return new vscode.DebugAdapterServer(settings.adapterServerPort, '127.0.0.1');
    return settings.runAdapterInline ? this.inlineAdapter() : this.adapterProcess(settings.adapterNodePath);
  }

  private adapterProcess(nodePath: string): vscode.DebugAdapterDescriptor {
    const entry = firstExisting(this.context, ADAPTER_ENTRY_CANDIDATES);
    if (entry === undefined) {
      throw new Error(`The NT System Call Debugger's adapter is missing (looked for ${ADAPTER_ENTRY_CANDIDATES.join(', ')} in ${this.context.extensionPath}). Build it with \`npm run build\` or reinstall the extension.`);
    }
    // The extension host's own executable runs plain Node when ELECTRON_RUN_AS_NODE is set (desktop
    // VS Code is Electron; code-server is Node already), so no separate Node install is needed.
    const command = nodePath !== '' ? nodePath : process.execPath;
    return new vscode.DebugAdapterExecutable(command, [entry], { env: { ELECTRON_RUN_AS_NODE: '1' } });
  }

  private inlineAdapter(): vscode.DebugAdapterDescriptor {
    const modulePath = firstExisting(this.context, INLINE_SESSION_CANDIDATES);
    if (modulePath === undefined) {
      throw new Error(`"ntsyscall.adapter.runInline" is on, but the adapter's session module is missing (looked for ${INLINE_SESSION_CANDIDATES.join(', ')}). Turn the setting off to run the adapter as a process.`);
    }
    // A computed path keeps the bundler from inlining the adapter into the extension bundle.
    const loaded: unknown = require(modulePath);
    if (!isInlineSessionModule(loaded)) {
      throw new Error(`${modulePath} does not export the class NtSyscallDebugSession; turn "ntsyscall.adapter.runInline" off.`);
    }
    return new vscode.DebugAdapterInlineImplementation(new loaded.NtSyscallDebugSession());
  }
}
