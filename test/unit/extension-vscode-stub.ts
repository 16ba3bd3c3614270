// A stand-in for the `vscode` module, enough to activate the extension under plain mocha and watch
// what it registers and draws. It records calls; it does not imitate the editor's behaviour.
import Module = require('module');

type Listener<T> = (value: T) => unknown;

export class StubEventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => { this.listeners = this.listeners.filter((candidate) => candidate !== listener); } };
  };
  fire(value: T): void { for (const listener of [...this.listeners]) listener(value); }
  dispose(): void { this.listeners = []; }
}

export interface StubTreeView {
  readonly id: string;
  readonly provider: { getChildren(node?: unknown): unknown[]; getTreeItem(node: unknown): StubTreeItem; onDidChangeTreeData: unknown };
  visible: boolean;
  description: string | undefined;
  readonly visibility: StubEventEmitter<{ visible: boolean }>;
  /** The rows `reveal` was asked to select. */
  readonly revealed: unknown[];
}

export interface StubTreeItem {
  label: { label: string; highlights?: [number, number][] };
  description?: string;
  contextValue?: string;
  command?: { command: string; arguments?: unknown[] };
  iconPath?: { id: string };
  collapsibleState: number;
}

export interface StubDebugSession {
  id: string;
  type: string;
  name: string;
  customRequest(command: string, args?: unknown): Promise<unknown>;
}

export class VscodeStub {
  readonly commands = new Map<string, (...args: unknown[]) => unknown>();
  readonly treeViews = new Map<string, StubTreeView>();
  readonly descriptorFactories = new Map<string, { createDebugAdapterDescriptor(session: unknown): unknown }>();
  readonly configurationProviders = new Map<string, { resolveDebugConfiguration(folder: unknown, config: Record<string, unknown>): unknown }>();
  readonly dynamicConfigurationProviders = new Map<string, { provideDebugConfigurations(): Promise<unknown> }>();
  /** What `workspace.findFiles` answers. */
  workspaceFiles: string[] = [];
  readonly trackerFactories = new Map<string, { createDebugAdapterTracker(session: StubDebugSession): Record<string, (message?: unknown) => void> }>();
  readonly hoverLanguages: unknown[] = [];
  /** Hover providers registered with registerHoverProvider, with their selectors. */
  readonly hoverProviders: { selector: unknown; provider: unknown }[] = [];
  /** What `debug.activeStackItem` answers (build one with `api.DebugStackFrame` / `api.DebugThread`). */
  activeStackItem: unknown;
  readonly inlineValueLanguages: unknown[] = [];
  readonly messages: string[] = [];
  readonly settings = new Map<string, unknown>();
  activeDebugSession: StubDebugSession | undefined;
  readonly terminated = new StubEventEmitter<StubDebugSession>();

  /** The module object `require('vscode')` returns while installed. */
  readonly api: Record<string, unknown>;

