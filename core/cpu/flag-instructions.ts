// Flag instructions: clc stc cmc cld std cli sti lahf sahf (cli/sti are IOPL-sensitive; sti holds
// interrupts off for one more instruction).
import type { Cpu } from './cpu';
import { ATTENTION_FLAGS, ATTENTION_SHADOW } from './cpu';
import { FLAG_AF, FLAG_CF, FLAG_DF, FLAG_IF, FLAG_IOPL, FLAG_PF, FLAG_SF, FLAG_ZF, VECTOR_GP } from './constants';
import { DecodedEntry, Handler } from './decoded-entry';
import { getCF, readEflags, setFlag, writeEflagsBits } from './flags';
import { advance } from './operands';

function checkIopl(cpu: Cpu): void {
  if (cpu.cpl > ((cpu.flags & FLAG_IOPL) >>> 12)) cpu.raise(VECTOR_GP, 0);
}

function clearCarry(cpu: Cpu, entry: DecodedEntry): void { setFlag(cpu, FLAG_CF, false); advance(cpu, entry); }
function setCarry(cpu: Cpu, entry: DecodedEntry): void { setFlag(cpu, FLAG_CF, true); advance(cpu, entry); }
function complementCarry(cpu: Cpu, entry: DecodedEntry): void { setFlag(cpu, FLAG_CF, getCF(cpu) === 0); advance(cpu, entry); }
function clearDirection(cpu: Cpu, entry: DecodedEntry): void { cpu.flags &= ~FLAG_DF; advance(cpu, entry); }
function setDirection(cpu: Cpu, entry: DecodedEntry): void { cpu.flags |= FLAG_DF; advance(cpu, entry); }

function clearInterrupts(cpu: Cpu, entry: DecodedEntry): void {
  checkIopl(cpu);
  cpu.flags &= ~FLAG_IF;
  advance(cpu, entry);
}

function setInterrupts(cpu: Cpu, entry: DecodedEntry): void {
  checkIopl(cpu);
  if ((cpu.flags & FLAG_IF) === 0) {
    cpu.flags |= FLAG_IF;
    cpu.interruptShadow = true;
    cpu.attention |= ATTENTION_SHADOW | ATTENTION_FLAGS;
  }
  advance(cpu, entry);
}

const AH_FLAGS = FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF | FLAG_CF;

function loadAhFromFlags(cpu: Cpu, entry: DecodedEntry): void {
  cpu.r8[1] = readEflags(cpu) & 0xFF;
  advance(cpu, entry);
}

function storeAhIntoFlags(cpu: Cpu, entry: DecodedEntry): void {
  writeEflagsBits(cpu, cpu.r8[1], AH_FLAGS);
  advance(cpu, entry);
}

export function resolveFlagInstruction(mnemonic: string): Handler | undefined {
  switch (mnemonic) {
    case 'clc': return clearCarry;
    case 'stc': return setCarry;
    case 'cmc': return complementCarry;
    case 'cld': return clearDirection;
    case 'std': return setDirection;
    case 'cli': return clearInterrupts;
    case 'sti': return setInterrupts;
    case 'lahf': return loadAhFromFlags;
    case 'sahf': return storeAhIntoFlags;
    default: return undefined;
  }
}
