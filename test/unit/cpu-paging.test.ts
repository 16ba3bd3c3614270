// Paging from the SDM vol. 3 ch. 4: #PF error codes and CR2, CR0.WP, accessed/dirty bits, invlpg and
// CR3 reloads, and one physical page seen through two linear addresses (KUSER_SHARED_DATA).
import * as assert from 'assert';
import { createProtectedWorld, loadCode, PageTableBuilder, PTE_P, PTE_RW, PTE_US, writeGate } from './cpu-fixture';

const CODE = 0x20000;
const STACK_PAGE = 0x70000;

interface FaultCase { name: string; cpl: 0 | 3; writeProtect: boolean; instruction: string; pageFlags: number; errorCode: number | null }

function runFaultCase(testCase: FaultCase): { stop: string; errorCode?: number; cr2: number; eip: number; faultEip: number } {
  const { machine, enterRing } = createProtectedWorld();
  const code = loadCode(machine, `bits 32
org 0x${CODE.toString(16)}
start:  ${testCase.instruction}
        hlt
pf:     hlt
`);
  const pages = new PageTableBuilder(machine);
  pages.identity(0, 0x12000, PTE_P | PTE_RW);           // GDT, IDT, TSS, kernel stack, page tables
  pages.map(CODE, CODE, PTE_P | PTE_RW | PTE_US);
  pages.map(STACK_PAGE - 0x1000, STACK_PAGE - 0x1000, PTE_P | PTE_RW | PTE_US);
  if (testCase.pageFlags !== 0) pages.map(0x400000, 0x300000, testCase.pageFlags);
  pages.enable(testCase.writeProtect);
  writeGate(machine, 14, code.symbol('pf'), 0);
  enterRing(testCase.cpl, code.symbol('start'), STACK_PAGE);
  machine.setStopOnVector(14, true);
  const stop = machine.runSlice(20);
  const esp = machine.registers().esp;
  return { stop: stop.reason, errorCode: stop.errorCode, cr2: machine.registers().cr2, eip: machine.registers().eip, faultEip: machine.memory.read32(machine.translate(esp + 4) ?? 0) };
}