  constructor() {
    const stub = this;
    const disposable = { dispose(): void { /* nothing held */ } };
    class TreeItem {
      description?: string;
      id?: string;
      constructor(public label: unknown, public collapsibleState: number) {}
    }
    class ThemeIcon { constructor(public id: string, public color?: unknown) {} }
    class ThemeColor { constructor(public id: string) {} }
    class MarkdownString {
      value = '';
      appendCodeblock(code: string): this { this.value += code; return this; }
      appendMarkdown(text: string): this { this.value += text; return this; }
    }
    class Position { constructor(public line: number, public character: number) {} }
    class Range {
      start: Position; end: Position;
      constructor(a: number | Position, b: number | Position, c?: number, d?: number) {
        this.start = typeof a === 'number' ? new Position(a, b as number) : a;
        this.end = typeof a === 'number' ? new Position(c!, d!) : b as Position;
      }
    }
    class EvaluatableExpression { constructor(public range: Range, public expression?: string) {} }
    class InlineValueEvaluatableExpression { constructor(public range: Range, public expression?: string) {} }
    class DebugAdapterExecutable { constructor(public command: string, public args: string[], public options?: unknown) {} }
    class DebugAdapterServer { constructor(public port: number, public host?: string) {} }
    class DebugAdapterInlineImplementation { constructor(public implementation: unknown) {} }
    class FunctionBreakpoint { constructor(public functionName: string) {} }
    class Hover { constructor(public contents: unknown, public range?: Range) {} }
    class DebugThread { constructor(public session: StubDebugSession, public threadId: number) {} }
    class DebugStackFrame { constructor(public session: StubDebugSession, public threadId: number, public frameId: number) {} }
    this.api = {
      EventEmitter: StubEventEmitter, TreeItem, ThemeIcon, ThemeColor, MarkdownString, Position, Range,
      EvaluatableExpression, InlineValueEvaluatableExpression, DebugAdapterExecutable, DebugAdapterServer,
      DebugAdapterInlineImplementation, FunctionBreakpoint, Hover, DebugThread, DebugStackFrame,
      TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
      DebugConfigurationProviderTriggerKind: { Initial: 1, Dynamic: 2 },
      Uri: { file: (fsPath: string) => ({ fsPath, scheme: 'file', path: fsPath }) },
      window: {
        createTreeView(id: string, options: { treeDataProvider: StubTreeView['provider'] }) {
          const visibility = new StubEventEmitter<{ visible: boolean }>();
          const view: StubTreeView & { onDidChangeVisibility: unknown; dispose(): void; reveal(node: unknown): Promise<void> } = {
            id, provider: options.treeDataProvider, visible: false, description: undefined, visibility, revealed: [],
            onDidChangeVisibility: visibility.event, dispose(): void { /* nothing held */ },
            reveal(node: unknown): Promise<void> { view.revealed.push(node); return Promise.resolve(); },
          };
          stub.treeViews.set(id, view);
          return view;
        },
        createOutputChannel: () => ({ appendLine(): void { /* unused */ }, show(): void { /* unused */ }, dispose(): void { /* unused */ } }),
        showInformationMessage: (message: string) => { stub.messages.push(message); return Promise.resolve(undefined); },
        showWarningMessage: (message: string) => { stub.messages.push(message); return Promise.resolve(undefined); },
        showErrorMessage: (message: string) => { stub.messages.push(message); return Promise.resolve(undefined); },
        activeTextEditor: undefined,
      },
      debug: {
        get activeDebugSession() { return stub.activeDebugSession; },
        get activeStackItem() { return stub.activeStackItem; },
        registerDebugAdapterDescriptorFactory: (type: string, factory: never) => { stub.descriptorFactories.set(type, factory); return disposable; },
        registerDebugConfigurationProvider: (type: string, provider: never, triggerKind?: number) => {
          (triggerKind === 2 ? stub.dynamicConfigurationProviders : stub.configurationProviders).set(type, provider);
          return disposable;
        },
        registerDebugAdapterTrackerFactory: (type: string, factory: never) => { stub.trackerFactories.set(type, factory); return disposable; },
        onDidTerminateDebugSession: this.terminated.event,
        addBreakpoints: () => undefined,
      },
      languages: {
        registerEvaluatableExpressionProvider: (selector: unknown) => { stub.hoverLanguages.push(selector); return disposable; },
        registerInlineValuesProvider: (selector: unknown) => { stub.inlineValueLanguages.push(selector); return disposable; },
        registerHoverProvider: (selector: unknown, provider: unknown) => { stub.hoverProviders.push({ selector, provider }); return disposable; },
      },
      commands: {
        registerCommand: (id: string, handler: (...args: unknown[]) => unknown) => { stub.commands.set(id, handler); return disposable; },
        executeCommand: () => Promise.resolve(undefined),
      },
      workspace: {
        getConfiguration: () => ({ get: <T>(key: string, fallback: T): T => (stub.settings.has(key) ? stub.settings.get(key) as T : fallback) }),
        workspaceFolders: undefined,
        findFiles: () => Promise.resolve(stub.workspaceFiles.map((fsPath) => ({ fsPath, scheme: 'file', path: fsPath }))),
      },
      env: { clipboard: { writeText: () => Promise.resolve() } },
      extensions: { getExtension: () => undefined },
    };
  }

  /** Makes `require('vscode')` return this stub until the returned function is called. */
  install(): () => void {
    const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
    const original = loader._load;
    const api = this.api;
    loader._load = function load(request: string, parent: unknown, isMain: boolean): unknown {
      return request === 'vscode' ? api : original.call(this, request, parent, isMain);
    };
    return () => { loader._load = original; };
  }

  /** The rows a view shows now, as text: `label — description`, depth first. */
  rowsOf(viewId: string): string[] {
    const view = this.treeViews.get(viewId)!;
    const rows: string[] = [];
    const visit = (node: unknown, depth: number): void => {
      const item = view.provider.getTreeItem(node);
      rows.push(`${'  '.repeat(depth)}${item.label.label}${item.description ? ` — ${item.description}` : ''}`);
      for (const child of view.provider.getChildren(node)) visit(child, depth + 1);
    };
    for (const root of view.provider.getChildren()) visit(root, 0);
    return rows;
  }
}
