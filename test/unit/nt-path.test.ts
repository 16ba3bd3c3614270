// The XP system-call path on the machine, checked by stepping: the boot leaves the state WinDbg shows
// on XP (selectors, GDT/IDT/TSS, MSRs, SharedUserData), int 2Eh and sysenter build the _KTRAP_FRAME
// where XP builds it, the dispatcher copies the arguments and refuses bad numbers and pointers, and the
// services, exceptions, Zw calls and the clock have their effects.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { linkModules, type LinkedModule, type LinkResult } from '../../core/asm/linker';
import type { ModuleSpec } from '../../core/asm/module';
import type { InterruptEvent } from '../../core/cpu/interrupts';
import { bootNtMachine, ntoskrnlModuleSpec, type NtBootedMachine } from '../../core/nt/boot';
import type { WindowsVersion } from '../../core/nt/syscall-list';
import {
  KGDT_R0_CODE, KGDT_R3_CODE, KGDT_R3_DATA, KGDT_R3_TEB, KGDT_TSS, KPCR_CURRENT_THREAD, KTHREAD_CALLBACK_STACK, KTHREAD_INITIAL_STACK,
  KTHREAD_PREVIOUS_MODE, KTHREAD_SERVICE_TABLE, KTHREAD_TRAP_FRAME, KTRAP_FRAME_CS, KTRAP_FRAME_DBG_ARG_MARK,
  KTRAP_FRAME_DBG_ARG_POINTER, KTRAP_FRAME_EIP, KTRAP_FRAME_ESP, KTRAP_FRAME_SS, KTSS_ESP0, DBG_ARG_MARK,
  KUSER_SHARED_DATA_SYSTEM_CALL, KUSER_SHARED_DATA_SYSTEM_CALL_RETURN, RPL_MASK,
} from '../../core/nt/ks386';
import {
  KERNEL_INITIAL_STACK, KIP0PCRADDRESS, KI_GDT_ADDRESS, KI_IDT_ADDRESS, KI_TSS_ADDRESS, KI_USER_SHARED_DATA,
  MM_SHARED_USER_DATA_VA, NTDLL_BASE, NTOSKRNL_BASE, PROGRAM_IMAGE_BASE, PTE_BASE, TEB_ADDRESS,
} from '../../core/nt/memory-map';
import { repositoryRoot } from '../support/oracle-tools';

const RUN_BUDGET = 200_000;
const USER_MODE = 1;
const KERNEL_MODE = 0;

function samplePath(relative: string): string {
  return path.join(repositoryRoot(), 'samples', relative);
}

let kernelLink: LinkResult | undefined;
/** ntoskrnl (and a driver) linked once per driver source and version: it is the slow part. */
function linkKernel(driverSource?: string, version?: WindowsVersion): LinkResult {
  const cacheable = !driverSource && version === undefined;
  if (cacheable && kernelLink) return kernelLink;
  const specs: ModuleSpec[] = [ntoskrnlModuleSpec(samplePath('kernel'), version)];
  if (driverSource) specs.push({ name: 'driver', entryFile: samplePath('drivers/inline-driver.asm'), mode: 'kernel', base: 0x80600000, source: driverSource });
  const link = linkModules(specs);
  assert.deepStrictEqual(link.diagnostics.filter((d) => d.severity === 'error'), []);
  if (cacheable) kernelLink = link;
  return link;
}

interface BootedProgram extends NtBootedMachine {
  links: LinkResult[];
  symbol(name: string): number;
  modules: LinkedModule[];
  interrupts: InterruptEvent[];
  read32(address: number): number;
  output(): string;
}

/** Links ntdll with a program (a sample file or inline source) and boots the machine at KiSystemStartup. */
interface BootOptions {
  sep: boolean;
  clock?: number;
  driver?: string;
  kernelInterface?: boolean;
  windows?: WindowsVersion;
  /** Start ring 3 at ntdll!BaseProcessStartThunk (EAX = the program's entry). */
  startThunk?: boolean;
  /** Code appended to ntdll's .text (what the model's ntdll may grow). */
  ntdllAddition?: string;
}

