// System instructions: descriptor-table registers, task and LDT registers, control and debug registers,
// MSRs, rdtsc, cpuid, hlt, sysenter/sysexit (transcribed from the SDM pseudo-code), lar lsl verr verw arpl.
import type { Cpu } from './cpu';
import { ATTENTION_FLAGS, ATTENTION_HALT, SEG_CS, SEG_SS } from './cpu';
import {
  CR0_CD, CR0_EM, CR0_MP, CR0_NW, CR0_PE, CR0_PG, CR0_TS, CR4_DE, CR4_PCE, CR4_SUPPORTED, CR4_TSD, FLAG_IF, FLAG_RF,
  FLAG_VM, FLAG_ZF, MSR_SYSENTER_CS, MSR_SYSENTER_EIP, MSR_SYSENTER_ESP, MSR_TSC, VECTOR_GP, VECTOR_NP, VECTOR_UD,
} from './constants';
import { DecodedEntry, Handler, OPERAND_CONTROL_REGISTER, OPERAND_DEBUG_REGISTER } from './decoded-entry';
import { materializeFlags, setFlag } from './flags';
import { advance, readOperand0, readOperand1, writeOperand0 } from './operands';
import {
  descriptorBase, descriptorDpl, descriptorLimit, descriptorPresent, isCodeDescriptor, isDataDescriptor, readDescriptor,
  systemType,
} from './segment';

// ---------------------------------------------------------------- descriptor-table registers

function loadTableRegister(cpu: Cpu, entry: DecodedEntry): void {
  const address = cpu.effectiveAddress(entry);
  const limit = cpu.read16(entry.segment, address);
  let base = cpu.read32(entry.segment, (address + 2) & entry.addressMask);
  if (entry.operandBytes === 2) base &= 0xFFFFFF;
  if (entry.operation === 0) { cpu.gdtBase = base | 0; cpu.gdtLimit = limit; }
  else { cpu.idtBase = base | 0; cpu.idtLimit = limit; }
  advance(cpu, entry);
}

function storeTableRegister(cpu: Cpu, entry: DecodedEntry): void {
  const address = cpu.effectiveAddress(entry);
  const gdt = entry.operation === 0;
  cpu.write16(entry.segment, address, gdt ? cpu.gdtLimit : cpu.idtLimit);
  cpu.write32(entry.segment, (address + 2) & entry.addressMask, gdt ? cpu.gdtBase : cpu.idtBase);
  advance(cpu, entry);
}

function loadLdt(cpu: Cpu, entry: DecodedEntry): void {
  const selector = readOperand0(cpu, entry) & 0xFFFF;
  if ((selector & 0xFFFC) === 0) {
    cpu.ldtSelector = selector; cpu.ldtBase = 0; cpu.ldtLimit = 0;
    advance(cpu, entry);
    return;
  }
  if ((selector & 4) !== 0) cpu.raise(VECTOR_GP, selector & 0xFFFC);
  const descriptor = readDescriptor(cpu, selector);
  if (descriptor === undefined || systemType(descriptor) !== 2) return cpu.raise(VECTOR_GP, selector & 0xFFFC);
  if (!descriptorPresent(descriptor)) cpu.raise(VECTOR_NP, selector & 0xFFFC);
  cpu.ldtSelector = selector;
  cpu.ldtBase = descriptorBase(descriptor) | 0;
  cpu.ldtLimit = descriptorLimit(descriptor);
  advance(cpu, entry);
}

function loadTaskRegister(cpu: Cpu, entry: DecodedEntry): void {
  const selector = readOperand0(cpu, entry) & 0xFFFF;
  if ((selector & 0xFFFC) === 0) cpu.raise(VECTOR_GP, 0);
  if ((selector & 4) !== 0) cpu.raise(VECTOR_GP, selector & 0xFFFC);
  const descriptor = readDescriptor(cpu, selector);
  if (descriptor === undefined) return cpu.raise(VECTOR_GP, selector & 0xFFFC);
  const type = systemType(descriptor);
  if (type !== 9 && type !== 1) cpu.raise(VECTOR_GP, selector & 0xFFFC);
  if (!descriptorPresent(descriptor)) cpu.raise(VECTOR_NP, selector & 0xFFFC);
  // ltr marks the TSS busy in the GDT
  descriptor.high |= 0x200;
  cpu.writeSystem32((descriptor.address + 4) | 0, descriptor.high);
  cpu.trSelector = selector;
  cpu.trBase = descriptorBase(descriptor) | 0;
  cpu.trLimit = descriptorLimit(descriptor);
  cpu.trType = type | 2;
  advance(cpu, entry);
}

