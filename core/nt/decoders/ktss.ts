// _KTSS of XP x86 (0x20AC bytes): the 32-bit hardware TSS, then the I/O maps NT keeps behind it.
import { DecodeResult, GuestMemoryReader, decodeFailure, decoded, dwordAt, hex32, wordAt } from '../guest-memory';
import type { KtssFields, TssView } from './shapes';
import { DecodedStructure, StructureLayout, array, decodeStructureAt, embedded, fieldValue, scalar } from './structure-layout';
import { KTSS_CR3, KTSS_ESP0, KTSS_IOMAPBASE, KTSS_LENGTH, KTSS_SS0 } from '../ks386';

export const KTSS_BACKLINK = 0x00;
export const KTSS_ESP1 = 0x0C;
export const KTSS_SS1 = 0x10;
export const KTSS_ESP2 = 0x14;
export const KTSS_SS2 = 0x18;
export const KTSS_EIP = 0x20;
export const KTSS_EFLAGS = 0x24;
export const KTSS_EAX = 0x28;
export const KTSS_ECX = 0x2C;
export const KTSS_EDX = 0x30;
export const KTSS_EBX = 0x34;
export const KTSS_ESP = 0x38;
export const KTSS_EBP = 0x3C;
export const KTSS_ESI = 0x40;
export const KTSS_EDI = 0x44;
export const KTSS_ES = 0x48;
export const KTSS_CS = 0x4C;
export const KTSS_SS = 0x50;
export const KTSS_DS = 0x54;
export const KTSS_FS = 0x58;
export const KTSS_GS = 0x5C;
export const KTSS_LDT = 0x60;
export const KTSS_FLAGS = 0x64;
export const KTSS_IO_MAPS = 0x68;
export const KTSS_INT_DIRECTION_MAP = 0x208C;
/** The hardware part: what the CPU itself reads on a task switch or a stack switch. */
export const HARDWARE_TSS_LENGTH = 0x68;

export const KTSS_LAYOUT: StructureLayout = {
  name: '_KTSS',
  size: KTSS_LENGTH,
  fields: [
    scalar(KTSS_BACKLINK, 'Backlink', 'Uint2B', 2),
    scalar(0x02, 'Reserved0', 'Uint2B', 2),
    scalar(KTSS_ESP0, 'Esp0', 'Uint4B', 4),
    scalar(KTSS_SS0, 'Ss0', 'Uint2B', 2),
    scalar(0x0A, 'Reserved1', 'Uint2B', 2),
    // NT never uses rings 1 and 2: the Esp1/Ss1/Esp2/Ss2 slots are NotUsed1.
    array(KTSS_ESP1, 'NotUsed1', 'Uint4B', 4, 4),
    scalar(KTSS_CR3, 'CR3', 'Uint4B', 4),
    scalar(KTSS_EIP, 'Eip', 'Uint4B', 4),
    scalar(KTSS_EFLAGS, 'EFlags', 'Uint4B', 4),
    scalar(KTSS_EAX, 'Eax', 'Uint4B', 4),
    scalar(KTSS_ECX, 'Ecx', 'Uint4B', 4),
    scalar(KTSS_EDX, 'Edx', 'Uint4B', 4),
    scalar(KTSS_EBX, 'Ebx', 'Uint4B', 4),
    scalar(KTSS_ESP, 'Esp', 'Uint4B', 4),
    scalar(KTSS_EBP, 'Ebp', 'Uint4B', 4),
    scalar(KTSS_ESI, 'Esi', 'Uint4B', 4),
    scalar(KTSS_EDI, 'Edi', 'Uint4B', 4),
    scalar(KTSS_ES, 'Es', 'Uint2B', 2),
    scalar(0x4A, 'Reserved2', 'Uint2B', 2),
    scalar(KTSS_CS, 'Cs', 'Uint2B', 2),
    scalar(0x4E, 'Reserved3', 'Uint2B', 2),
    scalar(KTSS_SS, 'Ss', 'Uint2B', 2),
    scalar(0x52, 'Reserved4', 'Uint2B', 2),
    scalar(KTSS_DS, 'Ds', 'Uint2B', 2),
    scalar(0x56, 'Reserved5', 'Uint2B', 2),
    scalar(KTSS_FS, 'Fs', 'Uint2B', 2),
    scalar(0x5A, 'Reserved6', 'Uint2B', 2),
    scalar(KTSS_GS, 'Gs', 'Uint2B', 2),
    scalar(0x5E, 'Reserved7', 'Uint2B', 2),
    scalar(KTSS_LDT, 'LDT', 'Uint2B', 2),
    scalar(0x62, 'Reserved8', 'Uint2B', 2),
    scalar(KTSS_FLAGS, 'Flags', 'Uint2B', 2),
    scalar(KTSS_IOMAPBASE, 'IoMapBase', 'Uint2B', 2),
    embedded(KTSS_IO_MAPS, 'IoMaps', '[1] _KiIoAccessMap'),
    embedded(KTSS_INT_DIRECTION_MAP, 'IntDirectionMap', '[32] UChar'),
  ],
};

/** Reads the hardware part of the KTSS at `address` as `dt _KTSS` lists it. */
export function decodeKtssStructure(memory: GuestMemoryReader, address: number): DecodeResult<DecodedStructure> {
  return decodeStructureAt(memory, KTSS_LAYOUT, address);
}

/** The `nt.tss` view of the TSS that TR (`selector`, `base`, `limit`) names. */
export function decodeTss(memory: GuestMemoryReader, selector: number, base: number, limit: number): DecodeResult<TssView> {
  const structure = decodeKtssStructure(memory, base);
  if (!structure.ok) return structure;
  const bytes = memory.readLinear(base >>> 0, HARDWARE_TSS_LENGTH);
  if (bytes === undefined) return decodeFailure(`the TSS at ${hex32(base)} is not mapped`);
  const value = (name: string): number => fieldValue(structure.value, name) ?? 0;
  const fields: KtssFields = {
    backlink: value('Backlink'),
    esp0: value('Esp0'), ss0: value('Ss0'),
    esp1: dwordAt(bytes, KTSS_ESP1), ss1: wordAt(bytes, KTSS_SS1),
    esp2: dwordAt(bytes, KTSS_ESP2), ss2: wordAt(bytes, KTSS_SS2),
    cr3: value('CR3'), eip: value('Eip'), eflags: value('EFlags'),
    eax: value('Eax'), ecx: value('Ecx'), edx: value('Edx'), ebx: value('Ebx'),
    esp: value('Esp'), ebp: value('Ebp'), esi: value('Esi'), edi: value('Edi'),
    es: value('Es'), cs: value('Cs'), ss: value('Ss'), ds: value('Ds'), fs: value('Fs'), gs: value('Gs'),
    ldt: value('LDT'),
    flags: value('Flags'),
    ioMapBase: value('IoMapBase'),
  };
  return decoded({
    selector: selector & 0xFFFF,
    base: base >>> 0,
    limit: limit >>> 0,
    fields,
    ioMapPresent: fields.ioMapBase < (limit >>> 0),
  });
}
