// Debug hover in the file of the focused frame: VS Code asks for the expression under the mouse and has
// the adapter evaluate it (context 'hover').
import * as vscode from 'vscode';
import { expressionAtPosition } from './expression-at-position';

export class NtasmEvaluatableExpressionProvider implements vscode.EvaluatableExpressionProvider {
  provideEvaluatableExpression(document: vscode.TextDocument, position: vscode.Position): vscode.ProviderResult<vscode.EvaluatableExpression> {
    const found = expressionAtPosition(document, position);
    if (found === undefined) return undefined;
    return new vscode.EvaluatableExpression(new vscode.Range(position.line, found.start, position.line, found.end), found.expression);
  }
}
