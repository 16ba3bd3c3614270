// Chooses the handler for a decoded form once, when the entry is filled: by the table row's group and
// mnemonic (string work here only, never in the hot loop), plus the privilege check the row asks for.
import type { InstructionForm } from '../isa/types';
import type { Cpu } from './cpu';
import { resolveAlu } from './alu';
import { resolveBcd } from './bcd';
import { resolveBit } from './bit';
import { VECTOR_GP, VECTOR_UD } from './constants';
import { resolveControl } from './control';
import { resolveData } from './data';
import type { DecodedEntry, Handler } from './decoded-entry';
import { resolveFlagInstruction } from './flag-instructions';
import { resolveIo } from './io';
import { resolveMulDiv } from './muldiv';
import { resolveSegmentInstruction } from './segment-instructions';
import { resolveShift } from './shift';
import { resolveStack } from './stack';
import { resolveString } from './string';
import { resolveSystem } from './system';

function unimplemented(cpu: Cpu): void {
  cpu.raise(VECTOR_UD);
}

function resolveByGroup(form: InstructionForm, entry: DecodedEntry): Handler | undefined {
  const mnemonic = form.mnemonic;
  switch (form.group) {
    case 'alu': return resolveAlu(mnemonic, entry);
    case 'shift': return resolveShift(mnemonic, entry);
    case 'muldiv': return resolveMulDiv(mnemonic, entry);
    case 'bcd': return resolveBcd(mnemonic);
    case 'bit': return resolveBit(mnemonic, entry);
    case 'string': return resolveString(mnemonic, entry);
    case 'stack': return resolveStack(mnemonic, entry);
    case 'control': return resolveControl(mnemonic, entry);
    case 'data': return resolveData(mnemonic, entry);
    case 'flag': return resolveFlagInstruction(mnemonic);
    case 'io': return resolveIo(mnemonic);
    case 'segment': return resolveSegmentInstruction(mnemonic, entry);
    case 'system': return resolveSystem(mnemonic, entry);
    case 'misc': return resolveData(mnemonic, entry);
    default: return undefined;
  }
}

/** The handler for `form`, wrapped in the CPL 0 check when the row is privileged. */
export function resolveHandler(form: InstructionForm, entry: DecodedEntry): Handler {
  const handler = resolveByGroup(form, entry) ?? unimplemented;
  if (form.privilege === 'cpl0') {
    return (cpu, decoded) => {
      if (cpu.cpl !== 0) cpu.raise(VECTOR_GP, 0);
      handler(cpu, decoded);
    };
  }
  return handler;
}

/** Forms the CPU has no handler for (a test lists them so none slip through unnoticed). */
export function formHasHandler(form: InstructionForm, entry: DecodedEntry): boolean {
  return resolveByGroup(form, entry) !== undefined;
}


