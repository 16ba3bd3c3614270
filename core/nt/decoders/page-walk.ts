// The two-level non-PAE page walk (Intel SDM vol. 3, 4.3) for `nt.translate`: read-only, over physical
// memory, so the debugger can explain a translation (or its fault) without touching A/D bits.
import { PhysicalMemoryReader, dwordAt, hex32 } from '../guest-memory';
import type { TranslationView } from './shapes';

export const PAGE_PRESENT = 0x001;
export const PAGE_WRITABLE = 0x002;
export const PAGE_USER = 0x004;
export const PAGE_LARGE = 0x080;

export interface PagingState {
  /** CR0.PG: without paging a linear address is the physical address. */
  pagingEnabled: boolean;
  cr3: number;
  /** CR4.PSE: a PDE with PS set maps a 4 MiB page. */
  pageSizeExtensions: boolean;
}

function readPhysicalDword(memory: PhysicalMemoryReader, address: number): number | undefined {
  const bytes = memory.readPhysical(address >>> 0, 4);
  return bytes === undefined || bytes.length < 4 ? undefined : dwordAt(bytes, 0);
}

export function translateLinear(memory: PhysicalMemoryReader, paging: PagingState, linearAddress: number): TranslationView {
  const linear = linearAddress >>> 0;
  const pdeAddress = ((paging.cr3 & 0xFFFFF000) + ((linear >>> 22) << 2)) >>> 0;
  if (!paging.pagingEnabled) {
    return { ok: true, linear, pdeAddress, pde: 0, pteAddress: null, pte: null, physical: linear, largePage: false, user: true, writable: true };
  }
  const fault = (pde: number | null, pteAddress: number | null, pte: number | null, reason: string): TranslationView =>
    ({ ok: false, linear, pdeAddress, pde, pteAddress, pte, fault: reason });
  const pde = readPhysicalDword(memory, pdeAddress);
  if (pde === undefined) return fault(null, null, null, `the page directory entry at physical ${hex32(pdeAddress)} lies outside RAM (CR3 ${hex32(paging.cr3)})`);
  if ((pde & PAGE_PRESENT) === 0) return fault(pde, null, null, `PDE not present (${hex32(pde)} at physical ${hex32(pdeAddress)})`);
  if ((pde & PAGE_LARGE) !== 0 && paging.pageSizeExtensions) {
    return {
      ok: true, linear, pdeAddress, pde, pteAddress: null, pte: null,
      physical: ((pde & 0xFFC00000) | (linear & 0x003FFFFF)) >>> 0,
      largePage: true,
      user: (pde & PAGE_USER) !== 0,
      writable: (pde & PAGE_WRITABLE) !== 0,
    };
  }
  const pteAddress = ((pde & 0xFFFFF000) + (((linear >>> 12) & 0x3FF) << 2)) >>> 0;
  const pte = readPhysicalDword(memory, pteAddress);
  if (pte === undefined) return fault(pde, pteAddress, null, `the page table entry at physical ${hex32(pteAddress)} lies outside RAM`);
  if ((pte & PAGE_PRESENT) === 0) return fault(pde, pteAddress, pte, `PTE not present (${hex32(pte)} at physical ${hex32(pteAddress)})`);
  return {
    ok: true, linear, pdeAddress, pde, pteAddress, pte,
    physical: ((pte & 0xFFFFF000) | (linear & 0xFFF)) >>> 0,
    largePage: false,
    // Both levels must allow an access (SDM 4.6): the effective right is the AND of the two.
    user: (pde & pte & PAGE_USER) !== 0,
    writable: (pde & pte & PAGE_WRITABLE) !== 0,
  };
}
