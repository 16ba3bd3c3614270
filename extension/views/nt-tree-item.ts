// A ViewNode as VS Code draws it: icon for marks and changes, highlighted label when changed.
import * as vscode from 'vscode';
import type { NodeMark, ViewNode } from '../model/view-node';

export const REVEAL_COMMAND = 'ntsyscall.revealHandlerSource';
export const OPEN_MEMORY_COMMAND = 'ntsyscall.openMemory';

function markIcon(marks: readonly NodeMark[]): vscode.ThemeIcon | undefined {
  if (marks.includes('hooked') || marks.includes('error')) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  if (marks.includes('esp')) return new vscode.ThemeIcon('debug-stackframe', new vscode.ThemeColor('debugIcon.stopForeground'));
  if (marks.includes('ebp')) return new vscode.ThemeIcon('arrow-right');
  return undefined;
}

export function toTreeItem(node: ViewNode): vscode.TreeItem {
  const label: vscode.TreeItemLabel = node.changed ? { label: node.label, highlights: [[0, node.label.length]] } : { label: node.label };
  const state = node.children.length === 0
    ? vscode.TreeItemCollapsibleState.None
    : node.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
  const item = new vscode.TreeItem(label, state);
  item.id = node.id;
  item.description = node.description;
  const tooltip = new vscode.MarkdownString();
  tooltip.appendCodeblock(node.tooltip, 'text');
  if (node.changed) tooltip.appendMarkdown('\n*changed since the previous stop*');
  item.tooltip = tooltip;
  item.contextValue = node.changed ? `${node.contextValue} changed` : node.contextValue;
  item.iconPath = markIcon(node.marks) ?? (node.changed ? new vscode.ThemeIcon('diff-modified', new vscode.ThemeColor('charts.orange')) : undefined);
  item.accessibilityInformation = { label: `${node.label} ${node.description}${node.changed ? ', changed' : ''}` };
  if (node.action?.kind === 'revealSource') {
    item.command = { title: 'Reveal Handler Source', command: REVEAL_COMMAND, arguments: [node] };
  } else if (node.action?.kind === 'openMemory') {
    item.command = { title: 'Open Memory', command: OPEN_MEMORY_COMMAND, arguments: [node, 'action'] };
  }
  return item;
}