function bootProgram(program: { file?: string; source?: string }, options: BootOptions): BootedProgram {
  const ntdllFile = samplePath('ntdll/ntdll.asm');
  const ntdllText = fs.readFileSync(ntdllFile, 'utf8');
  // What ntdll.asm does not have yet is appended: kernel-interface.inc, a start thunk.
  const hasKernelInterface = /^%include "kernel-interface\.inc"/m.test(ntdllText);
  const alreadyDefined = (addition: string): boolean => [...addition.matchAll(/^\s*global\s+(\w+)/gm)].some((match) => new RegExp(`^${match[1]}:`, 'm').test(ntdllText));
  const additions = [
    ...(options.kernelInterface && !hasKernelInterface ? ['%include "kernel-interface.inc"'] : []),
    ...(options.ntdllAddition && !alreadyDefined(options.ntdllAddition) ? [options.ntdllAddition] : []),
  ];
  const ntdllSource = additions.length > 0 ? `${ntdllText}\n        section .text\n${additions.join('\n')}\n` : undefined;
  const user = linkModules([
    { name: 'ntdll', entryFile: ntdllFile, mode: 'user', base: NTDLL_BASE, source: ntdllSource },
    { name: 'program', entryFile: program.file ?? samplePath('programs/inline-program.asm'), mode: 'user', base: PROGRAM_IMAGE_BASE, source: program.source },
  ]);
  assert.deepStrictEqual(user.diagnostics.filter((d) => d.severity === 'error'), []);
  const kernel = linkKernel(options.driver, options.windows);
  const links = [kernel, user];
  const modules = [...kernel.modules, ...user.modules];
  const symbol = (name: string): number => {
    for (const link of links) {
      const found = link.findSymbol(name);
      if (found) return found.address;
    }
    throw new Error(`no symbol ${name}`);
  };
  let text = '';
  // Ring 3 starts at the program itself unless a test asks for ntdll's process start thunk.
  const startThunk = options.startThunk ? user.findSymbol('ntdll!BaseProcessStartThunk') : undefined;
  const booted = bootNtMachine({
    modules, userEntry: startThunk?.address ?? symbol('program!start'), processStartAddress: symbol('program!start'),
    driverEntry: options.driver ? symbol('driver!DriverEntry') : undefined,
    machine: { sepSupported: options.sep, clockInterval: options.clock, onDebugOutput: (byte) => { text += String.fromCharCode(byte); } },
  });
  const interrupts: InterruptEvent[] = [];
  booted.machine.onInterrupt((event) => interrupts.push({ ...event }));
  const read32 = (address: number): number => {
    const bytes = booted.machine.readLinear(address, 4);
    assert.ok(bytes.every((byte) => byte !== undefined), `0x${address.toString(16)} is not mapped`);
    return ((bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0);
  };
  return { ...booted, links, modules, symbol, interrupts, read32, output: () => text };
}

/** Runs to the first arrival at `address` (a breakpoint), failing on any other stop. */
function runTo(booted: BootedProgram, address: number): void {
  const machine = booted.machine;
  machine.addBreakpoint(address);
  try {
    const stop = machine.runSlice(RUN_BUDGET);
    assert.strictEqual(stop.reason, 'breakpoint', `expected to reach 0x${address.toString(16)}: ${stop.message}`);
    assert.strictEqual(stop.eip >>> 0, address >>> 0);
  } finally {
    machine.removeBreakpoint(address);
  }
}

/** Runs until the guest halts; returns the exit status it reported. */
function runToExit(booted: BootedProgram): number | undefined {
  const stop = booted.machine.runSlice(RUN_BUDGET);
  assert.strictEqual(stop.reason, 'hlt', stop.message);
  return booted.control.exitStatus;
}

function tssEsp0(booted: BootedProgram): number {
  return booted.read32(KI_TSS_ADDRESS + KTSS_ESP0);
}

function currentThread(booted: BootedProgram): number {
  return booted.read32(KIP0PCRADDRESS + KPCR_CURRENT_THREAD);
}

const READFILE = { file: samplePath('programs/readfile.asm') };

describe('NT model: boot', () => {
  it('enters ring 3 at the program with the XP selectors, tables and SharedUserData', () => {
    const booted = bootProgram(READFILE, { sep: true });
    runTo(booted, booted.symbol('program!start'));
    const r = booted.machine.registers();
    assert.strictEqual(r.cpl, 3);
    assert.strictEqual(r.cs.selector, KGDT_R3_CODE | RPL_MASK);
    assert.strictEqual(r.ss.selector, KGDT_R3_DATA | RPL_MASK);
    assert.strictEqual(r.ds.selector, KGDT_R3_DATA | RPL_MASK);
    assert.strictEqual(r.fs.selector, KGDT_R3_TEB | RPL_MASK);
    assert.strictEqual(r.fs.base, TEB_ADDRESS);
    assert.deepStrictEqual(r.gdtr, { base: KI_GDT_ADDRESS, limit: 0x3FF });
    assert.deepStrictEqual(r.idtr, { base: KI_IDT_ADDRESS, limit: 0x7FF });
    assert.strictEqual(r.tr.selector, KGDT_TSS);
    assert.strictEqual(r.tr.base, KI_TSS_ADDRESS);
    // Esp0 = InitialStack - NPX area (0x210) - the V86 fields (0x10): frames start at InitialStack - 0x29C
    assert.strictEqual(tssEsp0(booted), KERNEL_INITIAL_STACK - 0x220);
    assert.deepStrictEqual(r.msr, { sysenterCs: KGDT_R0_CODE, sysenterEsp: booted.symbol('nt!KiSysenterStack'), sysenterEip: booted.symbol('nt!KiFastCallEntry') });
    assert.strictEqual(booted.read32(MM_SHARED_USER_DATA_VA + KUSER_SHARED_DATA_SYSTEM_CALL), booted.symbol('ntdll!KiFastSystemCall'));
    assert.strictEqual(booted.read32(MM_SHARED_USER_DATA_VA + KUSER_SHARED_DATA_SYSTEM_CALL_RETURN), booted.symbol('ntdll!KiFastSystemCallRet'));
    assert.strictEqual(r.esp, 0x00130000);
    assert.strictEqual(booted.read32(TEB_ADDRESS + 0x18), TEB_ADDRESS, 'TEB.NtTib.Self');
    assert.strictEqual(booted.read32(TEB_ADDRESS), 0xFFFFFFFF, 'fs:[0] = the end of the SEH chain');
    const thread = currentThread(booted);
    assert.strictEqual(thread, booted.symbol('nt!KiInitialThread'));
    assert.strictEqual(booted.read32(thread + KTHREAD_INITIAL_STACK), KERNEL_INITIAL_STACK);
    assert.strictEqual(booted.read32(thread + KTHREAD_SERVICE_TABLE), booted.symbol('nt!KeServiceDescriptorTable'));
    assert.strictEqual(booted.read32(KIP0PCRADDRESS + 0x1C), KIP0PCRADDRESS, 'KPCR.SelfPcr');
  });

  it('lays out the IDT the seeds describe', () => {
    const booted = bootProgram(READFILE, { sep: true });
    runTo(booted, booted.symbol('program!start'));
    const gate = (vector: number): { offset: number; selector: number; attributes: number } => {
      const low = booted.read32(KI_IDT_ADDRESS + vector * 8);
      const high = booted.read32(KI_IDT_ADDRESS + vector * 8 + 4);
      return { offset: ((high & 0xFFFF0000) | (low & 0xFFFF)) >>> 0, selector: low >>> 16, attributes: high & 0xFFFF };
    };
    assert.deepStrictEqual(gate(0x2E), { offset: booted.symbol('nt!KiSystemService'), selector: KGDT_R0_CODE, attributes: 0xEE00 });
    assert.deepStrictEqual(gate(0x2A), { offset: booted.symbol('nt!KiGetTickCount'), selector: KGDT_R0_CODE, attributes: 0xEE00 });
    assert.deepStrictEqual(gate(0x03), { offset: booted.symbol('nt!KiTrap03'), selector: KGDT_R0_CODE, attributes: 0xEE00 });
    assert.deepStrictEqual(gate(0x0E), { offset: booted.symbol('nt!KiTrap0E'), selector: KGDT_R0_CODE, attributes: 0x8E00 });
    assert.deepStrictEqual(gate(0x30), { offset: booted.symbol('nt!HalpClockInterrupt'), selector: KGDT_R0_CODE, attributes: 0x8E00 });
    assert.strictEqual(gate(0x25).attributes & 0x8000, 0, 'the free vectors are not present');
  });

  it('maps KUSER_SHARED_DATA twice onto one page: user read-only, kernel writable', () => {
    const booted = bootProgram(READFILE, { sep: true });
    const machine = booted.machine;
    assert.strictEqual(machine.translate(MM_SHARED_USER_DATA_VA), machine.translate(KI_USER_SHARED_DATA));
    // the page-table self-map at 0xC0000000 shows the PTEs
    const pte = (virtual: number): number => booted.read32(PTE_BASE + (virtual >>> 12) * 4);
    assert.strictEqual(pte(MM_SHARED_USER_DATA_VA) & 0x7, 0x5, 'present, user, read-only');
    assert.strictEqual(pte(KI_USER_SHARED_DATA) & 0x7, 0x3, 'present, writable, supervisor');
    assert.strictEqual(pte(PROGRAM_IMAGE_BASE) & 0x7, 0x7);
    assert.strictEqual(pte(NTOSKRNL_BASE) & 0x4, 0, 'ntoskrnl is supervisor-only');
  });
});

describe('NT model: int 2Eh', () => {
  it('enters KiSystemService on the TSS stack and builds the trap frame at InitialStack - 0x29C', () => {
    const booted = bootProgram(READFILE, { sep: false });
    const intInstruction = booted.symbol('ntdll!KiIntSystemCall') + 4;   // after `lea edx, [esp+8]`
    runTo(booted, intInstruction);
    const user = booted.machine.registers();
    runTo(booted, booted.symbol('nt!KiSystemService'));
    const r = booted.machine.registers();
    const esp0 = tssEsp0(booted);
    assert.strictEqual(r.esp, esp0 - 0x14);
    assert.strictEqual(r.cs.selector, KGDT_R0_CODE);
    assert.deepStrictEqual([0, 4, 8, 12, 16].map((offset) => booted.read32(r.esp + offset)),
      [intInstruction + 2, KGDT_R3_CODE | RPL_MASK, user.eflags, user.esp, KGDT_R3_DATA | RPL_MASK]);

    runTo(booted, booted.symbol('nt!KiSystemServiceRepeat'));
    const frame = booted.machine.registers().ebp;
    assert.strictEqual(frame, KERNEL_INITIAL_STACK - 0x29C);
    assert.strictEqual(frame, esp0 - 0x7C);
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_EIP), intInstruction + 2);
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_CS), KGDT_R3_CODE | RPL_MASK);
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_ESP), user.esp);
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_SS), KGDT_R3_DATA | RPL_MASK);
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_DBG_ARG_MARK), DBG_ARG_MARK);
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_DBG_ARG_POINTER), user.edx);
    const thread = currentThread(booted);
    assert.strictEqual(booted.read32(thread + KTHREAD_TRAP_FRAME), frame);
    assert.strictEqual(booted.read32(thread + KTHREAD_PREVIOUS_MODE) & 0xFF, USER_MODE);
  });

  it('copies the argument block with rep movsd and calls nt!NtReadFile, which reads the kernel file', () => {
    const booted = bootProgram(READFILE, { sep: false });
    const callService = booted.symbol('nt!KiSystemServiceCopyArguments') + 2;   // after `rep movsd`
    runTo(booted, callService);
    const r = booted.machine.registers();
    assert.strictEqual(r.ebx, booted.symbol('nt!NtReadFile'));
    const userArguments = booted.read32(r.ebp + KTRAP_FRAME_DBG_ARG_POINTER);
    const copied = booted.machine.readLinear(r.esp, 9 * 4);
    assert.deepStrictEqual(copied, booted.machine.readLinear(userArguments, 9 * 4));
    assert.strictEqual(booted.read32(r.esp), 4, 'FileHandle');

    assert.strictEqual(runToExit(booted), 0, 'the program exits with NtReadFile\'s status');
    const ioStatus = booted.symbol('program!io_status');
    const read = booted.read32(ioStatus + 4);
    assert.strictEqual(booted.read32(ioStatus), 0);
    assert.strictEqual(read, 64, 'the buffer is shorter than the file');
    const text = String.fromCharCode(...booted.machine.readLinear(booted.symbol('program!buffer'), read).map((byte) => byte ?? 0));
    assert.ok(text.startsWith('This text was copied by nt!NtReadFile'), text);
    assert.deepStrictEqual(booted.interrupts.map((event) => event.vector), [0x2E, 0x2E]);
  });
});

