// A TreeDataProvider holding the rows one NT view shows, replaced wholesale at each refresh.
import * as vscode from 'vscode';
import type { ViewNode } from '../model/view-node';
import { toTreeItem } from './nt-tree-item';

export class NtViewProvider implements vscode.TreeDataProvider<ViewNode> {
  private readonly changeEmitter = new vscode.EventEmitter<ViewNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private roots: readonly ViewNode[] = [];
  private readonly parents = new Map<ViewNode, ViewNode>();

  show(nodes: readonly ViewNode[]): void {
    this.roots = nodes;
    this.parents.clear();
    const remember = (parent: ViewNode): void => {
      for (const child of parent.children) {
        this.parents.set(child, parent);
        remember(child);
      }
    };
    nodes.forEach(remember);
    this.changeEmitter.fire(undefined);
  }

  clear(): void {
    this.show([]);
  }

  get isEmpty(): boolean {
    return this.roots.length === 0;
  }

  getTreeItem(node: ViewNode): vscode.TreeItem {
    return toTreeItem(node);
  }

  getChildren(node?: ViewNode): ViewNode[] {
    return [...(node === undefined ? this.roots : node.children)];
  }

  getParent(node: ViewNode): ViewNode | undefined {
    return this.parents.get(node);
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
