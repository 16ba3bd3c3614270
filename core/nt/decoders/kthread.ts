// The _KTHREAD fields of XP SP3 x86 the system-call path touches (NT-MODEL.md "Structures").
import type { DecodeResult, GuestMemoryReader } from '../guest-memory';
import { DecodedStructure, StructureLayout, decodeStructureAt, scalar } from './structure-layout';
import {
  KTHREAD_INITIAL_STACK, KTHREAD_KERNEL_STACK, KTHREAD_PREVIOUS_MODE, KTHREAD_SERVICE_TABLE,
  KTHREAD_STACK_LIMIT, KTHREAD_TEB, KTHREAD_TRAP_FRAME
} from '../ks386';


/** Only the fields the model keeps real; the rest of the 0x1C0 bytes are not listed. */
export const KTHREAD_LAYOUT: StructureLayout = {
  name: '_KTHREAD',
  size: 0x1C0,
  fields: [
    scalar(KTHREAD_INITIAL_STACK, 'InitialStack', 'Ptr32 Void', 4),
    scalar(KTHREAD_STACK_LIMIT, 'StackLimit', 'Ptr32 Void', 4),
    scalar(KTHREAD_TEB, 'Teb', 'Ptr32 Void', 4),
    scalar(KTHREAD_KERNEL_STACK, 'KernelStack', 'Ptr32 Void', 4),
    scalar(KTHREAD_SERVICE_TABLE, 'ServiceTable', 'Ptr32 Void', 4),
    scalar(KTHREAD_TRAP_FRAME, 'TrapFrame', 'Ptr32 _KTRAP_FRAME', 4),
    scalar(KTHREAD_PREVIOUS_MODE, 'PreviousMode', 'Char', 1),
  ],
};

export function decodeKthread(memory: GuestMemoryReader, address: number): DecodeResult<DecodedStructure> {
  return decodeStructureAt(memory, KTHREAD_LAYOUT, address);
}
