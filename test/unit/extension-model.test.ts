// The NT views' rows built from recorded custom-request answers, and change marking between stops.
import { strict as assert } from 'assert';
import { StopChangeTracker } from '../../extension/model/change-tracker';
import { buildGdtNodes } from '../../extension/model/gdt-tree';
import { buildIdtNodes, gateDescription } from '../../extension/model/idt-tree';
import { buildKernelStackNodes, kernelStackSummary } from '../../extension/model/kernel-stack-tree';
import { buildMsrNodes } from '../../extension/model/msr-tree';
import { buildSsdtNodes, ssdtSummary } from '../../extension/model/ssdt-tree';
import { functionOfSymbol, isFrameFunction } from '../../extension/model/frame-function';
import { isSystemServiceEntry, parseEvaluatedNumber, serviceRowFor } from '../../extension/model/service-dispatch';
import { idtVectorOfStop } from '../../extension/model/stop-description';
import { parseAddress, translationText } from '../../extension/model/translation-text';
import { KTSS_FIELD_NAMES, buildTssNodes } from '../../extension/model/tss-tree';
import { NT_VIEWS } from '../../extension/model/view-catalog';
import { ViewNode, walkNodes } from '../../extension/model/view-node';
import {
  recordedGdt, recordedIdt, recordedIdtAfterHook, recordedKernelStack, recordedMsr, recordedSsdt, recordedSsdtHooked, recordedTss,
} from './extension-recorded-responses';

function find(nodes: readonly ViewNode[], id: string): ViewNode {
  const node = [...walkNodes(nodes)].find((candidate) => candidate.id === id);
  assert.ok(node, `no row ${id}`);
  return node;
}