describe('NT model: sysenter', () => {
  it('enters KiFastCallEntry, and leaves by sysexit with EDX = SystemCallReturn and ECX = the user stack', () => {
    const booted = bootProgram(READFILE, { sep: true });
    const sysenterInstruction = booted.symbol('ntdll!KiFastSystemCall') + 2;   // after `mov edx, esp`
    runTo(booted, sysenterInstruction);
    const user = booted.machine.registers();
    runTo(booted, booted.symbol('nt!KiFastCallEntry'));
    let r = booted.machine.registers();
    assert.strictEqual(r.cs.selector, KGDT_R0_CODE);
    assert.strictEqual(r.esp, booted.symbol('nt!KiSysenterStack'));
    assert.strictEqual(r.eflags & 0x200, 0, 'sysenter clears IF');

    runTo(booted, booted.symbol('nt!KiSystemServiceRepeat'));
    const frame = booted.machine.registers().ebp;
    assert.strictEqual(frame, tssEsp0(booted) - 0x7C);
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_EIP), booted.symbol('ntdll!KiFastSystemCallRet'));
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_ESP), user.esp);
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_DBG_ARG_POINTER), user.esp + 8);

    const exit2 = booted.symbol('nt!KiSystemCallExit2');
    const code = booted.machine.readLinear(exit2, 32);
    const sysexit = code.findIndex((byte, index) => byte === 0x0F && code[index + 1] === 0x35);
    assert.ok(sysexit > 0);
    runTo(booted, exit2 + sysexit);
    r = booted.machine.registers();
    assert.strictEqual(r.edx, booted.symbol('ntdll!KiFastSystemCallRet'));
    assert.strictEqual(r.ecx, user.esp);
    assert.strictEqual(r.eax, 0, 'NtReadFile succeeded');
    assert.strictEqual(runToExit(booted), 0);
  });
});

