// Jumps from an address (a gate's handler, an SSDT entry) to the source line that assembled it.
import * as vscode from 'vscode';

/** `nt!KiSystemService+0x1a` -> `KiSystemService`: the label to look for in the sources. */
export function labelOfSymbol(symbol: string): string {
  const withoutModule = symbol.includes('!') ? symbol.slice(symbol.indexOf('!') + 1) : symbol;
  return withoutModule.replace(/\+0x[0-9a-f]+$/i, '');
}

interface SourceLine {
  readonly uri: vscode.Uri;
  readonly line: number;
}

interface DisassembledInstructionLike {
  location?: { path?: string };
  line?: number;
}

/** Asks the adapter (DAP `disassemble` with symbols) which source line holds the address. */
async function sourceLineFromAdapter(session: vscode.DebugSession, address: number): Promise<SourceLine | undefined> {
  try {
    const body: unknown = await session.customRequest('disassemble', {
      memoryReference: `0x${address.toString(16)}`, instructionCount: 1, resolveSymbols: true,
    });
    const instructions = (body as { instructions?: DisassembledInstructionLike[] } | undefined)?.instructions;
    const first = instructions?.[0];
    if (first?.location?.path !== undefined && first.line !== undefined) {
      return { uri: vscode.Uri.file(first.location.path), line: first.line - 1 };
    }
  } catch {
    // The adapter may be busy running or lack the source; the label search below still works.
  }
  return undefined;
}

/** Finds `Label:` in the workspace's assembly sources. */
async function sourceLineFromLabel(symbol: string): Promise<SourceLine | undefined> {
  const label = labelOfSymbol(symbol);
  const pattern = new RegExp(`^\\s*${label.replace(/[.?$]/g, '\\$&')}\\s*:`);
  const files = await vscode.workspace.findFiles('**/*.{asm,inc}', '**/node_modules/**', 2000);
  for (const uri of files) {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    const lines = text.split(/\r?\n/);
    const index = lines.findIndex((line) => pattern.test(line));
    if (index >= 0) return { uri, line: index };
  }
  return undefined;
}

export async function revealSource(session: vscode.DebugSession | undefined, address: number, symbol: string | null): Promise<boolean> {
  const found = (session ? await sourceLineFromAdapter(session, address) : undefined)
    ?? (symbol !== null ? await sourceLineFromLabel(symbol) : undefined);
  if (found === undefined) return false;
  const position = new vscode.Position(found.line, 0);
  await vscode.window.showTextDocument(found.uri, { selection: new vscode.Range(position, position), preserveFocus: false });
  return true;
}
