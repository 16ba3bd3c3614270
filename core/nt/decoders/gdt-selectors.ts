// Names of the XP GDT's slots (the KGDT_* selectors of ks386.ts), for the GDT view and `dg`.
import {
  KGDT_DF_TSS, KGDT_LDT, KGDT_NMI_TSS, KGDT_R0_CODE, KGDT_R0_DATA, KGDT_R0_PCR, KGDT_R3_CODE, KGDT_R3_DATA,
  KGDT_R3_TEB, KGDT_TSS, KGDT_VDM_TILE
} from '../ks386';
export const KGDT_NULL = 0x00;

const KGDT_NAMES: ReadonlyMap<number, string> = new Map([
  [KGDT_NULL, 'KGDT_NULL'],
  [KGDT_R0_CODE, 'KGDT_R0_CODE'],
  [KGDT_R0_DATA, 'KGDT_R0_DATA'],
  [KGDT_R3_CODE, 'KGDT_R3_CODE'],
  [KGDT_R3_DATA, 'KGDT_R3_DATA'],
  [KGDT_TSS, 'KGDT_TSS'],
  [KGDT_R0_PCR, 'KGDT_R0_PCR'],
  [KGDT_R3_TEB, 'KGDT_R3_TEB'],
  [KGDT_VDM_TILE, 'KGDT_VDM_TILE'],
  [KGDT_LDT, 'KGDT_LDT'],
  [KGDT_DF_TSS, 'KGDT_DF_TSS'],
  [KGDT_NMI_TSS, 'KGDT_NMI_TSS'],
]);

/** The KGDT_* name of a GDT selector (RPL ignored, so 0x1B is KGDT_R3_CODE), or null. */
export function kgdtName(selector: number): string | null {
  if ((selector & 4) !== 0) return null;
  return KGDT_NAMES.get(selector & 0xFFF8) ?? null;
}