const BAD_CALLS = `
        bits 32
        org 0x400000
        extern NtTerminateProcess
        global start
start:
        mov eax, 0x0FFF                 ; past KiServiceLimit
        call dword [0x7FFE0300]
        mov [past_limit], eax
        mov eax, 0xB7                   ; NtReadFile with its arguments "in the kernel"
        mov edx, 0x80000000
        int 0x2E
        mov [kernel_pointer], eax
        mov eax, 0x19                   ; NtClose with arguments on an unmapped user page
        mov edx, 0x00001000
        int 0x2E
        mov [unmapped], eax
        push 0
        push -1
        call NtTerminateProcess
        section .data
past_limit:     dd 0
kernel_pointer: dd 0
unmapped:       dd 0
`;

describe('NT model: the dispatcher refuses bad calls', () => {
  for (const sep of [false, true]) {
    it(`returns 0xC000001C past the limit and 0xC0000005 for kernel or unmapped arguments (${sep ? 'sysenter' : 'int 2Eh'} machine)`, () => {
      const booted = bootProgram({ source: BAD_CALLS }, { sep });
      assert.strictEqual(runToExit(booted), 0);
      assert.strictEqual(booted.read32(booted.symbol('program!past_limit')), 0xC000001C);
      assert.strictEqual(booted.read32(booted.symbol('program!kernel_pointer')), 0xC0000005);
      assert.strictEqual(booted.read32(booted.symbol('program!unmapped')), 0xC0000005);
      const pageFault = booted.interrupts.find((event) => event.vector === 0x0E);
      assert.ok(pageFault, 'the argument copy faulted');
      assert.strictEqual(pageFault.fromCpl, 0);
    });
  }
});

function exceptionProgram(body: string): string {
  return `
        bits 32
        org 0x400000
        global start
start:
${body}
        hlt
`;
}

describe('NT model: exceptions without a handler end the process with their status', () => {
  const cases: { name: string; body: string; vector: number; status: number; errorCode?: number }[] = [
    { name: 'int3', body: '        int3', vector: 3, status: 0x80000003 },
    { name: 'divide by zero', body: '        xor ecx, ecx\n        div ecx', vector: 0, status: 0xC0000094 },
    { name: 'a read of kernel memory', body: '        mov eax, [0x804D7000]', vector: 0x0E, status: 0xC0000005, errorCode: 0x5 },
    { name: 'int through a DPL 0 gate', body: '        int 0x0E', vector: 0x0D, status: 0xC0000005, errorCode: 0x0E * 8 + 2 },
    { name: 'cli in ring 3', body: '        cli', vector: 0x0D, status: 0xC0000096, errorCode: 0 },
    { name: 'mov cr3 in ring 3', body: '        mov eax, cr3', vector: 0x0D, status: 0xC0000096, errorCode: 0 },
  ];
  for (const each of cases) {
    it(`${each.name}: vector ${each.vector}, exit status 0x${each.status.toString(16)}`, () => {
      const booted = bootProgram({ source: exceptionProgram(each.body) }, { sep: true });
      assert.strictEqual(runToExit(booted), each.status);
      const event = booted.interrupts.find((candidate) => candidate.vector === each.vector);
      assert.ok(event);
      assert.strictEqual(event.fromCpl, 3);
      if (each.errorCode !== undefined) assert.strictEqual(event.errorCode, each.errorCode);
    });
  }
});

