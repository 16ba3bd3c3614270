// Marks the rows whose value differs from the previous stop, comparing rows by their stable id.
import { ViewNode, walkNodes } from './view-node';

export class StopChangeTracker {
  private valuesAtPreviousStop = new Map<string, string>();
  private valuesAtCurrentStop = new Map<string, string>();
  private currentStop: number | undefined;

  /**
   * Records `nodes` as the state at stop `stopId` and sets `changed` on rows (and the groups above
   * them) that differ from the previous stop. Refreshing twice at one stop compares with the same
   * previous stop, so a manual refresh does not wipe the marks.
   */
  mark(nodes: readonly ViewNode[], stopId: number): number {
    if (this.currentStop !== stopId) {
      if (this.currentStop !== undefined) this.valuesAtPreviousStop = this.valuesAtCurrentStop;
      this.currentStop = stopId;
    }
    this.valuesAtCurrentStop = new Map();
    for (const node of walkNodes(nodes)) {
      if (node.value !== undefined) this.valuesAtCurrentStop.set(node.id, node.value);
    }
    let changedCount = 0;
    for (const node of nodes) changedCount += this.markSubtree(node);
    return changedCount;
  }

  /** Forgets everything (a new session starts with nothing to compare against). */
  reset(): void {
    this.valuesAtPreviousStop = new Map();
    this.valuesAtCurrentStop = new Map();
    this.currentStop = undefined;
  }

  private markSubtree(node: ViewNode): number {
    let changedBelow = 0;
    for (const child of node.children) changedBelow += this.markSubtree(child);
    if (node.value !== undefined) {
      const before = this.valuesAtPreviousStop.get(node.id);
      node.changed = before !== undefined && before !== node.value;
      return changedBelow + (node.changed ? 1 : 0);
    }
    node.changed = changedBelow > 0;
    if (node.changed) node.description = joinDescription(node.description, `${changedBelow} changed`);
    return changedBelow;
  }
}

function joinDescription(description: string, addition: string): string {
  return description === '' ? addition : `${description} · ${addition}`;
}
