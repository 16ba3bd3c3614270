// Inline values: the registers the current line uses, evaluated by the adapter at each stop.
import * as vscode from 'vscode';
import { findRegisterUses } from '../model/inline-registers';
import { readSettings } from '../settings';

export class NtasmInlineValuesProvider implements vscode.InlineValuesProvider {
  provideInlineValues(document: vscode.TextDocument, _viewPort: vscode.Range, context: vscode.InlineValueContext): vscode.ProviderResult<vscode.InlineValue[]> {
    if (!readSettings().inlineRegisterValues) return [];
    const lineNumber = context.stoppedLocation.end.line;
    if (lineNumber >= document.lineCount) return [];
    const line = document.lineAt(lineNumber).text;
    return findRegisterUses(line).map((use) =>
      new vscode.InlineValueEvaluatableExpression(new vscode.Range(lineNumber, use.start, lineNumber, use.end), use.register));
  }
}
