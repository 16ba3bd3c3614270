// The six NT views of the Run and Debug container, refreshed from the adapter at every stop.
import * as vscode from 'vscode';
import { StopChangeTracker } from '../model/change-tracker';
import { DEBUG_TYPE } from '../model/launch-configuration';
import { isFrameFunction } from '../model/frame-function';
import { isSystemServiceEntry, parseEvaluatedNumber, serviceRowFor } from '../model/service-dispatch';
import { idtVectorOfStop } from '../model/stop-description';
import { NT_VIEWS, NtViewDefinition, RenderedView, failedView } from '../model/view-catalog';
import { ViewNode, walkNodes } from '../model/view-node';
import { readSettings } from '../settings';
import { NtViewProvider } from './nt-view-provider';

const IDT_VIEW_ID = 'ntsyscall.idt';
const SSDT_VIEW_ID = 'ntsyscall.ssdt';
/** Views whose rows name handlers: the row of the function the machine stopped in gets selected. */
const HANDLER_VIEW_IDS: ReadonlySet<string> = new Set([IDT_VIEW_ID, SSDT_VIEW_ID]);

interface OpenView {
  readonly definition: NtViewDefinition;
  readonly provider: NtViewProvider;
  readonly treeView: vscode.TreeView<ViewNode>;
  readonly changes: StopChangeTracker;
  /** The machine state the rows show; behind `stateVersion` means stale (hidden when it changed). */
  shownVersion: number;
}