function storeSelectorRegister(cpu: Cpu, entry: DecodedEntry): void {
  writeOperand0(cpu, entry, entry.operation === 0 ? cpu.ldtSelector : cpu.trSelector);
  advance(cpu, entry);
}

function storeMachineStatusWord(cpu: Cpu, entry: DecodedEntry): void {
  writeOperand0(cpu, entry, entry.size0 === 4 ? cpu.cr0 : cpu.cr0 & 0xFFFF);
  advance(cpu, entry);
}

function loadMachineStatusWord(cpu: Cpu, entry: DecodedEntry): void {
  const value = readOperand0(cpu, entry) & 0xF;
  // lmsw can set PE but never clear it
  cpu.writeCr0((cpu.cr0 & ~(CR0_MP | CR0_EM | CR0_TS)) | value | (cpu.cr0 & CR0_PE));
  advance(cpu, entry);
}

function clearTaskSwitched(cpu: Cpu, entry: DecodedEntry): void {
  cpu.cr0 &= ~CR0_TS;
  advance(cpu, entry);
}

function invalidatePage(cpu: Cpu, entry: DecodedEntry): void {
  cpu.invalidatePage((cpu.segBase[entry.segment] + cpu.effectiveAddress(entry)) | 0);
  advance(cpu, entry);
}

// ---------------------------------------------------------------- control and debug registers

function moveFromSpecial(cpu: Cpu, entry: DecodedEntry): void {
  let value: number;
  if (entry.kind1 === OPERAND_CONTROL_REGISTER) {
    switch (entry.arg1) {
      case 0: value = cpu.cr0; break;
      case 2: value = cpu.cr2; break;
      case 3: value = cpu.cr3; break;
      case 4: value = cpu.cr4; break;
      default: return cpu.raise(VECTOR_UD);
    }
  } else {
    value = cpu.debugRegisters[debugRegisterNumber(cpu, entry.arg1)];
  }
  writeOperand0(cpu, entry, value);
  advance(cpu, entry);
}

function debugRegisterNumber(cpu: Cpu, number: number): number {
  if (number === 4 || number === 5) {
    if ((cpu.cr4 & CR4_DE) !== 0) cpu.raise(VECTOR_UD);
    return number + 2;
  }
  return number;
}

function moveToSpecial(cpu: Cpu, entry: DecodedEntry): void {
  const value = readOperand1(cpu, entry);
  if (entry.kind0 === OPERAND_CONTROL_REGISTER) {
    switch (entry.arg0) {
      case 0:
        if ((value & CR0_PG) !== 0 && (value & CR0_PE) === 0) cpu.raise(VECTOR_GP, 0);
        if ((value & CR0_NW) !== 0 && (value & CR0_CD) === 0) cpu.raise(VECTOR_GP, 0);
        // Real mode is not part of the model: clearing PE is refused rather than silently ignored.
        if ((value & CR0_PE) === 0) cpu.raise(VECTOR_GP, 0);
        cpu.writeCr0(value);
        break;
      case 2: cpu.cr2 = value | 0; break;
      case 3: cpu.setCr3(value); break;
      case 4:
        if ((value & ~CR4_SUPPORTED) !== 0) cpu.raise(VECTOR_GP, 0);
        cpu.cr4 = value | 0;
        cpu.updateMemoryMode();
        break;
      default: cpu.raise(VECTOR_UD);
    }
  } else if (entry.kind0 === OPERAND_DEBUG_REGISTER) {
    cpu.debugRegisters[debugRegisterNumber(cpu, entry.arg0)] = value;
  }
  advance(cpu, entry);
}

// ---------------------------------------------------------------- MSRs, counters, identification

