// _KPCR and the start of its embedded _KPRCB (XP x86): what `!pcr` shows. fs:[0] in ring 0 is the KPCR.
import type { DecodeResult, GuestMemoryReader } from '../guest-memory';
import { DecodedStructure, StructureLayout, array, decodeStructureAt, embedded, scalar } from './structure-layout';
import {
  KPCR_CURRENT_THREAD, KPCR_EXCEPTION_LIST, KPCR_GDT, KPCR_IDT, KPCR_IRQL, KPCR_NUMBER, KPCR_PRCB,
  KPCR_PRCB_DATA, KPCR_SELF_PCR, KPCR_TEB, KPCR_TSS
} from '../ks386';

export const KPCR_ADDRESS = 0xFFDFF000;
export const KPCR_INITIAL_STACK = 0x004;
export const KPCR_STACK_LIMIT = 0x008;
export const KPCR_SUBSYSTEM_TIB = 0x00C;
export const KPCR_VERSION = 0x010;
export const KPCR_ARBITRARY_USER_POINTER = 0x014;
export const KPCR_IRR = 0x028;
export const KPCR_IRR_ACTIVE = 0x02C;
export const KPCR_IDR = 0x030;
export const KPCR_KD_VERSION_BLOCK = 0x034;
export const KPCR_MAJOR_VERSION = 0x044;
export const KPCR_MINOR_VERSION = 0x046;
export const KPCR_SET_MEMBER = 0x048;
export const KPCR_STALL_SCALE_FACTOR = 0x04C;
export const KPCR_DEBUG_ACTIVE = 0x050;
export const KPCR_INTERRUPT_MODE = 0x0D4;
/** KPCR.PrcbData.CurrentThread: what `mov eax, fs:[124h]` loads. */
export const KPCR_NEXT_THREAD = 0x128;
export const KPCR_IDLE_THREAD = 0x12C;

export const KPCR_LAYOUT: StructureLayout = {
  name: '_KPCR',
  size: 0xD70,
  fields: [
    // NtTib is an embedded _NT_TIB; its members are listed flat, as `!pcr` prints them.
    scalar(KPCR_EXCEPTION_LIST, 'NtTib.ExceptionList', 'Ptr32 _EXCEPTION_REGISTRATION_RECORD', 4),
    scalar(KPCR_INITIAL_STACK, 'NtTib.StackBase', 'Ptr32 Void', 4),
    scalar(KPCR_STACK_LIMIT, 'NtTib.StackLimit', 'Ptr32 Void', 4),
    scalar(KPCR_SUBSYSTEM_TIB, 'NtTib.SubSystemTib', 'Ptr32 Void', 4),
    scalar(KPCR_VERSION, 'NtTib.Version', 'Uint4B', 4),
    scalar(KPCR_ARBITRARY_USER_POINTER, 'NtTib.ArbitraryUserPointer', 'Ptr32 Void', 4),
    scalar(KPCR_TEB, 'NtTib.Self', 'Ptr32 _NT_TIB', 4),
    scalar(KPCR_SELF_PCR, 'SelfPcr', 'Ptr32 _KPCR', 4),
    scalar(KPCR_PRCB, 'Prcb', 'Ptr32 _KPRCB', 4),
    scalar(KPCR_IRQL, 'Irql', 'UChar', 1),
    scalar(KPCR_IRR, 'IRR', 'Uint4B', 4),
    scalar(KPCR_IRR_ACTIVE, 'IrrActive', 'Uint4B', 4),
    scalar(KPCR_IDR, 'IDR', 'Uint4B', 4),
    scalar(KPCR_KD_VERSION_BLOCK, 'KdVersionBlock', 'Ptr32 Void', 4),
    scalar(KPCR_IDT, 'IDT', 'Ptr32 _KIDTENTRY', 4),
    scalar(KPCR_GDT, 'GDT', 'Ptr32 _KGDTENTRY', 4),
    scalar(KPCR_TSS, 'TSS', 'Ptr32 _KTSS', 4),
    scalar(KPCR_MAJOR_VERSION, 'MajorVersion', 'Uint2B', 2),
    scalar(KPCR_MINOR_VERSION, 'MinorVersion', 'Uint2B', 2),
    scalar(KPCR_SET_MEMBER, 'SetMember', 'Uint4B', 4),
    scalar(KPCR_STALL_SCALE_FACTOR, 'StallScaleFactor', 'Uint4B', 4),
    scalar(KPCR_DEBUG_ACTIVE, 'DebugActive', 'UChar', 1),
    scalar(KPCR_NUMBER, 'Number', 'UChar', 1),
    scalar(0x052, 'Spare0', 'UChar', 1),
    scalar(0x053, 'SecondLevelCacheAssociativity', 'UChar', 1),
    scalar(0x054, 'VdmAlert', 'Uint4B', 4),
    array(0x058, 'KernelReserved', 'Uint4B', 4, 14),
    scalar(0x090, 'SecondLevelCacheSize', 'Uint4B', 4),
    array(0x094, 'HalReserved', 'Uint4B', 4, 16),
    scalar(KPCR_INTERRUPT_MODE, 'InterruptMode', 'Uint4B', 4),
    scalar(0x0D8, 'Spare1', 'UChar', 1),
    array(0x0DC, 'KernelReserved2', 'Uint4B', 4, 17),
    embedded(KPCR_PRCB_DATA, 'PrcbData', '_KPRCB'),
    // The first members of the embedded _KPRCB, at their KPCR offsets.
    scalar(0x120, 'PrcbData.MinorVersion', 'Uint2B', 2),
    scalar(0x122, 'PrcbData.MajorVersion', 'Uint2B', 2),
    scalar(KPCR_CURRENT_THREAD, 'PrcbData.CurrentThread', 'Ptr32 _KTHREAD', 4),
    scalar(KPCR_NEXT_THREAD, 'PrcbData.NextThread', 'Ptr32 _KTHREAD', 4),
    scalar(KPCR_IDLE_THREAD, 'PrcbData.IdleThread', 'Ptr32 _KTHREAD', 4),
    scalar(0x130, 'PrcbData.Number', 'Char', 1),
    scalar(0x131, 'PrcbData.Reserved', 'Char', 1),
    scalar(0x132, 'PrcbData.BuildType', 'Uint2B', 2),
    scalar(0x134, 'PrcbData.SetMember', 'Uint4B', 4),
  ],
};

/** Decodes the KPCR at `address` (0xFFDFF000 on XP, fs base in ring 0) and the basics of its KPRCB. */
export function decodeKpcr(memory: GuestMemoryReader, address: number = KPCR_ADDRESS): DecodeResult<DecodedStructure> {
  return decodeStructureAt(memory, KPCR_LAYOUT, address);
}
