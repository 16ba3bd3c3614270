// Hover in every other ntasm file during a stopped session. VS Code shows its debug hover only in the
// file of the focused frame; a student stepping KiSystemService still wants `eax` in readfile.asm or
// `[edx+4]` in ntdll.asm to show what the machine holds now, so this provider asks the adapter itself.
// In the focused frame's file VS Code turns the editor hover off and this provider is not asked.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from '../model/launch-configuration';
import { expressionAtPosition } from './expression-at-position';

interface EvaluateBody {
  result?: unknown;
  type?: unknown;
}

/** The focused frame of an ntsyscall session, or the session alone when no frame is focused. */
function focusedFrame(): { session: vscode.DebugSession; frameId: number | undefined } | undefined {
  const item = vscode.debug.activeStackItem;
  if (item instanceof vscode.DebugStackFrame && item.session.type === DEBUG_TYPE) return { session: item.session, frameId: item.frameId };
  if (item instanceof vscode.DebugThread && item.session.type === DEBUG_TYPE) return { session: item.session, frameId: undefined };
  return undefined;
}

export class NtasmSessionHoverProvider implements vscode.HoverProvider {
  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const focus = focusedFrame();
    if (focus === undefined) return undefined;
    const found = expressionAtPosition(document, position);
    if (found === undefined) return undefined;
    let body: EvaluateBody;
    try {
      body = await focus.session.customRequest('evaluate', { expression: found.expression, frameId: focus.frameId, context: 'hover' }) as EvaluateBody;
    } catch {
      return undefined; // not a value here (a mnemonic that looks like a symbol, the machine running)
    }
    if (token.isCancellationRequested || typeof body.result !== 'string') return undefined;
    const markdown = new vscode.MarkdownString();
    markdown.appendCodeblock(`${found.expression} = ${body.result}`, 'text');
    if (typeof body.type === 'string') markdown.appendMarkdown(`*${body.type}*, as the machine holds it now`);
    return new vscode.Hover(markdown, new vscode.Range(position.line, found.start, position.line, found.end));
  }
}
