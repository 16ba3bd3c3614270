// The kernel stack as a column of dwords from ESP up to the stack's top, each slot annotated with what
// is known about it: ESP/EBP marks, the EBP chain, trap frame fields, and values that are symbols.
import type { Symbolizer } from '../../isa/syntax-common';
import { GuestMemoryReader, readGuestDword } from '../guest-memory';
import { KTRAP_FRAME_LAYOUT } from './ktrap-frame';
import type { KernelStackEntryView, KernelStackView } from './shapes';
import { fieldAtOffset } from './structure-layout';

export const KERNEL_STACK_DEFAULT_ENTRIES = 512;
const EBP_CHAIN_MAX_FRAMES = 64;
export const ANNOTATION_SEPARATOR = ' · ';

export interface KernelStackRequest {
  esp: number;
  ebp: number;
  /** The first address above the stack (KTHREAD.InitialStack, or TSS.Esp0 plus the NPX area). */
  top: number;
  /** Addresses of trap frames known to lie on this stack (KTHREAD.TrapFrame, EBP in KiSystemService). */
  trapFrames?: readonly number[];
  maxEntries?: number;
}

/** Slots of the EBP chain inside [esp, top): each frame's saved EBP and return address. */
function ebpChainMarks(memory: GuestMemoryReader, ebp: number, esp: number, top: number): Map<number, string> {
  const marks = new Map<number, string>();
  let frame = ebp >>> 0;
  for (let depth = 0; depth < EBP_CHAIN_MAX_FRAMES && frame >= esp && frame + 8 <= top; depth++) {
    marks.set(frame, 'saved EBP');
    marks.set(frame + 4, 'return address');
    const next = readGuestDword(memory, frame);
    // Stacks grow down, so a caller's frame always lies above; anything else ends the chain.
    if (next === undefined || next <= frame) break;
    frame = next;
  }
  return marks;
}

function trapFrameField(address: number, trapFrames: readonly number[]): string | undefined {
  for (const frame of trapFrames) {
    const offset = (address - (frame >>> 0));
    if (offset < 0 || offset >= KTRAP_FRAME_LAYOUT.size) continue;
    const field = fieldAtOffset(KTRAP_FRAME_LAYOUT, offset);
    if (field !== undefined) return `_KTRAP_FRAME.${field.name} (+0x${offset.toString(16)})`;
  }
  return undefined;
}

/** The `nt.kernelStack` view. Slots that are not mapped end the column. */
export function decodeKernelStack(memory: GuestMemoryReader, request: KernelStackRequest, symbolize?: Symbolizer): KernelStackView {
  const esp = request.esp >>> 0;
  const ebp = request.ebp >>> 0;
  const top = request.top >>> 0;
  const maxEntries = Math.max(0, Math.floor(request.maxEntries ?? KERNEL_STACK_DEFAULT_ENTRIES));
  const trapFrames = request.trapFrames ?? [];
  const chain = ebpChainMarks(memory, ebp, esp, top);
  const entries: KernelStackEntryView[] = [];
  for (let address = esp; address + 4 <= top && entries.length < maxEntries; address += 4) {
    const value = readGuestDword(memory, address);
    if (value === undefined) break;
    const parts: string[] = [];
    if (address === esp) parts.push('ESP');
    if (address === ebp) parts.push('EBP');
    const chainMark = chain.get(address);
    if (chainMark !== undefined) parts.push(chainMark);
    const field = trapFrameField(address, trapFrames);
    if (field !== undefined) parts.push(field);
    const symbol = symbolize?.(value);
    if (symbol !== undefined) parts.push(symbol);
    entries.push({ address, value, annotation: parts.join(ANNOTATION_SEPARATOR) });
  }
  return { top, esp, ebp, entries };
}