function readTsc(cpu: Cpu): bigint {
  return BigInt.asUintN(64, BigInt(cpu.instructionCount + cpu.retiredInRun) + BigInt(cpu.tscOffset));
}

function readMsr(cpu: Cpu, entry: DecodedEntry): void {
  const index = cpu.r32[1] >>> 0;
  let value: bigint;
  switch (index) {
    case MSR_TSC: value = readTsc(cpu); break;
    case MSR_SYSENTER_CS: value = BigInt(cpu.sysenterCs >>> 0); break;
    case MSR_SYSENTER_ESP: value = BigInt(cpu.sysenterEsp >>> 0); break;
    case MSR_SYSENTER_EIP: value = BigInt(cpu.sysenterEip >>> 0); break;
    default: return cpu.raise(VECTOR_GP, 0);
  }
  cpu.r32[0] = Number(value & 0xFFFFFFFFn);
  cpu.r32[2] = Number(value >> 32n);
  advance(cpu, entry);
}

function writeMsr(cpu: Cpu, entry: DecodedEntry): void {
  const index = cpu.r32[1] >>> 0;
  const low = cpu.r32[0];
  const value = (BigInt(cpu.r32[2] >>> 0) << 32n) | BigInt(low >>> 0);
  switch (index) {
    case MSR_TSC: cpu.tscOffset = Number(BigInt.asIntN(53, value - BigInt(cpu.instructionCount + cpu.retiredInRun))); break;
    case MSR_SYSENTER_CS: cpu.sysenterCs = low & 0xFFFF; break;
    case MSR_SYSENTER_ESP: cpu.sysenterEsp = low; break;
    case MSR_SYSENTER_EIP: cpu.sysenterEip = low; break;
    default: return cpu.raise(VECTOR_GP, 0);
  }
  advance(cpu, entry);
}

function readTimeStampCounter(cpu: Cpu, entry: DecodedEntry): void {
  if ((cpu.cr4 & CR4_TSD) !== 0 && cpu.cpl !== 0) cpu.raise(VECTOR_GP, 0);
  const value = readTsc(cpu);
  cpu.r32[0] = Number(value & 0xFFFFFFFFn);
  cpu.r32[2] = Number(value >> 32n);
  advance(cpu, entry);
}

function readPerformanceCounter(cpu: Cpu, entry: DecodedEntry): void {
  if ((cpu.cr4 & CR4_PCE) === 0 && cpu.cpl !== 0) cpu.raise(VECTOR_GP, 0);
  if ((cpu.r32[1] >>> 0) > 1) cpu.raise(VECTOR_GP, 0);
  cpu.r32[0] = 0;
  cpu.r32[2] = 0;
  advance(cpu, entry);
}

/** CPUID.1:EDX bits the model reports: DE, PSE, TSC, MSR, CX8, SEP (switchable), CMOV. */
const CPUID_FEATURES = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 15);
const CPUID_SEP = 1 << 11;
/** Pentium II (Deschutes): family 6, model 5, stepping 2. */
const CPUID_SIGNATURE = 0x00000652;

function identify(cpu: Cpu, entry: DecodedEntry): void {
  const leaf = cpu.r32[0] >>> 0;
  const r = cpu.r32;
  switch (leaf) {
    case 0:
      r[0] = 2;
      r[3] = 0x756E6547; // "Genu"
      r[2] = 0x49656E69; // "ineI"
      r[1] = 0x6C65746E; // "ntel"
      break;
    case 1:
      r[0] = CPUID_SIGNATURE;
      r[3] = 0;
      r[1] = 0;
      r[2] = CPUID_FEATURES | (cpu.sepSupported ? CPUID_SEP : 0);
      break;
    case 2:
      r[0] = 0x03020101; r[3] = 0; r[1] = 0; r[2] = 0x0C040843;
      break;
    default:
      r[0] = 0; r[3] = 0; r[1] = 0; r[2] = 0;
  }
  advance(cpu, entry);
}

function halt(cpu: Cpu, entry: DecodedEntry): void {
  advance(cpu, entry);
  cpu.halted = true;
  cpu.attention |= ATTENTION_HALT;
}

function undefinedOpcode(cpu: Cpu): void {
  cpu.raise(VECTOR_UD);
}