describe('cpu: paging and #PF (SDM vol. 3 4.7)', () => {
  const cases: FaultCase[] = [
    { name: 'user read of a supervisor page', cpl: 3, writeProtect: true, instruction: 'mov eax, [0x400010]', pageFlags: PTE_P | PTE_RW, errorCode: 0b101 },
    { name: 'user write to a read-only user page', cpl: 3, writeProtect: false, instruction: 'mov dword [0x400010], 1', pageFlags: PTE_P | PTE_US, errorCode: 0b111 },
    { name: 'supervisor write to a read-only page with CR0.WP=1', cpl: 0, writeProtect: true, instruction: 'mov dword [0x400010], 1', pageFlags: PTE_P | PTE_US, errorCode: 0b011 },
    { name: 'supervisor write to a read-only page with CR0.WP=0 succeeds', cpl: 0, writeProtect: false, instruction: 'mov dword [0x400010], 1', pageFlags: PTE_P | PTE_US, errorCode: null },
    { name: 'user read of a not-present page', cpl: 3, writeProtect: true, instruction: 'mov eax, [0x400010]', pageFlags: 0, errorCode: 0b100 },
    { name: 'supervisor write to a not-present page', cpl: 0, writeProtect: true, instruction: 'mov byte [0x400ffe], 1', pageFlags: 0, errorCode: 0b010 },
  ];
  for (const testCase of cases) {
    it(`${testCase.name}: ${testCase.errorCode === null ? 'no fault' : `#PF error code ${testCase.errorCode}, CR2, faulting EIP`}`, () => {
      const result = runFaultCase(testCase);
      if (testCase.errorCode === null) {
        assert.strictEqual(result.stop, 'hlt');
        return;
      }
      assert.strictEqual(result.stop, 'exception');
      assert.strictEqual(result.errorCode, testCase.errorCode);
      assert.strictEqual(result.cr2, testCase.instruction.includes('ffe') ? 0x400ffe : 0x400010);
      assert.strictEqual(result.faultEip, CODE, 'the fault is restartable: EIP of the faulting instruction');
    });
  }

  it('one physical page through two linear addresses (KUSER_SHARED_DATA: 0xFFDF0000 writable, 0x7FFE0000 user read-only)', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, `bits 32
org 0x${CODE.toString(16)}
start:  mov dword [0xFFDF0300], 0x7C90E510
        mov eax, [0x7FFE0300]
        mov dword [0xFFDF0300], 0x12345678
        mov ebx, [0x7FFE0300]
        hlt
`);
    const pages = new PageTableBuilder(machine);
    pages.identity(0, 0x12000, PTE_P | PTE_RW);
    pages.map(CODE, CODE, PTE_P | PTE_RW);
    pages.map(0xFFDF0000, 0x200000, PTE_P | PTE_RW);
    pages.map(0x7FFE0000, 0x200000, PTE_P | PTE_US);
    pages.enable(true);
    enterRing(0, code.symbol('start'), 0x8000);
    const stop = machine.runSlice(100);
    assert.strictEqual(stop.reason, 'hlt');
    assert.strictEqual(machine.registers().eax, 0x7C90E510);
    assert.strictEqual(machine.registers().ebx, 0x12345678, 'the second write is seen through the other mapping (no stale TLB data)');
    assert.strictEqual(machine.memory.read32(0x200300), 0x12345678);
  });

  it('sets accessed and dirty bits; a PTE change is seen only after invlpg or a CR3 reload', () => {
    const { machine, enterRing } = createProtectedWorld();
    const code = loadCode(machine, `bits 32
org 0x${CODE.toString(16)}
start:  mov eax, [0x400000]       ; first mapping -> physical 0x300000
        mov [0x12000], eax        ; (scratch) host changes the PTE at the breakpoint below
check:  mov ebx, [0x400000]       ; still the old translation: the TLB holds it
        invlpg [0x400000]
        mov ecx, [0x400000]       ; new translation
        mov dword [0x400004], 5
        hlt
`);
    const pages = new PageTableBuilder(machine);
    pages.identity(0, 0x13000, PTE_P | PTE_RW);
    pages.map(CODE, CODE, PTE_P | PTE_RW);
    pages.map(0x400000, 0x300000, PTE_P | PTE_RW);
    machine.memory.write32(0x300000, 0x11111111);
    machine.memory.write32(0x301000, 0x22222222);
    pages.enable(true);
    enterRing(0, code.symbol('start'), 0x8000);
    machine.addBreakpoint(code.symbol('check'));
    assert.strictEqual(machine.runSlice(100).reason, 'breakpoint');
    pages.map(0x400000, 0x301000, PTE_P | PTE_RW);
    assert.strictEqual(machine.runSlice(100).reason, 'hlt');
    const registers = machine.registers();
    assert.strictEqual(registers.ebx, 0x11111111);
    assert.strictEqual(registers.ecx, 0x22222222);
    const tableEntry = machine.memory.read32(machine.memory.read32(0x10000 + 4) & ~0xFFF);
    assert.strictEqual(tableEntry & 0x60, 0x60, 'accessed and dirty set in the PTE after the write');
  });
});

describe('cpu: 4 MiB pages and CR3 reloads', () => {
  it('a PDE with PS maps 4 MiB when CR4.PSE is set; a CR3 write flushes the TLB', () => {
    const { machine, enterRing } = createProtectedWorld({ memoryBytes: 16 * 1024 * 1024 });
    const code = loadCode(machine, `bits 32
org 0x${CODE.toString(16)}
start:  mov eax, [0xC0001234]      ; PDE 0x300 maps 0xC0000000 as one 4 MiB page (physical 0 at first)
        mov ebx, cr3
        mov cr3, ebx               ; reload: the host's PDE edit below becomes visible
stop1:  mov ecx, [0xC0001234]
        hlt
`);
    const pages = new PageTableBuilder(machine);
    pages.identity(0, 0x12000, PTE_P | PTE_RW);
    pages.map(CODE, CODE, PTE_P | PTE_RW);
    machine.memory.write32(0x10000 + 0x300 * 4, 0x00000000 | 0x80 | PTE_P | PTE_RW);    // 4 MiB at physical 0
    machine.memory.write32(0x1234, 0xAAAA5555);
    machine.memory.write32(0x401234, 0x12121212);
    machine.cpu.cr4 |= 0x10;
    pages.enable(true);
    enterRing(0, code.symbol('start'), 0x8000);
    machine.addBreakpoint(code.symbol('start') + 5);     // after the first load, before mov ebx, cr3
    assert.strictEqual(machine.runSlice(10).reason, 'breakpoint');
    machine.memory.write32(0x10000 + 0x300 * 4, 0x00400000 | 0x80 | PTE_P | PTE_RW); // remap to physical 4 MiB
    assert.strictEqual(machine.runSlice(10).reason, 'hlt');
    assert.deepStrictEqual([machine.registers().eax, machine.registers().ecx], [0xAAAA5555, 0x12121212]);
  });
});
