// _KTRAP_FRAME of XP SP3 x86 (0x8C bytes), in `dt _KTRAP_FRAME` order and spelling.
import type { DecodeResult, GuestMemoryReader } from '../guest-memory';
import { DecodedStructure, StructureLayout, decodeStructureAt, scalar } from './structure-layout';
import {
  KTRAP_FRAME_CS, KTRAP_FRAME_DBG_ARG_MARK, KTRAP_FRAME_DBG_ARG_POINTER, KTRAP_FRAME_DBG_EBP,
  KTRAP_FRAME_DBG_EIP, KTRAP_FRAME_DR0, KTRAP_FRAME_DR7, KTRAP_FRAME_DS, KTRAP_FRAME_EAX, KTRAP_FRAME_EBP,
  KTRAP_FRAME_EBX, KTRAP_FRAME_ECX, KTRAP_FRAME_EDI, KTRAP_FRAME_EDX, KTRAP_FRAME_EFLAGS, KTRAP_FRAME_EIP,
  KTRAP_FRAME_ERROR_CODE, KTRAP_FRAME_ES, KTRAP_FRAME_ESI, KTRAP_FRAME_ESP, KTRAP_FRAME_EXCEPTION_LIST,
  KTRAP_FRAME_FS, KTRAP_FRAME_GS, KTRAP_FRAME_LENGTH, KTRAP_FRAME_PREVIOUS_MODE, KTRAP_FRAME_SS,
  KTRAP_FRAME_TEMP_ESP, KTRAP_FRAME_TEMP_SEGCS, KTRAP_FRAME_V86_ES, KTRAP_FRAME_V86_GS
} from '../ks386';

// The slots ks386.ts leaves out because the kernel assembly never names them.
export const KTRAP_FRAME_DR1 = 0x1C;
export const KTRAP_FRAME_DR2 = 0x20;
export const KTRAP_FRAME_DR3 = 0x24;
export const KTRAP_FRAME_DR6 = 0x28;
export const KTRAP_FRAME_V86_DS = 0x80;
export const KTRAP_FRAME_V86_FS = 0x84;

export const KTRAP_FRAME_LAYOUT: StructureLayout = {
  name: '_KTRAP_FRAME',
  size: KTRAP_FRAME_LENGTH,
  fields: [
    scalar(KTRAP_FRAME_DBG_EBP, 'DbgEbp', 'Uint4B', 4),
    scalar(KTRAP_FRAME_DBG_EIP, 'DbgEip', 'Uint4B', 4),
    scalar(KTRAP_FRAME_DBG_ARG_MARK, 'DbgArgMark', 'Uint4B', 4),
    scalar(KTRAP_FRAME_DBG_ARG_POINTER, 'DbgArgPointer', 'Uint4B', 4),
    scalar(KTRAP_FRAME_TEMP_SEGCS, 'TempSegCs', 'Uint4B', 4),
    scalar(KTRAP_FRAME_TEMP_ESP, 'TempEsp', 'Uint4B', 4),
    scalar(KTRAP_FRAME_DR0, 'Dr0', 'Uint4B', 4),
    scalar(KTRAP_FRAME_DR1, 'Dr1', 'Uint4B', 4),
    scalar(KTRAP_FRAME_DR2, 'Dr2', 'Uint4B', 4),
    scalar(KTRAP_FRAME_DR3, 'Dr3', 'Uint4B', 4),
    scalar(KTRAP_FRAME_DR6, 'Dr6', 'Uint4B', 4),
    scalar(KTRAP_FRAME_DR7, 'Dr7', 'Uint4B', 4),
    scalar(KTRAP_FRAME_GS, 'SegGs', 'Uint4B', 4),
    scalar(KTRAP_FRAME_ES, 'SegEs', 'Uint4B', 4),
    scalar(KTRAP_FRAME_DS, 'SegDs', 'Uint4B', 4),
    scalar(KTRAP_FRAME_EDX, 'Edx', 'Uint4B', 4),
    scalar(KTRAP_FRAME_ECX, 'Ecx', 'Uint4B', 4),
    scalar(KTRAP_FRAME_EAX, 'Eax', 'Uint4B', 4),
    scalar(KTRAP_FRAME_PREVIOUS_MODE, 'PreviousPreviousMode', 'Uint4B', 4),
    scalar(KTRAP_FRAME_EXCEPTION_LIST, 'ExceptionList', 'Ptr32 _EXCEPTION_REGISTRATION_RECORD', 4),
    scalar(KTRAP_FRAME_FS, 'SegFs', 'Uint4B', 4),
    scalar(KTRAP_FRAME_EDI, 'Edi', 'Uint4B', 4),
    scalar(KTRAP_FRAME_ESI, 'Esi', 'Uint4B', 4),
    scalar(KTRAP_FRAME_EBX, 'Ebx', 'Uint4B', 4),
    scalar(KTRAP_FRAME_EBP, 'Ebp', 'Uint4B', 4),
    scalar(KTRAP_FRAME_ERROR_CODE, 'ErrCode', 'Uint4B', 4),
    scalar(KTRAP_FRAME_EIP, 'Eip', 'Uint4B', 4),
    scalar(KTRAP_FRAME_CS, 'SegCs', 'Uint4B', 4),
    scalar(KTRAP_FRAME_EFLAGS, 'EFlags', 'Uint4B', 4),
    scalar(KTRAP_FRAME_ESP, 'HardwareEsp', 'Uint4B', 4),
    scalar(KTRAP_FRAME_SS, 'HardwareSegSs', 'Uint4B', 4),
    scalar(KTRAP_FRAME_V86_ES, 'V86Es', 'Uint4B', 4),
    scalar(KTRAP_FRAME_V86_DS, 'V86Ds', 'Uint4B', 4),
    scalar(KTRAP_FRAME_V86_FS, 'V86Fs', 'Uint4B', 4),
    scalar(KTRAP_FRAME_V86_GS, 'V86Gs', 'Uint4B', 4),
  ],
};

/** Decodes the trap frame at `address` (all 0x8C bytes must be mapped). */
export function decodeTrapFrame(memory: GuestMemoryReader, address: number): DecodeResult<DecodedStructure> {
  return decodeStructureAt(memory, KTRAP_FRAME_LAYOUT, address);
}

/** The ring the trap frame returns to: SegCs's RPL (V86 frames, EFlags.VM, count as ring 3). */
export function trapFrameReturnRing(frame: DecodedStructure): number {
  const eflags = frame.fields.find((entry) => entry.field.offset === KTRAP_FRAME_EFLAGS)?.value ?? 0;
  if ((eflags & 0x20000) !== 0) return 3;
  return (frame.fields.find((entry) => entry.field.offset === KTRAP_FRAME_CS)?.value ?? 0) & 3;
}