function noOperation(cpu: Cpu, entry: DecodedEntry): void {
  advance(cpu, entry);
}

// ---------------------------------------------------------------- sysenter / sysexit

const FLAT_CODE_ATTRIBUTES = 0xC09B;  // G, D, P, S, type 0xB (execute/read, accessed)
const FLAT_DATA_ATTRIBUTES = 0xC093;  // G, B, P, S, type 0x3 (read/write, accessed)

/** SDM SYSENTER: to CPL 0 at SYSENTER_EIP with flat CS = SYSENTER_CS, SS = SYSENTER_CS + 8. */
function systemEnter(cpu: Cpu, entry: DecodedEntry): void {
  if ((cpu.cr0 & CR0_PE) === 0 || (cpu.sysenterCs & 0xFFFC) === 0) cpu.raise(VECTOR_GP, 0);
  const fromCpl = cpu.cpl;
  const fromEip = cpu.eip;
  materializeFlags(cpu);
  cpu.flags &= ~(FLAG_VM | FLAG_IF | FLAG_RF);
  cpu.setSegmentCache(SEG_CS, cpu.sysenterCs & 0xFFFC, 0, 0xFFFFFFFF, FLAT_CODE_ATTRIBUTES);
  cpu.setSegmentCache(SEG_SS, (cpu.sysenterCs + 8) & 0xFFFC, 0, 0xFFFFFFFF, FLAT_DATA_ATTRIBUTES);
  cpu.r32[4] = cpu.sysenterEsp;
  cpu.setCpl(0);
  cpu.jumpTo(cpu.sysenterEip);
  cpu.attention |= ATTENTION_FLAGS;
  if (cpu.stopOnSysenter) {
    cpu.requestStop({ reason: 'sysenter', eip: cpu.eip >>> 0, message: `sysenter from CPL ${fromCpl} at 0x${(fromEip >>> 0).toString(16).padStart(8, '0')}` });
  }
  void entry;
}

/** SDM SYSEXIT: to CPL 3 at EDX with ESP = ECX, CS = SYSENTER_CS + 16 | 3, SS = SYSENTER_CS + 24 | 3. */
function systemExit(cpu: Cpu, entry: DecodedEntry): void {
  if ((cpu.sysenterCs & 0xFFFC) === 0 || (cpu.cr0 & CR0_PE) === 0 || cpu.cpl !== 0) cpu.raise(VECTOR_GP, 0);
  const fromEip = cpu.eip;
  cpu.setSegmentCache(SEG_CS, ((cpu.sysenterCs + 16) & 0xFFFC) | 3, 0, 0xFFFFFFFF, FLAT_CODE_ATTRIBUTES | 0x60);
  cpu.setSegmentCache(SEG_SS, ((cpu.sysenterCs + 24) & 0xFFFC) | 3, 0, 0xFFFFFFFF, FLAT_DATA_ATTRIBUTES | 0x60);
  cpu.r32[4] = cpu.r32[1];
  cpu.setCpl(3);
  cpu.jumpTo(cpu.r32[2]);
  cpu.attention |= ATTENTION_FLAGS;
  if (cpu.stopOnSysexit) {
    cpu.requestStop({ reason: 'sysexit', eip: cpu.eip >>> 0, message: `sysexit at 0x${(fromEip >>> 0).toString(16).padStart(8, '0')}` });
  }
  void entry;
}

// ---------------------------------------------------------------- lar lsl verr verw arpl

/** The descriptor a lar/lsl/verr/verw selector names, if the current privilege may see it. */
function visibleDescriptor(cpu: Cpu, selector: number, systemTypes: readonly number[]): ReturnType<typeof readDescriptor> {
  if ((selector & 0xFFFC) === 0) return undefined;
  const descriptor = readDescriptor(cpu, selector);
  if (descriptor === undefined) return undefined;
  const conformingCode = isCodeDescriptor(descriptor) && (descriptor.high & 0x400) !== 0;
  if (!isCodeDescriptor(descriptor) && !isDataDescriptor(descriptor) && !systemTypes.includes(systemType(descriptor))) return undefined;
  const dpl = descriptorDpl(descriptor);
  if (!conformingCode && (dpl < cpu.cpl || dpl < (selector & 3))) return undefined;
  return descriptor;
}