describe('NT model: kernel callers, the clock and int 2Ah', () => {
  it('a driver\'s ZwClose goes through KiSystemService with PreviousMode = KernelMode', () => {
    const driver = `
        bits 32
        org 0x80600000
        extern ZwClose
        global DriverEntry
DriverEntry:
        push 4
        call ZwClose
        mov [result], eax
        xor eax, eax
        ret 8
result: dd 0xFFFFFFFF
`;
    const booted = bootProgram(READFILE, { sep: true, driver });
    runTo(booted, booted.symbol('nt!NtClose'));
    const thread = currentThread(booted);
    assert.strictEqual(booted.read32(thread + KTHREAD_PREVIOUS_MODE) & 0xFF, KERNEL_MODE);
    const frame = booted.machine.registers().ebp;
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_CS), KGDT_R0_CODE);
    assert.strictEqual(runToExit(booted), 0);
    assert.strictEqual(booted.read32(booted.symbol('driver!result')), 0);
  });

  it('the clock at 0x30 interrupts ring 3 and KiGetTickCount reports the ticks in milliseconds', () => {
    const source = `
        bits 32
        org 0x400000
        extern NtTerminateProcess
        global start
start:
        mov ecx, 3000
.spin:  loop .spin
        int 0x2A
        push eax
        push -1
        call NtTerminateProcess
`;
    const booted = bootProgram({ source }, { sep: true, clock: 500 });
    const status = runToExit(booted);
    const getTickCount = booted.interrupts.findIndex((event) => event.vector === 0x2A);
    assert.ok(getTickCount > 0);
    const ticksBefore = booted.interrupts.slice(0, getTickCount).filter((event) => event.vector === 0x30);
    assert.ok(ticksBefore.length >= 4, `only ${ticksBefore.length} clock interrupts`);
    assert.ok(ticksBefore.every((event) => event.kind === 'hardware' && event.fromCpl === 3), 'the spin loop runs in ring 3');
    assert.strictEqual(status, Math.floor((ticksBefore.length * 0x0FA00000) / 2 ** 24), 'TickCountLow * multiplier >> 24');
    assert.ok(booted.read32(KI_USER_SHARED_DATA) >= ticksBefore.length, 'KUSER_SHARED_DATA.TickCountLow counts the ticks');
  });
});

const SEH_PROGRAM = `
        bits 32
        org 0x400000
        extern NtTerminateProcess
        global start
start:
        push handler                    ; EXCEPTION_REGISTRATION_RECORD { Next, Handler } on the stack
        push dword [fs:0]
        mov [fs:0], esp
        mov dword [resume], .after_int3
        int3
.after_int3:
        mov dword [resume], .after_divide
        xor ecx, ecx
        div ecx
.after_divide:
        mov dword [resume], .after_read
        mov eax, [0x804D7000]
.after_read:
        mov dword [resume], .after_gate
        int 0x0E
.after_gate:
        pop dword [fs:0]
        add esp, 4
        push dword [count]
        push -1
        call NtTerminateProcess

handler:                                ; cdecl (ExceptionRecord, EstablisherFrame, ContextRecord, DispatcherContext)
        mov eax, [esp + 4]
        mov eax, [eax]                  ; ExceptionCode
        mov ecx, [count]
        mov [codes + ecx * 4], eax
        mov eax, [esp + 12]
        mov edx, [eax + 0xB8]           ; Context->Eip: where it happened
        mov [addresses + ecx * 4], edx
        inc dword [count]
        mov ecx, [resume]
        mov [eax + 0xB8], ecx           ; resume after the faulting instruction
        xor eax, eax                    ; ExceptionContinueExecution
        ret
        section .data
resume:         dd 0
count:          dd 0
codes:          times 4 dd 0
addresses:      times 4 dd 0
`;

describe('NT model: SEH dispatch through ntdll', () => {
  for (const sep of [true, false]) {
    it(`sends int3, #DE, #PF and #GP to the program's handler, which resumes each through NtContinue (${sep ? 'sysenter' : 'int 2Eh'})`, () => {
      const booted = bootProgram({ source: SEH_PROGRAM }, { sep, kernelInterface: true });
      const dispatcher = booted.symbol('ntdll!KiUserExceptionDispatcher');
      runTo(booted, dispatcher);
      const r = booted.machine.registers();
      assert.strictEqual(r.cpl, 3);
      const record = booted.read32(r.esp);
      const context = booted.read32(r.esp + 4);
      assert.strictEqual(booted.read32(record), 0x80000003, 'ExceptionCode');
      assert.strictEqual(booted.read32(context), 0x10007, 'ContextFlags = CONTEXT_FULL');
      assert.ok(record < context && context < 0x00130000, 'both on the user stack, the record below the CONTEXT');

      assert.strictEqual(runToExit(booted), 4, 'four exceptions handled');
      const codes = [0, 1, 2, 3].map((index) => booted.read32(booted.symbol('program!codes') + index * 4));
      assert.deepStrictEqual(codes, [0x80000003, 0xC0000094, 0xC0000005, 0xC0000005]);
      const faults = booted.interrupts.filter((event) => event.kind === 'exception' || (event.vector < 0x20 && event.fromCpl === 3));
      assert.deepStrictEqual(faults.map((event) => [event.vector, event.fromCpl]), [[3, 3], [0, 3], [0x0E, 3], [0x0D, 3]]);
      assert.strictEqual(faults[2].errorCode, 0x5, '#PF: present, read, user');
      assert.strictEqual(faults[3].errorCode, 0x0E * 8 + 2, '#GP: the IDT entry of vector 0x0E');
      const addresses = [0, 1, 2, 3].map((index) => booted.read32(booted.symbol('program!addresses') + index * 4));
      assert.strictEqual(booted.machine.readLinear(faults[0].eip, 1)[0], 0xCC);
      assert.strictEqual(addresses[0], faults[0].eip, 'a breakpoint\'s CONTEXT points at the int3 itself');
      assert.strictEqual(addresses[1], faults[1].eip);
    });
  }

  it('a handler that returns ExceptionContinueSearch leads to NtRaiseException\'s second chance: the process ends with the code', () => {
    const source = `
        bits 32
        org 0x400000
        global start
start:
        push handler
        push dword [fs:0]
        mov [fs:0], esp
        xor ecx, ecx
        div ecx
        hlt
handler:
        inc dword [calls]
        mov eax, 1                      ; ExceptionContinueSearch
        ret
        section .data
calls:  dd 0
`;
    const booted = bootProgram({ source }, { sep: true, kernelInterface: true });
    runTo(booted, booted.symbol('nt!NtRaiseException'));
    const frame = booted.machine.registers().ebp;
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_CS), KGDT_R3_CODE | RPL_MASK, 'called from ring 3 (ntdll)');
    assert.strictEqual(runToExit(booted), 0xC0000094);
    assert.strictEqual(booted.read32(booted.symbol('program!calls')), 1);
  });

  it('ends the process with the code when no handler takes the exception', () => {
    const booted = bootProgram({ source: exceptionProgram('        xor ecx, ecx\n        div ecx') }, { sep: true, kernelInterface: true });
    assert.strictEqual(runToExit(booted), 0xC0000094);
    assert.ok(booted.interrupts.some((event) => event.vector === 0), 'the #DE was raised');
  });
});