export class NtViews implements vscode.Disposable {
  private readonly views: OpenView[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private session: vscode.DebugSession | undefined;
  /** Counts stops: change marks compare one stop with the previous one. */
  private stopCount = 0;
  /** Counts every change of machine state the views must follow: stops, and edits while stopped. */
  private stateVersion = 0;
  private stopped = false;
  /** The IDT vector the last stop went through (`IDT[0x2E]` in its description), to select in the IDT view. */
  private vectorToReveal: number | undefined;
  /** The top frame's name at this stop (from the stackTrace VS Code asked for), e.g. `nt!NtReadFile+0x3`. */
  private topFrameName: string | undefined;
  /** EAX at the system-call entry of this stop: the service number KiSystemService will dispatch. */
  private dispatchedServiceNumber: number | undefined;

  constructor() {
    for (const definition of NT_VIEWS) {
      const provider = new NtViewProvider();
      const treeView = vscode.window.createTreeView(definition.viewId, { treeDataProvider: provider, showCollapseAll: true });
      const view: OpenView = { definition, provider, treeView, changes: new StopChangeTracker(), shownVersion: -1 };
      this.views.push(view);
      this.disposables.push(treeView, provider, treeView.onDidChangeVisibility((event) => {
        if (event.visible && this.stopped && view.shownVersion !== this.stateVersion) void this.refreshView(view);
      }));
    }
  }

  /** The adapter reported a stop: every visible view asks for its state (hidden ones when shown). */
  onStopped(session: vscode.DebugSession, description?: string): void {
    if (session.type !== DEBUG_TYPE) return;
    if (this.session?.id !== session.id) this.startSession(session);
    this.stopCount++;
    this.stateVersion++;
    this.stopped = true;
    this.vectorToReveal = idtVectorOfStop(description);
    this.topFrameName = undefined;
    this.dispatchedServiceNumber = undefined;
    if (readSettings().autoRefreshViews) this.refreshVisibleViews();
  }

  /** Registers or memory were edited while stopped (`invalidated` / `memory` events): same stop, new state. */
  onStateInvalidated(session: vscode.DebugSession): void {
    if (this.session?.id !== session.id || !this.stopped) return;
    this.stateVersion++;
    if (readSettings().autoRefreshViews) this.refreshVisibleViews();
  }

  /** VS Code fetched the call stack: select the handler rows of the function the machine is in. */
  onTopFrame(session: vscode.DebugSession, frameName: string): void {
    if (this.session?.id !== session.id || !this.stopped || this.topFrameName === frameName) return;
    this.topFrameName = frameName;
    for (const view of this.views) {
      if (view.treeView.visible && view.shownVersion === this.stateVersion) this.revealCurrentRow(view);
    }
    if (isSystemServiceEntry(frameName)) void this.revealDispatchedService(session);
  }

  /** At the kernel's system-call entry, reads EAX to select the SSDT row it is about to dispatch. */
  private async revealDispatchedService(session: vscode.DebugSession): Promise<void> {
    const version = this.stateVersion;
    let eax: number | undefined;
    try {
      const body: unknown = await session.customRequest('evaluate', { expression: 'eax', context: 'watch' });
      const result = (body as { result?: unknown } | undefined)?.result;
      eax = typeof result === 'string' ? parseEvaluatedNumber(result) : undefined;
    } catch {
      return; // only a convenience: the selection stays where it was
    }
    if (eax === undefined || version !== this.stateVersion) return;
    this.dispatchedServiceNumber = eax;
    const view = this.views.find((candidate) => candidate.definition.viewId === SSDT_VIEW_ID);
    if (view !== undefined && view.treeView.visible && view.shownVersion === version) this.revealCurrentRow(view);
  }

  onContinued(session: vscode.DebugSession): void {
    if (this.session?.id === session.id) this.stopped = false;
  }

  onSessionEnded(session: vscode.DebugSession): void {
    if (this.session?.id !== session.id) return;
    this.session = undefined;
    this.stopped = false;
    for (const view of this.views) {
      view.provider.clear();
      view.treeView.description = undefined;
      view.changes.reset();
      view.shownVersion = -1;
    }
  }

  /** The refresh command: every visible view, even with auto-refresh off. */
  async refreshAll(): Promise<void> {
    const session = this.session ?? activeNtSession();
    if (session === undefined) {
      void vscode.window.showInformationMessage('No NT System Call Debugger session is running.');
      return;
    }
    if (this.session?.id !== session.id) {
      this.startSession(session);
      this.stopped = true; // a refresh asked for by hand answers whatever state the machine is in
    }
    await Promise.all(this.views.filter((view) => view.treeView.visible).map((view) => this.refreshView(view)));
  }

  get currentSession(): vscode.DebugSession | undefined {
    return this.session ?? activeNtSession();
  }

  private startSession(session: vscode.DebugSession): void {
    this.session = session;
    for (const view of this.views) {
      view.changes.reset();
      view.shownVersion = -1;
    }
  }

  private refreshVisibleViews(): void {
    for (const view of this.views) if (view.treeView.visible) void this.refreshView(view);
  }

  private async refreshView(view: OpenView): Promise<void> {
    const session = this.session;
    if (session === undefined) return;
    const version = this.stateVersion;
    const stop = this.stopCount;
    let rendered: RenderedView;
    try {
      const body: unknown = await session.customRequest(view.definition.request);
      rendered = view.definition.render(body);
    } catch (error) {
      rendered = failedView(view.definition, error instanceof Error ? error.message : String(error));
    }
    // A later stop may have answered first; never show older rows over newer ones.
    if (version !== this.stateVersion || this.session?.id !== session.id) return;
    view.changes.mark(rendered.nodes, stop);
    view.shownVersion = version;
    view.provider.show(rendered.nodes);
    view.treeView.description = rendered.summary === '' ? undefined : rendered.summary;
    this.revealCurrentRow(view);
  }

  /** Selects the gate the stop went through, else the row whose handler the machine is in. */
  private revealCurrentRow(view: OpenView): void {
    if (!HANDLER_VIEW_IDS.has(view.definition.viewId)) return;
    const rows = [...walkNodes(view.provider.getChildren())];
    const vector = view.definition.viewId === IDT_VIEW_ID ? this.vectorToReveal : undefined;
    const serviceNumber = view.definition.viewId === SSDT_VIEW_ID ? this.dispatchedServiceNumber : undefined;
    const frameName = this.topFrameName;
    let row: ViewNode | undefined;
    if (vector !== undefined) row = rows.find((node) => node.id === `idt/${vector}`);
    else if (serviceNumber !== undefined) row = serviceRowFor(view.provider.getChildren(), serviceNumber);
    else if (frameName !== undefined) row = rows.find((node) => node.target !== undefined && isFrameFunction(frameName, node.target.symbol));
    // Selecting without focus keeps the keyboard in the editor, where stepping happens.
    if (row !== undefined) void Promise.resolve(view.treeView.reveal(row, { select: true, focus: false })).catch(() => undefined);
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}

export function activeNtSession(): vscode.DebugSession | undefined {
  const session = vscode.debug.activeDebugSession;
  return session?.type === DEBUG_TYPE ? session : undefined;
}