function loadAccessRights(cpu: Cpu, entry: DecodedEntry): void {
  const descriptor = visibleDescriptor(cpu, readOperand1(cpu, entry) & 0xFFFF, [1, 2, 3, 4, 5, 9, 11, 12, 14, 15]);
  setFlag(cpu, FLAG_ZF, descriptor !== undefined);
  if (descriptor !== undefined) {
    const rights = descriptor.high & 0x00F0FF00;
    if (entry.size0 === 4) cpu.r32[entry.arg0] = rights; else cpu.r16[entry.arg0] = rights & 0xFFFF;
  }
  advance(cpu, entry);
}

function loadSegmentLimit(cpu: Cpu, entry: DecodedEntry): void {
  const descriptor = visibleDescriptor(cpu, readOperand1(cpu, entry) & 0xFFFF, [1, 2, 3, 9, 11]);
  setFlag(cpu, FLAG_ZF, descriptor !== undefined);
  if (descriptor !== undefined) {
    const limit = descriptorLimit(descriptor);
    if (entry.size0 === 4) cpu.r32[entry.arg0] = limit; else cpu.r16[entry.arg0] = limit & 0xFFFF;
  }
  advance(cpu, entry);
}

function verifySegment(cpu: Cpu, entry: DecodedEntry): void {
  const descriptor = visibleDescriptor(cpu, readOperand0(cpu, entry) & 0xFFFF, []);
  let ok = descriptor !== undefined;
  if (descriptor !== undefined) {
    if (entry.operation === 0) ok = isDataDescriptor(descriptor) || (descriptor.high & 0x200) !== 0;
    else ok = isDataDescriptor(descriptor) && (descriptor.high & 0x200) !== 0;
  }
  setFlag(cpu, FLAG_ZF, ok);
  advance(cpu, entry);
}

function adjustRpl(cpu: Cpu, entry: DecodedEntry): void {
  const destination = readOperand0(cpu, entry);
  const source = readOperand1(cpu, entry);
  if ((destination & 3) < (source & 3)) {
    writeOperand0(cpu, entry, (destination & ~3) | (source & 3));
    setFlag(cpu, FLAG_ZF, true);
  } else {
    setFlag(cpu, FLAG_ZF, false);
  }
  advance(cpu, entry);
}

export function resolveSystem(mnemonic: string, entry: DecodedEntry): Handler | undefined {
  switch (mnemonic) {
    case 'lgdt': entry.operation = 0; return loadTableRegister;
    case 'lidt': entry.operation = 1; return loadTableRegister;
    case 'sgdt': entry.operation = 0; return storeTableRegister;
    case 'sidt': entry.operation = 1; return storeTableRegister;
    case 'lldt': return loadLdt;
    case 'ltr': return loadTaskRegister;
    case 'sldt': entry.operation = 0; return storeSelectorRegister;
    case 'str': entry.operation = 1; return storeSelectorRegister;
    case 'smsw': return storeMachineStatusWord;
    case 'lmsw': return loadMachineStatusWord;
    case 'clts': return clearTaskSwitched;
    case 'invlpg': return invalidatePage;
    case 'invd': case 'wbinvd': return noOperation;
    case 'mov':
      if (entry.kind0 === OPERAND_CONTROL_REGISTER || entry.kind0 === OPERAND_DEBUG_REGISTER) return moveToSpecial;
      return moveFromSpecial;
    case 'rdmsr': return readMsr;
    case 'wrmsr': return writeMsr;
    case 'rdtsc': return readTimeStampCounter;
    case 'rdpmc': return readPerformanceCounter;
    case 'cpuid': return identify;
    case 'hlt': return halt;
    case 'rsm': return undefinedOpcode;
    case 'sysenter': return systemEnter;
    case 'sysexit': return systemExit;
    case 'lar': return loadAccessRights;
    case 'lsl': return loadSegmentLimit;
    case 'verr': entry.operation = 0; return verifySegment;
    case 'verw': entry.operation = 1; return verifySegment;
    case 'arpl': return adjustRpl;
    default: return undefined;
  }
}
