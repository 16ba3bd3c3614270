// One row of an NT view, independent of VS Code: the extension turns it into a TreeItem.

/** What clicking a row does. */
export type NodeAction =
  | { kind: 'revealSource'; address: number; symbol: string | null }
  | { kind: 'openMemory'; address: number };

/** Marks drawn next to a row (an icon and a word), e.g. where ESP points. */
export type NodeMark = 'esp' | 'ebp' | 'hooked' | 'error';

export interface ViewNode {
  /** Stable identity across stops: change marking compares by it, VS Code keeps expansion by it. */
  readonly id: string;
  readonly label: string;
  description: string;
  readonly tooltip: string;
  /** What is compared between stops; groups have none. */
  readonly value?: string;
  /** Differs from the value seen at the previous stop (set by the change tracker). */
  changed: boolean;
  readonly marks: readonly NodeMark[];
  /** Space-separated words matched by `viewItem =~ /\bword\b/` in menus: address, handler, vector, copy... */
  readonly contextValue: string;
  /** The guest address of the thing the row shows (gate, table slot, stack dword). */
  readonly address?: number;
  /** The code address the row points at (handler, return address) and its symbol. */
  readonly target?: { readonly address: number; readonly symbol: string | null };
  readonly vector?: number;
  /** What "Copy Value" puts on the clipboard. */
  readonly copyText?: string;
  readonly action?: NodeAction;
  readonly children: readonly ViewNode[];
  /** Groups only: whether the group starts expanded. */
  readonly expanded?: boolean;
}

export interface LeafSpec {
  id: string;
  label: string;
  description: string;
  tooltip: string;
  value: string;
  contextWords?: readonly string[];
  marks?: readonly NodeMark[];
  address?: number;
  target?: { address: number; symbol: string | null };
  vector?: number;
  copyText?: string;
  action?: NodeAction;
}

export function leafNode(spec: LeafSpec): ViewNode {
  const words = ['ntNode', ...(spec.contextWords ?? [])];
  if (spec.address !== undefined) words.push('address');
  if (spec.target !== undefined) words.push('target');
  if (spec.copyText !== undefined) words.push('copy');
  return {
    id: spec.id, label: spec.label, description: spec.description, tooltip: spec.tooltip, value: spec.value,
    changed: false, marks: spec.marks ?? [], contextValue: words.join(' '),
    address: spec.address, target: spec.target, vector: spec.vector, copyText: spec.copyText, action: spec.action,
    children: [],
  };
}

export function groupNode(id: string, label: string, description: string, tooltip: string,
  children: readonly ViewNode[], expanded: boolean): ViewNode {
  return { id, label, description, tooltip, changed: false, marks: [], contextValue: 'ntGroup', children, expanded };
}

/** A row saying why a view is empty or partial (request failed, table unreadable). */
export function messageNode(id: string, message: string, isError: boolean): ViewNode {
  return {
    id, label: message, description: '', tooltip: message, changed: false,
    marks: isError ? ['error'] : [], contextValue: 'ntMessage', children: [],
  };
}

/** Every node of a forest, depth first. */
export function* walkNodes(nodes: readonly ViewNode[]): Generator<ViewNode> {
  for (const node of nodes) {
    yield node;
    yield* walkNodes(node.children);
  }
}
