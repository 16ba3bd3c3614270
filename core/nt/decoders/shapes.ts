// The JSON shapes of the custom requests (SPEC 6): the contract between the adapter, the extension's
// views and the tests. Plain data only; numbers are unsigned 32-bit values; absent names are null.

export type IdtGateType = 'interrupt' | 'trap' | 'task' | 'none';
export type IdtCategory = 'exception' | 'reserved' | 'free' | 'system' | 'hardware';

export interface IdtEntryView {
  vector: number;
  present: boolean;
  type: IdtGateType;
  /** 32 for 386 gates, 16 for 286 gates; 0 when the descriptor is no gate at all. */
  gateBits: 0 | 16 | 32;
  /** The 4-bit descriptor type (0xE = 32-bit interrupt gate), for tooltips. */
  rawType: number;
  selector: number;
  offset: number;
  dpl: number;
  symbol: string | null;
  category: IdtCategory;
}

export interface IdtView {
  base: number;
  limit: number;
  entries: IdtEntryView[];
}

export type SegmentDescriptorKind = 'null' | 'code' | 'data' | 'tss' | 'ldt' | 'gate' | 'reserved';

export interface GdtEntryView {
  selector: number;
  base: number;
  /** The limit in bytes after granularity scaling (a 4 KiB-granular limit 0xFFFFF is 0xFFFFFFFF). */
  limit: number;
  /** WinDbg `dg` wording: "Code RE Ac", "Data RW Ac", "TSS32 Busy", "LDT", "Int Gate32"... */
  type: string;
  kind: SegmentDescriptorKind;
  dpl: number;
  present: boolean;
  /** The KGDT_* name of the selector in the XP GDT layout, or null past it. */
  name: string | null;
  /** D/B: 32-bit code or stack segment. */
  defaultBig: boolean;
  granularity4K: boolean;
  accessed: boolean;
  /** The 4-bit type field and S bit as in the descriptor, for tooltips. */
  rawType: number;
  system: boolean;
}

export interface GdtView {
  base: number;
  limit: number;
  entries: GdtEntryView[];
}

export interface KtssFields {
  backlink: number;
  esp0: number; ss0: number;
  esp1: number; ss1: number;
  esp2: number; ss2: number;
  cr3: number; eip: number; eflags: number;
  eax: number; ecx: number; edx: number; ebx: number; esp: number; ebp: number; esi: number; edi: number;
  es: number; cs: number; ss: number; ds: number; fs: number; gs: number;
  ldt: number;
  /** KTSS.Flags: bit 0 is the T bit (debug trap on task switch). */
  flags: number;
  ioMapBase: number;
}

export interface TssView {
  selector: number;
  base: number;
  limit: number;
  fields: KtssFields;
  /** False when IoMapBase lies at or past the TSS limit: every `in`/`out` from CPL > IOPL faults. */
  ioMapPresent: boolean;
}

export interface ServiceEntryView {
  index: number;
  address: number;
  symbol: string | null;
  /** Bytes of arguments copied from the caller's stack; null when the argument table is unreadable. */
  argumentBytes: number | null;
  /** The handler lies outside the module that owns the table (a rootkit-style SSDT hook). */
  hooked: boolean;
}

export interface ServiceTableView {
  name: string;
  /** KSERVICE_TABLE_DESCRIPTOR.Base: the table of handler addresses. */
  base: number;
  /** Number of services (KSERVICE_TABLE_DESCRIPTOR.Limit). */
  count: number;
  /** KSERVICE_TABLE_DESCRIPTOR.Number: the table of argument byte counts. */
  argumentTable: number;
  /** KSERVICE_TABLE_DESCRIPTOR.Count: per-service call counters (checked builds), usually 0. */
  counterTable: number;
  entries: ServiceEntryView[];
  /** Why the entries stop early (unmapped table, absurd limit), or null when all were read. */
  error: string | null;
}

export interface SsdtView {
  tables: ServiceTableView[];
}

export interface KernelStackEntryView {
  address: number;
  value: number;
  /** Marks, trap frame field names and symbols, joined with " · "; empty when nothing is known. */
  annotation: string;
}

export interface KernelStackView {
  top: number;
  esp: number;
  ebp: number;
  entries: KernelStackEntryView[];
}

export interface MsrView {
  sysenterCs: number;
  sysenterEsp: number;
  sysenterEip: number;
  tsc: string;
}

export interface TranslationSuccessView {
  ok: true;
  linear: number;
  pdeAddress: number;
  pde: number;
  /** Null for a 4 MiB page, which has no page table entry. */
  pteAddress: number | null;
  pte: number | null;
  physical: number;
  largePage: boolean;
  user: boolean;
  writable: boolean;
}

export interface TranslationFaultView {
  ok: false;
  linear: number;
  pdeAddress: number;
  pde: number | null;
  pteAddress: number | null;
  pte: number | null;
  /** A person's explanation: "PTE not present (0x00000000 at physical 0x00123004)". */
  fault: string;
}

export type TranslationView = TranslationSuccessView | TranslationFaultView;
