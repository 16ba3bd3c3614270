// The hottest handlers are called from one switch with direct calls (which V8 can inline) instead of
// through the entry's function pointer (a megamorphic call, as costly as a small handler itself).
// `entry.hot` is chosen when the entry is filled; 0 means "call entry.handler".
import type { Cpu } from './cpu';
import type { DecodedEntry, Handler } from './decoded-entry';
import {
  addRegisterImmediate32, addRegisterRegister32, aluMemory32, aluRegisterImmediate32, aluRegisterMemory32,
  aluRegisterRegister32, dec32, inc32, subRegisterImmediate32, subRegisterRegister32, xorRegisterRegister32,
} from './alu';
import { callRelative, jumpConditional32, jumpRelative32, returnNear } from './control';
import { loadEffectiveAddress, moveMemoryRegister32, moveRegisterImmediate32, moveRegisterMemory32, moveRegisterRegister32 } from './data';
import { popRegister32, pushRegister32 } from './stack';

const HOT_HANDLERS: readonly Handler[] = [
  addRegisterRegister32, subRegisterRegister32, xorRegisterRegister32, addRegisterImmediate32, subRegisterImmediate32,
  aluRegisterRegister32, aluRegisterImmediate32, aluRegisterMemory32, aluMemory32, inc32, dec32,
  jumpRelative32, jumpConditional32, callRelative, returnNear,
  moveRegisterRegister32, moveRegisterImmediate32, moveRegisterMemory32, moveMemoryRegister32, loadEffectiveAddress,
  pushRegister32, popRegister32,
];

/** 1 + the handler's index in the switch below, or 0. */
export function hotIndexOf(handler: Handler): number {
  return HOT_HANDLERS.indexOf(handler) + 1;
}

export function executeEntry(cpu: Cpu, entry: DecodedEntry): void {
  switch (entry.hot) {
    case 1: addRegisterRegister32(cpu, entry); return;
    case 2: subRegisterRegister32(cpu, entry); return;
    case 3: xorRegisterRegister32(cpu, entry); return;
    case 4: addRegisterImmediate32(cpu, entry); return;
    case 5: subRegisterImmediate32(cpu, entry); return;
    case 6: aluRegisterRegister32(cpu, entry); return;
    case 7: aluRegisterImmediate32(cpu, entry); return;
    case 8: aluRegisterMemory32(cpu, entry); return;
    case 9: aluMemory32(cpu, entry); return;
    case 10: inc32(cpu, entry); return;
    case 11: dec32(cpu, entry); return;
    case 12: jumpRelative32(cpu, entry); return;
    case 13: jumpConditional32(cpu, entry); return;
    case 14: callRelative(cpu, entry); return;
    case 15: returnNear(cpu, entry); return;
    case 16: moveRegisterRegister32(cpu, entry); return;
    case 17: moveRegisterImmediate32(cpu, entry); return;
    case 18: moveRegisterMemory32(cpu, entry); return;
    case 19: moveMemoryRegister32(cpu, entry); return;
    case 20: loadEffectiveAddress(cpu, entry); return;
    case 21: pushRegister32(cpu, entry); return;
    case 22: popRegister32(cpu, entry); return;
    default: entry.handler(cpu, entry);
  }
}
