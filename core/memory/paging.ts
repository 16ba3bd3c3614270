// Two-level IA-32 page walk (4 KiB pages, 4 MiB pages with CR4.PSE) producing flat-TLB entries.
// A TLB entry holds (physical page XOR linear page) in its top 20 bits and permission bits below, so
// one masked compare against TLB_VALID tells whether an access may take the fast path (STYLE.md 6).
import { PhysicalMemory } from './physical-memory';

export const TLB_VALID = 0x001;
/** The page is supervisor-only (U/S clear in the directory or the table entry). */
export const TLB_USER_DENIED = 0x002;
/** A ring-3 write must walk again: read-only, supervisor-only, or not yet dirty. */
export const TLB_USER_WRITE_DENIED = 0x004;
/** A ring-0 write must walk again: read-only with CR0.WP set, or not yet dirty. */
export const TLB_SUPERVISOR_WRITE_DENIED = 0x008;
/** Reads take the slow path: a read watchpoint on the page, or memory that is not RAM. */
export const TLB_READ_HOOK = 0x010;
/** Writes take the slow path: decoded code on the page, a write watchpoint, or memory that is not RAM. */
export const TLB_WRITE_HOOK = 0x020;
/** Set in every entry; masks include it only when alignment checking forces every access slow. */
export const TLB_ALWAYS = 0x040;
export const TLB_FLAG_BITS = 0xFFF;

export const PTE_PRESENT = 0x001;
export const PTE_WRITABLE = 0x002;
export const PTE_USER = 0x004;
export const PTE_ACCESSED = 0x020;
export const PTE_DIRTY = 0x040;
export const PDE_LARGE_PAGE = 0x080;

/** #PF error code bits. */
export const PF_PROTECTION = 0x1;
export const PF_WRITE = 0x2;
export const PF_USER = 0x4;

export interface PagingControl {
  cr3: number;
  /** CR0.WP: supervisor writes honour read-only pages. */
  writeProtect: boolean;
  /** CR4.PSE: 4 MiB pages when PDE.PS is set. */
  pageSizeExtensions: boolean;
}

/**
 * Walks the page tables for `linear`. On success returns a TLB entry (TLB_VALID set, hooks not yet
 * added) after setting the accessed (and, for writes, dirty) bits as the CPU does; on a fault returns
 * the #PF error code (small, TLB_ALWAYS clear: test with `isWalkFault`). `peek` walks without touching A/D bits (debugger reads).
 */
export function walkPageTables(
  memory: PhysicalMemory, control: PagingControl, linear: number, write: boolean, user: boolean, peek = false,
): number {
  const accessBits = (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
  const directoryEntryAddress = ((control.cr3 & 0xFFFFF000) + ((linear >>> 22) << 2)) >>> 0;
  const directoryEntry = memory.read32(directoryEntryAddress);
  if ((directoryEntry & PTE_PRESENT) === 0) return accessBits;
  let physicalPage: number;
  let userAllowed: boolean;
  let writable: boolean;
  let dirty: boolean;
  if ((directoryEntry & PDE_LARGE_PAGE) !== 0 && control.pageSizeExtensions) {
    physicalPage = ((directoryEntry & 0xFFC00000) | (linear & 0x003FF000)) >>> 0;
    userAllowed = (directoryEntry & PTE_USER) !== 0;
    writable = (directoryEntry & PTE_WRITABLE) !== 0;
    if (!permits(userAllowed, writable, write, user, control.writeProtect)) return accessBits | PF_PROTECTION;
    dirty = write || (directoryEntry & PTE_DIRTY) !== 0;
    if (!peek) memory.write32(directoryEntryAddress, directoryEntry | PTE_ACCESSED | (write ? PTE_DIRTY : 0));
  } else {
    const tableEntryAddress = ((directoryEntry & 0xFFFFF000) + (((linear >>> 12) & 0x3FF) << 2)) >>> 0;
    const tableEntry = memory.read32(tableEntryAddress);
    if ((tableEntry & PTE_PRESENT) === 0) return accessBits;
    physicalPage = (tableEntry & 0xFFFFF000) >>> 0;
    userAllowed = (directoryEntry & PTE_USER) !== 0 && (tableEntry & PTE_USER) !== 0;
    writable = (directoryEntry & PTE_WRITABLE) !== 0 && (tableEntry & PTE_WRITABLE) !== 0;
    if (!permits(userAllowed, writable, write, user, control.writeProtect)) return accessBits | PF_PROTECTION;
    dirty = write || (tableEntry & PTE_DIRTY) !== 0;
    if (!peek) {
      if ((directoryEntry & PTE_ACCESSED) === 0) memory.write32(directoryEntryAddress, directoryEntry | PTE_ACCESSED);
      const updated = tableEntry | PTE_ACCESSED | (write ? PTE_DIRTY : 0);
      if (updated !== tableEntry) memory.write32(tableEntryAddress, updated);
    }
  }
  let flags = TLB_VALID | TLB_ALWAYS;
  if (!userAllowed) flags |= TLB_USER_DENIED | TLB_USER_WRITE_DENIED;
  if (!writable) flags |= TLB_USER_WRITE_DENIED | (control.writeProtect ? TLB_SUPERVISOR_WRITE_DENIED : 0);
  // A clean page must be walked again on its first write so the dirty bit gets set.
  if (!dirty || peek) flags |= TLB_USER_WRITE_DENIED | TLB_SUPERVISOR_WRITE_DENIED;
  return (((physicalPage ^ linear) & 0xFFFFF000) | flags) | 0;
}

function permits(userAllowed: boolean, writable: boolean, write: boolean, user: boolean, writeProtect: boolean): boolean {
  if (user && !userAllowed) return false;
  if (write && !writable && (user || writeProtect)) return false;
  return true;
}

/** True when a walkPageTables result is a #PF error code rather than a TLB entry. */
export function isWalkFault(result: number): boolean {
  return (result & TLB_ALWAYS) === 0;
}

/** The identity entry used while paging is off. */
export function identityEntry(): number {
  return TLB_VALID | TLB_ALWAYS;
}

/** Physical address from a TLB entry and the linear address it was made for. */
export function entryPhysical(entry: number, linear: number): number {
  return ((entry & ~TLB_FLAG_BITS) ^ linear) >>> 0;
}
