// Hover during a session: the register, memory operand or symbol under the mouse in an ntasm file.
import * as vscode from 'vscode';
import { findEnclosingLabel, findEvaluatableExpression } from '../model/evaluatable-expression';

/** How far up to look for the label that owns a local label (`.loop`). */
const LABEL_SEARCH_LINES = 400;

export class NtasmEvaluatableExpressionProvider implements vscode.EvaluatableExpressionProvider {
  provideEvaluatableExpression(document: vscode.TextDocument, position: vscode.Position): vscode.ProviderResult<vscode.EvaluatableExpression> {
    const line = document.lineAt(position.line).text;
    const firstLine = Math.max(0, position.line - LABEL_SEARCH_LINES);
    const above: string[] = [];
    for (let index = firstLine; index <= position.line; index++) above.push(document.lineAt(index).text);
    const found = findEvaluatableExpression(line, position.character, findEnclosingLabel(above, above.length - 1));
    if (found === undefined) return undefined;
    return new vscode.EvaluatableExpression(new vscode.Range(position.line, found.start, position.line, found.end), found.expression);
  }
}