describe('NT model: another Windows version\'s numbering', () => {
  it('a Windows 2000 SP4 kernel serves NtReadFile as 0xA1 (the program calls int 2Eh itself, as NT4/2000 stubs did)', () => {
    const source = `
        bits 32
        org 0x400000
        global start
start:
        mov eax, 0xA1                   ; NtReadFile in Windows 2000 SP4
        mov edx, arguments
        int 0x2E
        mov [status], eax
        mov eax, 0xB7                   ; XP's NtReadFile: in 2000 the number means something else
        mov edx, arguments
        int 0x2E
        mov [other_status], eax
        push 0
        push -1
        mov eax, 0xE0                   ; NtTerminateProcess in Windows 2000 SP4
        mov edx, esp
        int 0x2E
        section .data
arguments:      dd 4, 0, 0, 0, io_status, buffer, 16, 0, 0
io_status:      dd 0xFFFFFFFF, 0
buffer:         times 16 db 0
status:         dd 0xFFFFFFFF
other_status:   dd 0xFFFFFFFF
`;
    const booted = bootProgram({ source }, { sep: false, windows: 'win2k-sp4' });
    assert.strictEqual(runToExit(booted), 0);
    assert.strictEqual(booted.read32(booted.symbol('program!status')), 0);
    assert.strictEqual(booted.read32(booted.symbol('program!io_status') + 4), 16);
    assert.notStrictEqual(booted.read32(booted.symbol('program!other_status')), 0);
    const table = booted.symbol('nt!KiServiceTable');
    assert.strictEqual(booted.read32(table + 0xA1 * 4), booted.symbol('nt!NtReadFile'));
  });
});

describe('NT model: the debug vectors and the bug check', () => {
  it('int 2Dh (KiDebugService) prints a DbgPrint string and skips the int3 after it', () => {
    const source = `
        bits 32
        org 0x400000
        extern NtTerminateProcess
        global start
start:
        mov eax, 1                      ; BREAKPOINT_PRINT
        mov ecx, message
        mov edx, message_length
        int 0x2D
        int3                            ; DebugPrint's breakpoint: the kernel steps over it
        push 0x1234
        push -1
        call NtTerminateProcess
message:        db "DbgPrint from ring 3", 10
message_length  equ $ - message
`;
    const booted = bootProgram({ source }, { sep: true });
    assert.strictEqual(runToExit(booted), 0x1234);
    assert.strictEqual(booted.output(), 'DbgPrint from ring 3\n');
    assert.ok(!booted.interrupts.some((event) => event.vector === 3), 'the int3 never ran');
  });

  it('int 2Ch (KiRaiseAssertion) raises STATUS_ASSERTION_FAILURE', () => {
    const booted = bootProgram({ source: exceptionProgram('        int 0x2C') }, { sep: true });
    assert.strictEqual(runToExit(booted), 0xC0000420);
  });

  it('a kernel-mode fault stops the machine with KMODE_EXCEPTION_NOT_HANDLED', () => {
    const driver = `
        bits 32
        org 0x80600000
        global DriverEntry
DriverEntry:
        mov eax, [0x00000010]           ; nothing is mapped there
        ret 8
`;
    const booted = bootProgram(READFILE, { sep: true, driver });
    const stop = booted.machine.runSlice(RUN_BUDGET);
    assert.strictEqual(stop.reason, 'hlt');
    assert.strictEqual(booted.control.exitStatus, undefined);
    const faultingInstruction = booted.symbol('driver!DriverEntry');
    assert.deepStrictEqual(booted.control.bugCheck, [0x1E, 0xC0000005, faultingInstruction, 0, 0x10]);
    assert.strictEqual(booted.output(), `\n*** STOP: 0x0000001E (0xC0000005,0x${faultingInstruction.toString(16).toUpperCase()},0x00000000,0x00000010)\n`);
  });
});