describe('extension model: IDT view', () => {
  const groups = buildIdtNodes(recordedIdt);

  it('groups the 256 gates as the seeds do: exceptions, reserved, free, system, hardware', () => {
    assert.deepEqual(groups.map((group) => group.label), [
      'Exceptions  00–13', 'Reserved by Intel  14–1F', 'Free  20–29', 'System services  2A–2F', 'Hardware interrupts  30–FF',
    ]);
    assert.deepEqual(groups.map((group) => group.children.length), [20, 1, 1, 6, 2]);
    assert.equal(groups[3]!.expanded, true);
    assert.equal(groups[4]!.expanded, false);
    assert.equal(groups[3]!.description, '5 of 6 present');
  });

  it('shows IDT[0x2E] as !idt does: vector, handler, gate type, DPL and selector:offset', () => {
    const gate = find(groups, 'idt/46');
    assert.equal(gate.label, '2E  nt!KiSystemService');
    assert.equal(gate.description, 'interrupt gate, DPL 3, 0008:804DE2E0');
    assert.deepEqual(gate.action, { kind: 'revealSource', address: 0x804DE2E0, symbol: 'nt!KiSystemService' });
    assert.equal(gate.address, 0x8003F400 + 0x2E * 8);
    assert.match(gate.contextValue, /\bhandler\b/);
    assert.match(gate.tooltip, /allowed from ring 3/);
    assert.match(gate.tooltip, /clears IF/);
  });

  it('explains DPL 0 gates with the #GP error code int n from ring 3 gets', () => {
    assert.match(find(groups, 'idt/13').tooltip, /#GP with error code 0x006A/);
  });

  it('describes task gates and empty vectors without inventing a handler', () => {
    const doubleFault = find(groups, 'idt/8');
    assert.equal(doubleFault.label, '08  task gate');
    assert.equal(doubleFault.description, 'DPL 0, TSS selector 0050 (a task switch)');
    assert.equal(doubleFault.action, undefined);
    assert.doesNotMatch(doubleFault.contextValue, /\bhandler\b/);
    assert.equal(gateDescription(recordedIdt.entries[0x20]!), 'not present (empty)');
    assert.equal(find(groups, 'idt/47').label, '2F  —');
  });

  it('folds long runs of empty gates into one row', () => {
    const hardware = groups[4]!;
    assert.deepEqual(hardware.children.map((row) => `${row.label} | ${row.description}`), [
      '30  nt!KiClockInterrupt | interrupt gate, DPL 0, 0008:804E2A10',
      '31–FF  — | not present (207 empty gates)',
    ]);
    assert.equal(hardware.children[1]!.address, 0x8003F400 + 0x31 * 8);
    assert.equal(groups[2]!.children[0]!.label, '20–29  —');
  });
});

describe('extension model: SSDT view', () => {
  it('lists index, name, argument bytes and handler of each service', () => {
    const [table] = buildSsdtNodes(recordedSsdt);
    assert.equal(table!.label, 'KeServiceDescriptorTable[0]');
    assert.equal(table!.description, '284 services · base 80501B8C');
    const readFile = find([table!], 'ssdt/KeServiceDescriptorTable[0]/183');
    assert.equal(readFile.label, '0B7  nt!NtReadFile');
    assert.equal(readFile.description, '9 args (0x24 bytes) · 8057CC3C');
    assert.equal(readFile.address, 0x80501B8C + 0xB7 * 4);
    assert.deepEqual(readFile.marks, []);
  });

  it('flags a hooked entry with a warning mark and lists it first', () => {
    const [table] = buildSsdtNodes(recordedSsdtHooked);
    assert.equal(table!.children[0]!.label, '⚠ Hooked entries (1)');
    const hooked = find([table!], 'ssdt/KeServiceDescriptorTable[0]/183');
    assert.deepEqual(hooked.marks, ['hooked']);
    assert.match(hooked.description, /^⚠ HOOKED · 9 args/);
    assert.match(hooked.tooltip, /outside the module that owns this table/);
    assert.match(ssdtSummary(recordedSsdtHooked), /⚠ 1 hooked/);
  });

  it('says why a table stops early', () => {
    const [table] = buildSsdtNodes({ tables: [{ ...recordedSsdt.tables[0]!, entries: [], error: 'the service table at 0x80501B8C is not mapped' }] });
    assert.equal(table!.children[0]!.label, '⚠ the service table at 0x80501B8C is not mapped');
  });
});

describe('extension model: TSS, kernel stack, GDT and MSR views', () => {
  it('shows every KTSS field once, Esp0 first among the expanded stacks', () => {
    const nodes = buildTssNodes(recordedTss);
    assert.deepEqual([...KTSS_FIELD_NAMES].sort(), Object.keys(recordedTss.fields).sort());
    assert.equal(nodes[0]!.label, 'TR 0x0028');
    const stacks = nodes[1]!;
    assert.equal(stacks.expanded, true);
    assert.equal(stacks.children[0]!.label, 'Esp0');
    assert.equal(stacks.children[0]!.description, '0xF8A3DDF0');
    assert.equal(stacks.children[0]!.address, 0x80042004);
    assert.match(find(nodes, 'tss/ioMapBase').description, /no bitmap/);
  });

  it('lists the kernel stack from ESP upward with ESP marked and the trap frame gathered', () => {
    const nodes = buildKernelStackNodes(recordedKernelStack);
    assert.deepEqual(nodes.map((node) => node.label), ['_KTRAP_FRAME @ F8A3DD74', 'F8A3DDF0']);
    const frame = nodes[0]!;
    assert.equal(frame.expanded, true);
    assert.equal(frame.description, '5 fields above ESP (Eip..HardwareSegSs)');
    assert.match(frame.tooltip, /^dt _KTRAP_FRAME 0xF8A3DD74/);
    const slots = frame.children;
    assert.deepEqual(slots.map((node) => node.label.slice(0, 8)), ['F8A3DDDC', 'F8A3DDE0', 'F8A3DDE4', 'F8A3DDE8', 'F8A3DDEC']);
    assert.equal(slots[0]!.label, 'F8A3DDDC ◀ ESP');
    assert.deepEqual(slots[0]!.marks, ['esp']);
    assert.equal(slots[0]!.description, '7C90E4F4  _KTRAP_FRAME.Eip (+0x68) · ntdll!KiIntSystemCall+0x7');
    assert.deepEqual(slots[0]!.target, { address: 0x7C90E4F4, symbol: 'ntdll!KiIntSystemCall+0x7' });
    assert.equal(slots[1]!.action?.kind, 'openMemory');
    assert.equal(nodes[1]!.description, '00000000');
    assert.equal(kernelStackSummary(recordedKernelStack), 'ESP 0xF8A3DDDC · EBP 0x0012FF90 · 0x18 bytes used');
  });

  it('shows GDT descriptors under their KGDT names', () => {
    const nodes = buildGdtNodes(recordedGdt);
    assert.equal(nodes[0]!.description, 'null descriptor');
    assert.equal(nodes[1]!.label, '0008  KGDT_R0_CODE');
    assert.equal(nodes[1]!.description, 'Code RE Ac · base 00000000 · limit FFFFFFFF · DPL 0');
    assert.equal(nodes[6]!.address, 0x8003F030);
    assert.match(nodes[3]!.tooltip, /used as selector 0x001B/);
  });

  it('shows the SYSENTER MSRs with sysenter\'s target revealable', () => {
    const nodes = buildMsrNodes(recordedMsr);
    assert.deepEqual(nodes.map((node) => node.label), [
      'IA32_SYSENTER_CS (174)', 'IA32_SYSENTER_ESP (175)', 'IA32_SYSENTER_EIP (176)', 'IA32_TIME_STAMP_COUNTER (10)',
    ]);
    assert.equal(nodes[2]!.description, '0x804DE6F0');
    assert.equal(nodes[2]!.action?.kind, 'revealSource');
    assert.equal(nodes[3]!.description, '0x00000000000F4A21');
  });
});

describe('extension model: views catalog', () => {
  it('renders each recorded answer and turns a wrong shape into an error row', () => {
    const answers: Record<string, unknown> = {
      'nt.idt': recordedIdt, 'nt.ssdt': recordedSsdt, 'nt.tss': recordedTss,
      'nt.kernelStack': recordedKernelStack, 'nt.gdt': recordedGdt, 'nt.msr': recordedMsr,
    };
    for (const view of NT_VIEWS) {
      const rendered = view.render(answers[view.request]);
      assert.ok(rendered.nodes.length > 0 && rendered.summary !== '', view.viewId);
      const broken = view.render({ unexpected: true });
      assert.deepEqual(broken.nodes[0]!.marks, ['error'], view.viewId);
    }
    assert.deepEqual(NT_VIEWS.map((view) => view.request), ['nt.idt', 'nt.ssdt', 'nt.tss', 'nt.kernelStack', 'nt.gdt', 'nt.msr']);
  });
});

describe('extension model: change marking between stops', () => {
  it('marks nothing at the first stop, then exactly what changed, up through the groups', () => {
    const tracker = new StopChangeTracker();
    const first = buildIdtNodes(recordedIdt);
    assert.equal(tracker.mark(first, 1), 0);
    assert.equal([...walkNodes(first)].some((node) => node.changed), false);
    const second = buildIdtNodes(recordedIdtAfterHook);
    assert.equal(tracker.mark(second, 2), 1);
    assert.deepEqual([...walkNodes(second)].filter((node) => node.changed).map((node) => node.id), ['idt-group/system', 'idt/46']);
    assert.match(find(second, 'idt-group/system').description, /1 changed$/);
  });

  it('keeps the marks on a second refresh at the same stop and clears them at the next', () => {
    const tracker = new StopChangeTracker();
    tracker.mark(buildSsdtNodes(recordedSsdt), 1);
    const hooked = buildSsdtNodes(recordedSsdtHooked);
    tracker.mark(hooked, 2);
    const refreshed = buildSsdtNodes(recordedSsdtHooked);
    assert.equal(tracker.mark(refreshed, 2), 1); // its copy under "Hooked entries" is new, not changed
    assert.equal(find(refreshed, 'ssdt/KeServiceDescriptorTable[0]/183').changed, true);
    const next = buildSsdtNodes(recordedSsdtHooked);
    assert.equal(tracker.mark(next, 3), 0);
  });

  it('compares stack slots by address and forgets everything on reset', () => {
    const tracker = new StopChangeTracker();
    tracker.mark(buildKernelStackNodes(recordedKernelStack), 1);
    const moved = { ...recordedKernelStack, entries: recordedKernelStack.entries.map((entry, index) => (index === 3 ? { ...entry, value: 0x0012FF40 } : entry)) };
    const nodes = buildKernelStackNodes(moved);
    tracker.mark(nodes, 2);
    assert.deepEqual([...walkNodes(nodes)].filter((node) => node.changed).map((node) => node.label), ['_KTRAP_FRAME @ F8A3DD74', 'F8A3DDE8']);
    tracker.reset();
    const afterReset = buildKernelStackNodes(moved);
    assert.equal(tracker.mark(afterReset, 3), 0);
  });
});

describe('extension model: the gate a stop went through', () => {
  it('reads IDT[n] from the stopped event text', () => {
    assert.equal(idtVectorOfStop('int 0x2e from ring 3: IDT[0x2E] -> nt!KiSystemService (interrupt gate, DPL 3)'), 0x2E);
    assert.equal(idtVectorOfStop('clock interrupt: IDT[30h] -> nt!KiClockInterrupt'), 0x30);
    assert.equal(idtVectorOfStop('sysenter from ring 3 -> nt!KiFastCallEntry'), undefined);
    assert.equal(idtVectorOfStop(undefined), undefined);
  });
});

describe('extension model: the function a frame is in', () => {
  it('matches frames to handler symbols with or without the module', () => {
    assert.equal(functionOfSymbol('nt!NtReadFile+0x1a'), 'NtReadFile');
    assert.equal(functionOfSymbol('KiSystemService (ntoskrnl.asm:120)'), 'KiSystemService');
    assert.ok(isFrameFunction('nt!NtReadFile+0x3', 'nt!NtReadFile'));
    assert.ok(isFrameFunction('nt!KiSystemService', 'KiSystemService'));
    assert.ok(!isFrameFunction('nt!NtReadFileScatter', 'nt!NtReadFile'));
    assert.ok(!isFrameFunction('ntdll!KiIntSystemCall+0x7', 'ntdll!KiIntSystemCall+0x7'));
    assert.ok(!isFrameFunction('nt!NtClose', null));
  });
});

describe('extension model: the service a system call dispatches', () => {
  it('reads EAX at KiSystemService / KiFastCallEntry and finds its SSDT row', () => {
    assert.ok(isSystemServiceEntry('nt!KiSystemService'));
    assert.ok(isSystemServiceEntry('nt!KiFastCallEntry+0x12'));
    assert.ok(!isSystemServiceEntry('nt!KiServiceExit'));
    assert.equal(parseEvaluatedNumber('0x000000B7'), 0xB7);
    assert.equal(parseEvaluatedNumber('000000b7'), 0xB7);
    assert.equal(parseEvaluatedNumber('183'), 183);
    assert.equal(parseEvaluatedNumber('183 (0xB7)'), 0xB7);
    assert.equal(parseEvaluatedNumber('<unavailable>'), undefined);
    const rows = buildSsdtNodes(recordedSsdtHooked);
    assert.equal(serviceRowFor(rows, 0xB7)?.id, 'ssdt/KeServiceDescriptorTable[0]/183');
    assert.equal(serviceRowFor(rows, 0x10B7), undefined); // the shadow table is not in this answer
    assert.equal(serviceRowFor(rows, 0xB8), undefined);
  });
});

describe('extension model: addresses and page walks', () => {
  it('reads addresses as a WinDbg user types them', () => {
    assert.equal(parseAddress('0x804DE2E0'), 0x804DE2E0);
    assert.equal(parseAddress('804de2e0'), 0x804DE2E0);
    assert.equal(parseAddress('804DE2E0h'), 0x804DE2E0);
    assert.equal(parseAddress('8003f400`'), 0x8003F400);
    assert.equal(parseAddress('0n4096'), 4096);
    assert.equal(parseAddress('nt!KiSystemService'), undefined);
    assert.equal(parseAddress('0x1234567890'), undefined);
  });

  it('describes a translation and a fault', () => {
    assert.equal(translationText({
      ok: true, linear: 0x7FFE0300, pdeAddress: 0xC03007FC, pde: 0x00A3A067, pteAddress: 0xC01FFF80, pte: 0x00041025,
      physical: 0x00041300, largePage: false, user: true, writable: false,
    }), '0x7FFE0300 -> physical 0x00041300: PDE 0x00A3A067 -> PTE at 0xC01FFF80 = 0x00041025; user, read-only');
    assert.match(translationText({
      ok: false, linear: 0x00000000, pdeAddress: 0xC0300000, pde: 0, pteAddress: null, pte: null, fault: 'PDE not present',
    }), /does not translate: PDE not present/);
  });
});
