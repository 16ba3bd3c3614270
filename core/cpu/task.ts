// Hardware task switches through task gates and back with iretd (SDM vol. 3 7.3), the subset NT uses:
// IDT[8] (#DF) is a task gate to KGDT_DF_TSS, and the double-fault task returns (if ever) with iretd.
import type { Cpu } from './cpu';
import { ATTENTION_FLAGS, SEG_CS, SEG_SS } from './cpu';
import { CR0_PG, CR0_TS, FLAG_NT, FLAG_RESERVED_1, VECTOR_GP, VECTOR_NP, VECTOR_TS, WRITABLE_FLAGS } from './constants';
import { readEflags } from './flags';
import {
  descriptorAttributes, descriptorBase, descriptorDpl, descriptorLimit, descriptorPresent, isCodeDescriptor,
  isDataDescriptor, readDescriptor, systemType,
} from './segment';

/** 32-bit TSS offsets (KTSS in NT-MODEL.md). */
const TSS_BACKLINK = 0x00;
const TSS_CR3 = 0x1C;
const TSS_EIP = 0x20;
const TSS_EFLAGS = 0x24;
const TSS_EAX = 0x28;
const TSS_ES = 0x48;
const TSS_LDT = 0x60;
const TSS_MINIMUM_LIMIT = 0x67;

export type TaskSwitchReason = 'interrupt' | 'iret';

/**
 * Switches to the task `selector` names. For 'interrupt' the new task is nested (back link, NT set);
 * for 'iret' the current task is left (busy cleared). `returnEip` is saved as the old task's EIP.
 */
export function switchTask(cpu: Cpu, selector: number, reason: TaskSwitchReason, returnEip: number, external: number): void {
  const errorCode = (selector & 0xFFFC) | external;
  if ((selector & 4) !== 0) cpu.raise(VECTOR_TS, errorCode);
  const descriptor = readDescriptor(cpu, selector);
  if (descriptor === undefined) return cpu.raise(VECTOR_GP, errorCode);
  const type = systemType(descriptor);
  if (reason === 'iret' ? type !== 11 : type !== 9) cpu.raise(VECTOR_GP, errorCode);
  if (!descriptorPresent(descriptor)) cpu.raise(VECTOR_NP, errorCode);
  const newBase = descriptorBase(descriptor) | 0;
  const newLimit = descriptorLimit(descriptor);
  if (newLimit < TSS_MINIMUM_LIMIT) cpu.raise(VECTOR_TS, errorCode);
  if (cpu.trLimit < TSS_MINIMUM_LIMIT) cpu.raise(VECTOR_TS, (cpu.trSelector & 0xFFFC) | external);

  // Save the outgoing task.
  const oldBase = cpu.trBase;
  const oldSelector = cpu.trSelector;
  let oldEflags = readEflags(cpu);
  if (reason === 'iret') oldEflags &= ~FLAG_NT;
  cpu.writeSystem32((oldBase + TSS_EIP) | 0, returnEip);
  cpu.writeSystem32((oldBase + TSS_EFLAGS) | 0, oldEflags);
  for (let register = 0; register < 8; register++) cpu.writeSystem32((oldBase + TSS_EAX + register * 4) | 0, cpu.r32[register]);
  for (let segment = 0; segment < 6; segment++) cpu.writeSystem32((oldBase + TSS_ES + segment * 4) | 0, cpu.segSelector[segment]);
  if (reason === 'iret') setBusy(cpu, oldSelector, false);

  // Read the incoming task before anything of it is loaded.
  const read = (offset: number): number => cpu.readSystem32((newBase + offset) | 0);
  const cr3 = read(TSS_CR3);
  const eip = read(TSS_EIP);
  let eflags = read(TSS_EFLAGS);
  const registers: number[] = [];
  for (let register = 0; register < 8; register++) registers.push(read(TSS_EAX + register * 4));
  const selectors: number[] = [];
  for (let segment = 0; segment < 6; segment++) selectors.push(read(TSS_ES + segment * 4) & 0xFFFF);
  const ldt = read(TSS_LDT) & 0xFFFF;
  if (reason === 'interrupt') {
    cpu.writeSystem32((newBase + TSS_BACKLINK) | 0, oldSelector);
    eflags |= FLAG_NT;
    setBusy(cpu, selector, true);
  }

  // Commit: TR, CR3, registers, flags; then the segment registers, whose faults belong to the new task.
  cpu.trSelector = selector;
  cpu.trBase = newBase;
  cpu.trLimit = newLimit;
  cpu.trType = 11;
  cpu.cr0 |= CR0_TS;
  if ((cpu.cr0 & CR0_PG) !== 0 && cr3 !== cpu.cr3) cpu.setCr3(cr3);
  for (let register = 0; register < 8; register++) cpu.r32[register] = registers[register];
  cpu.flags = ((eflags & WRITABLE_FLAGS) | FLAG_RESERVED_1) | 0;
  cpu.lazyFlags = 0;
  loadTaskLdt(cpu, ldt);
  const cpl = selectors[SEG_CS] & 3;
  loadTaskSegment(cpu, SEG_CS, selectors[SEG_CS], cpl);
  if (cpu.cpl !== cpl) cpu.setCpl(cpl); else cpu.updateAccessMasks();
  loadTaskSegment(cpu, SEG_SS, selectors[SEG_SS], cpl);
  for (const segment of [0, 3, 4, 5]) loadTaskSegment(cpu, segment, selectors[segment], cpl);
  cpu.jumpTo(eip);
  cpu.attention |= ATTENTION_FLAGS;
}

