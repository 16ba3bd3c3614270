// The expression under a position of an ntasm document, with local labels qualified by their owner.
import * as vscode from 'vscode';
import { findEnclosingLabel, findEvaluatableExpression, type FoundExpression } from '../model/evaluatable-expression';

/** How far up to look for the label that owns a local label (`.loop`). */
const LABEL_SEARCH_LINES = 400;

export function expressionAtPosition(document: vscode.TextDocument, position: vscode.Position): FoundExpression | undefined {
  const line = document.lineAt(position.line).text;
  const firstLine = Math.max(0, position.line - LABEL_SEARCH_LINES);
  const above: string[] = [];
  for (let index = firstLine; index <= position.line; index++) above.push(document.lineAt(index).text);
  return findEvaluatableExpression(line, position.character, findEnclosingLabel(above, above.length - 1));
}