describe('NT model: more services', () => {
  it('NtCreateFile, NtQuerySystemInformation, NtYieldExecution, NtDelayExecution, NtCallbackReturn and int 2Bh', () => {
    const source = `
        bits 32
        org 0x400000
        global start
%macro SYSCALL 2                        ; service number, argument block
        mov eax, %1
        mov edx, %2
        int 0x2E
%endmacro
start:
        SYSCALL 0x25, create_arguments  ; NtCreateFile
        mov [results + 0], eax
        SYSCALL 0xAD, query_arguments   ; NtQuerySystemInformation(SystemBasicInformation)
        mov [results + 4], eax
        SYSCALL 0x116, 0                ; NtYieldExecution
        mov [results + 8], eax
        SYSCALL 0x3B, delay_arguments   ; NtDelayExecution(FALSE, -10 ticks)
        mov [results + 12], eax
        SYSCALL 0x14, callback_arguments ; NtCallbackReturn with no callback
        mov [results + 16], eax
        int 0x2B                        ; KiCallbackReturn with no callback
        mov [results + 20], eax
        push 0
        push -1
        mov eax, 0x101                  ; NtTerminateProcess
        mov edx, esp
        int 0x2E
        section .data
name:               dw 16, 18
                    dd name_text
name_text:          dw 'C', ':', '\\', 'd', 'e', 'm', 'o', 0
attributes:         dd 0x18, 0, name, 0x40, 0, 0
create_arguments:   dd handle, 0x80100080, attributes, create_status, 0, 0x80, 1, 1, 0x60, 0, 0
handle:             dd 0
create_status:      dd 0xFFFFFFFF, 0xFFFFFFFF
query_arguments:    dd 0, basic_information, 0x2C, returned
basic_information:  times 0x2C db 0xAA
returned:           dd 0
interval:           dd -1562500, -1
delay_arguments:    dd 0, interval
callback_arguments: dd 0, 0, 0
results:            times 6 dd 0xFFFFFFFF
`;
    const booted = bootProgram({ source }, { sep: false, clock: 2000 });
    assert.strictEqual(runToExit(booted), 0);
    const result = (index: number): number => booted.read32(booted.symbol('program!results') + index * 4);
    assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map(result), [0, 0, 0x40000024, 0, 0xC0000258, 0xC0000258]);
    assert.strictEqual(booted.read32(booted.symbol('program!handle')), 4);
    assert.deepStrictEqual([0, 4].map((offset) => booted.read32(booted.symbol('program!create_status') + offset)), [0, 1]);
    const basic = booted.symbol('program!basic_information');
    assert.strictEqual(booted.read32(booted.symbol('program!returned')), 0x2C);
    assert.strictEqual(booted.read32(basic + 8), 0x1000, 'PageSize');
    assert.strictEqual(booted.read32(basic + 0x0C), booted.machine.memory.pageCount, 'NumberOfPhysicalPages');
    assert.strictEqual(booted.read32(basic + 0x20), 0x7FFEFFFF, 'MaximumUserModeAddress');
    // the delay waited for the clock: 10 ticks of 15.625 ms
    const interruptTime = booted.read32(KI_USER_SHARED_DATA + 0x08);
    assert.ok(interruptTime >= 1562500, `InterruptTime ${interruptTime}`);
    assert.ok(booted.interrupts.filter((event) => event.vector === 0x30 && event.fromCpl === 0).length >= 9, 'the ticks arrived while the kernel waited');
  });
});

const CALLBACK_PROGRAM = `
        bits 32
        org 0x400000
        extern NtTerminateProcess
        global start
start:
        mov eax, [fs:0x30]              ; PEB
        mov dword [eax + 0x2C], callback_table   ; PEB.KernelCallbackTable, as user32 would set it
        push 21                         ; Argument
        push 0                          ; ApiNumber: callback_table[0]
        call NtUserInvokeCallback
        mov [first_result], eax
        push 50
        push 0
        call NtUserInvokeCallback       ; again: the thread is a GUI thread now
        push eax                        ; the exit status: the second result
        push 0
        push 1                          ; callback_table[1] ends with NtCallbackReturn
        call NtUserInvokeCallback
        mov [third_result], eax
        push -1
        call NtTerminateProcess

; the user32-side stub of the shadow service (as user32.dll has for NtUser* calls)
NtUserInvokeCallback:
        mov eax, 0x1000
        mov edx, 0x7FFE0300
        call dword [edx]
        ret 8

; NTSTATUS NTAPI double_it(PVOID InputBuffer, ULONG InputLength): runs in ring 3 inside the service
double_it:
        mov [callback_cs], cs
        mov eax, [esp + 4]
        mov eax, [eax]
        add eax, eax
        inc dword [callback_count]
        ret 8
; a callback that returns through the NtCallbackReturn service instead of int 2Bh
return_by_service:
        push 77                         ; Status
        push 0                          ; OutputLength
        push 0                          ; OutputBuffer
        mov eax, 0x14                   ; NtCallbackReturn
        mov edx, esp
        int 0x2E                        ; does not come back here
        hlt
        section .data
callback_table:     dd double_it, return_by_service
first_result:       dd 0
third_result:       dd 0
callback_count:     dd 0
callback_cs:        dd 0
`;

