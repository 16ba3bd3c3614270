// Shows guest memory at an address: in the hex editor when installed, else as a `db` dump.
import * as vscode from 'vscode';
import { hex0x } from '../model/hex-format';

const HEX_EDITOR_EXTENSION = 'ms-vscode.hexeditor';
/** The scheme VS Code's own "View Binary Data" uses for a debug session's memory. */
const DEBUG_MEMORY_SCHEME = 'vscode-debug-memory';

export async function openMemory(session: vscode.DebugSession, address: number, output: vscode.OutputChannel): Promise<void> {
  const memoryReference = hex0x(address);
  if (vscode.extensions.getExtension(HEX_EDITOR_EXTENSION) !== undefined) {
    const uri = vscode.Uri.from({
      scheme: DEBUG_MEMORY_SCHEME, authority: session.id,
      path: `/${encodeURIComponent(memoryReference)}/memory.bin`,
    });
    await vscode.commands.executeCommand('vscode.openWith', uri, 'hexEditor.hexedit');
    return;
  }
  const dump: unknown = await session.customRequest('evaluate', { expression: `db ${memoryReference}`, context: 'repl' });
  const result = (dump as { result?: unknown } | undefined)?.result;
  output.appendLine(`> db ${memoryReference}`);
  output.appendLine(typeof result === 'string' ? result : JSON.stringify(dump));
  output.show(true);
}
