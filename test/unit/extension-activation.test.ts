// The extension activated against a recording stand-in for `vscode`: what it registers, and how a
// `stopped` event turns into rows in the NT views through the custom requests.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  recordedGdt, recordedIdt, recordedIdtAfterHook, recordedKernelStack, recordedMsr, recordedSsdt, recordedTss,
} from './extension-recorded-responses';
import { StubDebugSession, VscodeStub } from './extension-vscode-stub';

interface ExtensionModule {
  activate(context: unknown): void;
}

const sourceRoot = process.cwd();
const manifest = JSON.parse(fs.readFileSync(path.join(sourceRoot, 'package.json'), 'utf8')) as {
  contributes: { commands: { command: string }[]; views: { debug: { id: string }[] } };
};

function fakeContext(): { subscriptions: { dispose(): void }[]; extensionPath: string; asAbsolutePath(relative: string): string } {
  return { subscriptions: [], extensionPath: sourceRoot, asAbsolutePath: (relative: string) => path.join(sourceRoot, relative) };
}

/** A session answering the custom requests from recorded responses, counting what was asked. */
function recordedSession(answers: Record<string, unknown>): StubDebugSession & { asked: string[] } {
  const asked: string[] = [];
  return {
    id: 'session-1', type: 'ntsyscall', name: 'readfile', asked,
    customRequest(command: string): Promise<unknown> {
      asked.push(command);
      return command in answers ? Promise.resolve(answers[command]) : Promise.reject(new Error(`unknown request ${command}`));
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('extension activation (against a recording vscode stand-in)', () => {
  let stub: VscodeStub;
  let uninstall: () => void;
  let context: ReturnType<typeof fakeContext>;

  beforeEach(() => {
    stub = new VscodeStub();
    uninstall = stub.install();
    const modulePath = require.resolve('../../extension/extension');
    // Every extension module binds `vscode` when first loaded: load them all afresh against this stub.
    const extensionFolder = path.dirname(modulePath) + path.sep;
    for (const cached of Object.keys(require.cache)) if (cached.startsWith(extensionFolder)) delete require.cache[cached];
    const extension = require(modulePath) as ExtensionModule;
    context = fakeContext();
    extension.activate(context);
  });

  afterEach(() => {
    for (const subscription of context.subscriptions) subscription.dispose();
    uninstall();
  });

  it('registers every contributed command, view, the debug type and the ntasm providers', () => {
    assert.deepEqual([...stub.commands.keys()].sort(), manifest.contributes.commands.map((command) => command.command).sort());
    assert.deepEqual([...stub.treeViews.keys()], manifest.contributes.views.debug.map((view) => view.id));
    for (const registry of [stub.descriptorFactories, stub.configurationProviders, stub.trackerFactories]) assert.ok(registry.has('ntsyscall'));
    assert.equal(stub.hoverLanguages.length, 1);
    assert.equal(stub.inlineValueLanguages.length, 1);
    assert.equal(stub.hoverProviders.length, 1);
  });

  it('hovers a register in a file other than the focused frame\'s by evaluating it in the focused frame', async () => {
    const evaluations: unknown[] = [];
    const session: StubDebugSession = {
      id: 'session-1', type: 'ntsyscall', name: 'readfile',
      customRequest(command: string, args?: unknown): Promise<unknown> {
        evaluations.push({ command, args });
        const expression = (args as { expression: string }).expression;
        return expression === 'eax' ? Promise.resolve({ result: '0x000000B7 (183)', type: 'register' }) : Promise.reject(new Error(`cannot evaluate ${expression}`));
      },
    };
    const provider = stub.hoverProviders[0]!.provider as {
      provideHover(document: unknown, position: unknown, token: unknown): Promise<{ contents: { value: string }; range: { start: { character: number }; end: { character: number } } } | undefined>;
    };
    const lines = ['start:  push eax            ; ExitStatus', '        mov ecx, [esp+4]'];
    const document = { lineAt: (line: number) => ({ text: lines[line]! }) };
    const Position = stub.api['Position'] as new (line: number, character: number) => unknown;
    const DebugStackFrame = stub.api['DebugStackFrame'] as new (session: unknown, threadId: number, frameId: number) => unknown;
    const notCancelled = { isCancellationRequested: false };

    assert.equal(await provider.provideHover(document, new Position(0, 14), notCancelled), undefined, 'no session: no hover');
    assert.equal(evaluations.length, 0);

    stub.activeStackItem = new DebugStackFrame(session, 1, 7);
    const hover = await provider.provideHover(document, new Position(0, 14), notCancelled);
    assert.deepEqual(evaluations, [{ command: 'evaluate', args: { expression: 'eax', frameId: 7, context: 'hover' } }]);
    assert.ok(hover !== undefined);
    assert.match(hover.contents.value, /eax = 0x000000B7 \(183\)/);
    assert.deepEqual([hover.range.start.character, hover.range.end.character], [13, 16]);

    assert.equal(await provider.provideHover(document, new Position(0, 2), notCancelled), undefined, 'a label that does not evaluate: no hover');
    assert.equal(await provider.provideHover(document, new Position(0, 30), notCancelled), undefined, 'a comment: nothing asked');
    assert.equal(evaluations.length, 2);

    stub.activeStackItem = new DebugStackFrame({ ...session, type: 'node' }, 1, 7);
    assert.equal(await provider.provideHover(document, new Position(0, 14), notCancelled), undefined, 'another debugger\'s session: no hover');
  });

  it('fills the visible views at a stop, leaves hidden ones until shown, and marks changes at the next stop', async () => {
    const answers: Record<string, unknown> = {
      'nt.idt': recordedIdt, 'nt.ssdt': recordedSsdt, 'nt.tss': recordedTss, 'nt.kernelStack': recordedKernelStack, 'nt.gdt': recordedGdt, 'nt.msr': recordedMsr,
    };
    const session = recordedSession(answers);
    stub.activeDebugSession = session;
    stub.treeViews.get('ntsyscall.idt')!.visible = true;
    const tracker = stub.trackerFactories.get('ntsyscall')!.createDebugAdapterTracker(session);

    tracker['onDidSendMessage']!({ type: 'event', event: 'stopped', body: { reason: 'step' } });
    await settle();
    assert.deepEqual(session.asked, ['nt.idt']);
    const idtRows = stub.rowsOf('ntsyscall.idt');
    assert.ok(idtRows.includes('  2E  nt!KiSystemService — interrupt gate, DPL 3, 0008:804DE2E0'), idtRows.slice(0, 60).join('\n'));
    assert.match(stub.treeViews.get('ntsyscall.idt')!.description ?? '', /^IDTR 0x8003F400/);
    assert.deepEqual(stub.rowsOf('ntsyscall.tss'), []);

    const tss = stub.treeViews.get('ntsyscall.tss')!;
    tss.visible = true;
    tss.visibility.fire({ visible: true });
    await settle();
    assert.ok(stub.rowsOf('ntsyscall.tss').includes('  Esp0 — 0xF8A3DDF0'));

    tracker['onWillReceiveMessage']!({ type: 'request', command: 'stepIn', seq: 9 });
    answers['nt.idt'] = recordedIdtAfterHook;
    tracker['onDidSendMessage']!({ type: 'event', event: 'stopped', body: { reason: 'step' } });
    await settle();
    const view = stub.treeViews.get('ntsyscall.idt')!;
    const system = view.provider.getChildren()[3];
    const changed = view.provider.getChildren(system).map((node) => view.provider.getTreeItem(node)).filter((item) => item.label.highlights !== undefined);
    assert.deepEqual(changed.map((item) => item.label.label), ['2E  idthook!HookedSystemService']);
    assert.equal(changed[0]!.command?.command, 'ntsyscall.revealHandlerSource');
  });

  it('selects the gate a stop went through and follows register edits without a new stop', async () => {
    const answers: Record<string, unknown> = { 'nt.idt': recordedIdt, 'nt.kernelStack': recordedKernelStack };
    const session = recordedSession(answers);
    const idt = stub.treeViews.get('ntsyscall.idt')!;
    idt.visible = true;
    stub.treeViews.get('ntsyscall.kernelStack')!.visible = true;
    const tracker = stub.trackerFactories.get('ntsyscall')!.createDebugAdapterTracker(session);
    tracker['onDidSendMessage']!({
      type: 'event', event: 'stopped',
      body: { reason: 'exception', description: 'int 0x2e from ring 3: IDT[0x2E] -> nt!KiSystemService (interrupt gate, DPL 3)' },
    });
    await settle();
    assert.deepEqual(idt.revealed.map((node) => idt.provider.getTreeItem(node).label.label), ['2E  nt!KiSystemService']);
    const edited = { ...recordedKernelStack, entries: recordedKernelStack.entries.map((entry, index) => (index === 0 ? { ...entry, value: 0x7C90E4F5 } : entry)) };
    answers['nt.kernelStack'] = edited;
    tracker['onDidSendMessage']!({ type: 'event', event: 'memory', body: { memoryReference: '0xF8A3DDDC', offset: 0, count: 4 } });
    await settle();
    assert.deepEqual(session.asked, ['nt.idt', 'nt.kernelStack', 'nt.idt', 'nt.kernelStack']);
    assert.match(stub.rowsOf('ntsyscall.kernelStack')[1]!, /^  F8A3DDDC ◀ ESP — 7C90E4F5/);
  });

  it('selects the SSDT row of the service the machine stopped in, from the call stack VS Code fetched', async () => {
    const session = recordedSession({ 'nt.ssdt': recordedSsdt });
    const ssdt = stub.treeViews.get('ntsyscall.ssdt')!;
    ssdt.visible = true;
    const tracker = stub.trackerFactories.get('ntsyscall')!.createDebugAdapterTracker(session);
    tracker['onDidSendMessage']!({ type: 'event', event: 'stopped', body: { reason: 'breakpoint' } });
    await settle();
    tracker['onWillReceiveMessage']!({ type: 'request', seq: 20, command: 'stackTrace', arguments: { threadId: 1, startFrame: 0, levels: 20 } });
    tracker['onWillReceiveMessage']!({ type: 'request', seq: 21, command: 'stackTrace', arguments: { threadId: 1, startFrame: 20, levels: 20 } });
    tracker['onDidSendMessage']!({ type: 'response', request_seq: 21, command: 'stackTrace', success: true, body: { stackFrames: [{ id: 9, name: 'nt!KiServiceExit' }] } });
    assert.deepEqual(ssdt.revealed, []);
    tracker['onDidSendMessage']!({ type: 'response', request_seq: 20, command: 'stackTrace', success: true, body: { stackFrames: [{ id: 1, name: 'nt!NtReadFile+0x3' }] } });
    assert.deepEqual(ssdt.revealed.map((node) => ssdt.provider.getTreeItem(node).label.label), ['0B7  nt!NtReadFile']);
  });

  it('selects the SSDT row EAX will dispatch when the machine stops at KiSystemService', async () => {
    const session = recordedSession({ 'nt.ssdt': recordedSsdt, evaluate: { result: '0x000000B7', variablesReference: 0 } });
    const ssdt = stub.treeViews.get('ntsyscall.ssdt')!;
    ssdt.visible = true;
    const tracker = stub.trackerFactories.get('ntsyscall')!.createDebugAdapterTracker(session);
    tracker['onDidSendMessage']!({ type: 'event', event: 'stopped', body: { reason: 'step' } });
    tracker['onWillReceiveMessage']!({ type: 'request', seq: 5, command: 'stackTrace', arguments: { threadId: 1 } });
    tracker['onDidSendMessage']!({ type: 'response', request_seq: 5, command: 'stackTrace', success: true, body: { stackFrames: [{ id: 1, name: 'nt!KiSystemService' }] } });
    await settle();
    assert.deepEqual(session.asked, ['nt.ssdt', 'evaluate']);
    assert.deepEqual(ssdt.revealed.map((node) => ssdt.provider.getTreeItem(node).label.label), ['0B7  nt!NtReadFile']);
  });

  it('shows the adapter\'s error in the view when a request fails, and empties the views when the session ends', async () => {
    const session = recordedSession({});
    stub.treeViews.get('ntsyscall.ssdt')!.visible = true;
    const tracker = stub.trackerFactories.get('ntsyscall')!.createDebugAdapterTracker(session);
    tracker['onDidSendMessage']!({ type: 'event', event: 'stopped', body: { reason: 'breakpoint' } });
    await settle();
    assert.deepEqual(stub.rowsOf('ntsyscall.ssdt'), ['nt.ssdt failed: unknown request nt.ssdt']);
    stub.terminated.fire(session);
    assert.deepEqual(stub.rowsOf('ntsyscall.ssdt'), []);
  });

  it('offers every program twice in the drop-down: by int 2Eh and by sysenter', async () => {
    stub.workspaceFiles = ['/w/programs/readfile.asm', '/w/programs/hello.asm'];
    const offered = await stub.dynamicConfigurationProviders.get('ntsyscall')!.provideDebugConfigurations() as { name: string; syscall: string }[];
    assert.deepEqual(offered.map((configuration) => configuration.name), [
      'hello.asm via int 2Eh (KiSystemService)', 'hello.asm via sysenter (KiFastCallEntry)',
      'readfile.asm via int 2Eh (KiSystemService)', 'readfile.asm via sysenter (KiFastCallEntry)',
    ]);
  });

  it('fills in F5 on an open .asm file and runs the adapter as a separate process', () => {
    const editorWindow = stub.api['window'] as { activeTextEditor: unknown };
    editorWindow.activeTextEditor = { document: { uri: { scheme: 'file', fsPath: '/w/programs/readfile.asm' }, languageId: 'ntasm' } };
    const resolved = stub.configurationProviders.get('ntsyscall')!.resolveDebugConfiguration(undefined, {});
    assert.deepEqual(resolved, { type: 'ntsyscall', request: 'launch', name: 'Debug the open file', program: '/w/programs/readfile.asm', stopOnEntry: true });
    const factory = stub.descriptorFactories.get('ntsyscall')!;
    const adapterBuilt = ['dist/adapter.js', 'out/adapter/dap-main.js'].some((entry) => fs.existsSync(path.join(sourceRoot, entry)));
    if (adapterBuilt) {
      const descriptor = factory.createDebugAdapterDescriptor({}) as { command: string; args: string[] };
      assert.equal(descriptor.command, process.execPath);
      assert.match(descriptor.args[0]!, /(dist[\\/]adapter\.js|dap-main\.js)$/);
    } else {
      assert.throws(() => factory.createDebugAdapterDescriptor({}), /adapter is missing/);
    }
    stub.settings.set('adapter.serverPort', 4711);
    assert.deepEqual({ ...factory.createDebugAdapterDescriptor({}) as object }, { port: 4711, host: '127.0.0.1' });
  });
});
