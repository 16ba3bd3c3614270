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

/** Switch index of each hot handler, inlined as literals (a const enum) so the switch stays a jump table; the block compiler keys its inline forms on these too. */
export const enum HotIndex {
  addRegisterRegister32 = 1,
  subRegisterRegister32 = 2,
  xorRegisterRegister32 = 3,
  addRegisterImmediate32 = 4,
  subRegisterImmediate32 = 5,
  aluRegisterRegister32 = 6,
  aluRegisterImmediate32 = 7,
  aluRegisterMemory32 = 8,
  aluMemory32 = 9,
  inc32 = 10,
  dec32 = 11,
  jumpRelative32 = 12,
  jumpConditional32 = 13,
  callRelative = 14,
  returnNear = 15,
  moveRegisterRegister32 = 16,
  moveRegisterImmediate32 = 17,
  moveRegisterMemory32 = 18,
  moveMemoryRegister32 = 19,
  loadEffectiveAddress = 20,
  pushRegister32 = 21,
  popRegister32 = 22,
}

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
    case HotIndex.addRegisterRegister32: addRegisterRegister32(cpu, entry); return;
    case HotIndex.subRegisterRegister32: subRegisterRegister32(cpu, entry); return;
    case HotIndex.xorRegisterRegister32: xorRegisterRegister32(cpu, entry); return;
    case HotIndex.addRegisterImmediate32: addRegisterImmediate32(cpu, entry); return;
    case HotIndex.subRegisterImmediate32: subRegisterImmediate32(cpu, entry); return;
    case HotIndex.aluRegisterRegister32: aluRegisterRegister32(cpu, entry); return;
    case HotIndex.aluRegisterImmediate32: aluRegisterImmediate32(cpu, entry); return;
    case HotIndex.aluRegisterMemory32: aluRegisterMemory32(cpu, entry); return;
    case HotIndex.aluMemory32: aluMemory32(cpu, entry); return;
    case HotIndex.inc32: inc32(cpu, entry); return;
    case HotIndex.dec32: dec32(cpu, entry); return;
    case HotIndex.jumpRelative32: jumpRelative32(cpu, entry); return;
    case HotIndex.jumpConditional32: jumpConditional32(cpu, entry); return;
    case HotIndex.callRelative: callRelative(cpu, entry); return;
    case HotIndex.returnNear: returnNear(cpu, entry); return;
    case HotIndex.moveRegisterRegister32: moveRegisterRegister32(cpu, entry); return;
    case HotIndex.moveRegisterImmediate32: moveRegisterImmediate32(cpu, entry); return;
    case HotIndex.moveRegisterMemory32: moveRegisterMemory32(cpu, entry); return;
    case HotIndex.moveMemoryRegister32: moveMemoryRegister32(cpu, entry); return;
    case HotIndex.loadEffectiveAddress: loadEffectiveAddress(cpu, entry); return;
    case HotIndex.pushRegister32: pushRegister32(cpu, entry); return;
    case HotIndex.popRegister32: popRegister32(cpu, entry); return;
    default: entry.handler(cpu, entry);
  }
}