function setBusy(cpu: Cpu, selector: number, busy: boolean): void {
  const address = (cpu.gdtBase + (selector & 0xFFF8) + 4) | 0;
  const high = cpu.readSystem32(address);
  cpu.writeSystem32(address, busy ? high | 0x200 : high & ~0x200);
}

function loadTaskLdt(cpu: Cpu, selector: number): void {
  if ((selector & 0xFFFC) === 0) {
    cpu.ldtSelector = selector; cpu.ldtBase = 0; cpu.ldtLimit = 0;
    return;
  }
  const descriptor = (selector & 4) === 0 ? readDescriptor(cpu, selector) : undefined;
  if (descriptor === undefined || systemType(descriptor) !== 2) return cpu.raise(VECTOR_TS, selector & 0xFFFC);
  if (!descriptorPresent(descriptor)) cpu.raise(VECTOR_TS, selector & 0xFFFC);
  cpu.ldtSelector = selector;
  cpu.ldtBase = descriptorBase(descriptor) | 0;
  cpu.ldtLimit = descriptorLimit(descriptor);
}

function loadTaskSegment(cpu: Cpu, segment: number, selector: number, cpl: number): void {
  const errorCode = selector & 0xFFFC;
  if (errorCode === 0) {
    if (segment === SEG_CS || segment === SEG_SS) cpu.raise(VECTOR_TS, 0);
    cpu.setSegmentCache(segment, selector, 0, 0, 0, false);
    return;
  }
  const descriptor = readDescriptor(cpu, selector);
  if (descriptor === undefined) return cpu.raise(VECTOR_TS, errorCode);
  const dpl = descriptorDpl(descriptor);
  if (segment === SEG_CS) {
    if (!isCodeDescriptor(descriptor)) cpu.raise(VECTOR_TS, errorCode);
  } else if (segment === SEG_SS) {
    if (!isDataDescriptor(descriptor) || (descriptor.high & 0x200) === 0 || dpl !== cpl) cpu.raise(VECTOR_TS, errorCode);
  } else if (!isDataDescriptor(descriptor) && !(isCodeDescriptor(descriptor) && (descriptor.high & 0x200) !== 0)) {
    cpu.raise(VECTOR_TS, errorCode);
  }
  if (!descriptorPresent(descriptor)) cpu.raise(segment === SEG_SS ? 0x0C : VECTOR_NP, errorCode);
  cpu.setSegmentCache(segment, selector, descriptorBase(descriptor), descriptorLimit(descriptor), descriptorAttributes(descriptor));
}