describe('NT model: user-mode callbacks from a win32k-style service', () => {
  for (const sep of [true, false]) {
    it(`a 0x1000 call makes the thread a GUI thread and calls back into ring 3; int 2Bh returns the result (${sep ? 'sysenter' : 'int 2Eh'})`, () => {
      const booted = bootProgram({ source: CALLBACK_PROGRAM }, { sep, kernelInterface: true });
      runTo(booted, booted.symbol('program!double_it'));
      const inCallback = booted.machine.registers();
      assert.strictEqual(inCallback.cpl, 3);
      const thread = currentThread(booted);
      assert.strictEqual(booted.read32(thread + KTHREAD_SERVICE_TABLE), booted.symbol('nt!KeServiceDescriptorTableShadow'));
      assert.notStrictEqual(booted.read32(thread + KTHREAD_CALLBACK_STACK), 0, 'KTHREAD.CallbackStack is set');
      assert.strictEqual(booted.read32(inCallback.esp + 8), 4, 'InputLength');
      assert.strictEqual(booted.read32(booted.read32(inCallback.esp + 4)), 21, 'the copied argument');

      assert.strictEqual(runToExit(booted), 100);
      assert.strictEqual(booted.read32(booted.symbol('program!first_result')), 42);
      assert.strictEqual(booted.read32(booted.symbol('program!third_result')), 77, 'NtCallbackReturn\'s Status');
      assert.strictEqual(booted.read32(booted.symbol('program!callback_count')), 2);
      assert.strictEqual(booted.read32(booted.symbol('program!callback_cs')) & 0xFFFF, 0x1B);
      assert.strictEqual(booted.read32(thread + KTHREAD_CALLBACK_STACK), 0, 'no callback active any more');
      assert.strictEqual(tssEsp0(booted), KERNEL_INITIAL_STACK - 0x220, 'Esp0 is back on the thread stack');
      const callbackReturns = booted.interrupts.filter((event) => event.vector === 0x2B);
      assert.strictEqual(callbackReturns.length, 2);
      assert.ok(callbackReturns.every((event) => event.fromCpl === 3 && event.handler === booted.symbol('nt!KiCallbackReturn')));
    });
  }
});

describe('NT model: the kernel patches itself and can be hooked', () => {
  for (const sep of [true, false]) {
    it(`KiSystemCallExitBranch jumps to ${sep ? 'KiSystemCallExit2 (sysexit)' : 'KiSystemCallExit (iretd)'} after boot`, () => {
      const booted = bootProgram(READFILE, { sep });
      runTo(booted, booted.symbol('program!start'));
      const branch = booted.symbol('nt!KiSystemCallExitBranch');
      const [opcode, displacement] = booted.machine.readLinear(branch, 2);
      assert.strictEqual(opcode, 0x75, 'jnz short');
      assert.strictEqual(branch + 2 + displacement!, booted.symbol(sep ? 'nt!KiSystemCallExit2' : 'nt!KiSystemCallExit'));
    });
  }

  it('a driver that replaces KiServiceTable[0xB7] runs before the original NtReadFile', () => {
    const driver = `
        bits 32
        org 0x80600000
        extern KeServiceDescriptorTable
        global DriverEntry
DriverEntry:
        mov eax, [KeServiceDescriptorTable]     ; ServiceTableBase: KiServiceTable
        mov ecx, [eax + 0xB7 * 4]
        mov [original], ecx
        mov dword [eax + 0xB7 * 4], hook        ; the SSDT hook
        xor eax, eax
        ret 8
hook:
        inc dword [calls]
        mov eax, [esp + 4]
        mov [seen_handle], eax
        jmp dword [original]                    ; same stack: the original pops the arguments
original:       dd 0
calls:          dd 0
seen_handle:    dd 0
`;
    const booted = bootProgram(READFILE, { sep: true, driver });
    runTo(booted, booted.symbol('driver!hook'));
    runTo(booted, booted.symbol('nt!NtReadFile'));
    assert.strictEqual(runToExit(booted), 0, 'NtReadFile still succeeds');
    assert.strictEqual(booted.read32(booted.symbol('driver!calls')), 1);
    assert.strictEqual(booted.read32(booted.symbol('driver!seen_handle')), 4);
  });
});

describe('NT model: a process start thunk', () => {
  it('ring 3 can start in ntdll with the program\'s entry in EAX; the program\'s return value becomes the exit status', () => {
    const thunk = `
        global BaseProcessStartThunk
BaseProcessStartThunk:
        xor ebp, ebp
        call eax                        ; the program's entry, from the boot block via the trap frame
        push eax
        push -1
        call NtTerminateProcess
`;
    const program = `
        bits 32
        org 0x400000
        global start
start:
        mov eax, 0x55
        ret
`;
    const booted = bootProgram({ source: program }, { sep: true, ntdllAddition: thunk, startThunk: true });
    runTo(booted, booted.symbol('ntdll!BaseProcessStartThunk'));
    assert.strictEqual(booted.machine.registers().eax, booted.symbol('program!start'));
    assert.strictEqual(runToExit(booted), 0x55);
  });
});

describe('NT model: the clock interrupt\'s trap frame', () => {
  it('HalpClockInterrupt builds a _KTRAP_FRAME that points back at the interrupted ring-3 loop', () => {
    const source = `
        bits 32
        org 0x400000
        global start
start:
        mov ecx, 100000
.spin:  loop .spin
        hlt
`;
    const booted = bootProgram({ source }, { sep: true, clock: 1000 });
    runTo(booted, booted.symbol('nt!KeUpdateSystemTime'));
    const frame = booted.machine.registers().ebp;
    assert.strictEqual(frame, tssEsp0(booted) - 0x7C, 'the same place a system call\'s frame goes');
    const interrupted = booted.read32(frame + KTRAP_FRAME_EIP);
    assert.ok(interrupted >= booted.symbol('program!start') && interrupted < booted.symbol('program!start') + 16);
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_CS), KGDT_R3_CODE | RPL_MASK);
    assert.strictEqual(booted.read32(frame + KTRAP_FRAME_ESP), 0x00130000);
  });
});
