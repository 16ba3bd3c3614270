// One NASM source holding a case loop per form; assembled once, the same bytes run on the host CPU and in
// the emulator. Each loop loads a record's inputs, sets EFLAGS with popfd, executes the instruction under
// test, and stores the registers and EFLAGS (pushfd) back into the record. A host that cannot run 32-bit
// code runs a second image assembled for long mode from the same instruction texts (long-mode-forms.ts
// decides which texts mean the same operation there).
import { IN_EFLAGS, MEMORY_AREA, OUT_EFLAGS, OUT_FAULT, OUT_REGISTERS, RECORD_BYTES, SNIPPET_HEADER_WORDS } from './record-layout';
import { AluVariant } from './variants';

/** Addresses of one snippet inside the loaded image. */
export interface SnippetAddresses {
  readonly entry: number;
  readonly instruction: number;
  /** Where a case loop continues after a fault at `instruction` (ESI still points at the faulting record). */
  readonly next: number;
  readonly exit: number;
}

/** The processor mode an image is assembled for: the emulator's (and a 32-bit host's), or 64-bit long mode. */
export type SnippetMode = 'protected-32' | 'long-64';

/** What differs between the modes: only how EFLAGS get in and out (the rest of the loop is the same text). */
const MODE_WRAPPERS: Record<SnippetMode, { readonly bits: number; readonly loadFlags: readonly string[]; readonly storeFlags: readonly string[] }> = {
  'protected-32': {
    bits: 32,
    loadFlags: [`push dword [esi+${IN_EFLAGS}]`, 'popfd'],
    storeFlags: ['pushfd', `pop dword [esi+${OUT_EFLAGS}]`],
  },
  // long mode has no 32-bit push or pop: EFLAGS pass through r8, which no form's text can name (its
  // encoding is checked against the 32-bit one), and [esi+N] gets NASM's addr32 prefix
  'long-64': {
    bits: 64,
    loadFlags: [`mov r8d, [esi+${IN_EFLAGS}]`, 'push r8', 'popfq'],
    storeFlags: ['pushfq', 'pop r8', `mov [esi+${OUT_EFLAGS}], r8d`],
  },
};

/**
 * The image source for `variants` in `mode`. A variant in `stubbed` keeps its header entry (so snippet
 * indices are those of the 32-bit image) but its loop is a lone hlt: the runner never gets a job for it.
 */
export function snippetImageSource(variants: readonly AluVariant[], origin: number, mode: SnippetMode = 'protected-32', stubbed: ReadonlySet<number> = new Set()): string {
  const wrapper = MODE_WRAPPERS[mode];
  const lines = [`bits ${wrapper.bits}`, `org 0x${origin.toString(16)}`, `dd ${variants.length}`];
  for (const variant of variants) {
    const label = `s${variant.index}`;
    lines.push(`dd ${label}_entry - $$, ${label}_instruction - $$, ${label}_next - $$, ${label}_exit - $$`);
  }
  for (const variant of variants) {
    const label = `s${variant.index}`;
    if (stubbed.has(variant.index)) {
      lines.push('align 16', `${label}_entry:`, `${label}_instruction:`, `${label}_next:`, `${label}_exit:`, '  hlt');
      continue;
    }
    lines.push(
      'align 16',
      `${label}_entry:`,
      `  mov eax, [esi+${0}]`,
      `  mov ebx, [esi+${4}]`,
      `  mov ecx, [esi+${8}]`,
      `  mov edx, [esi+${12}]`,
      ...wrapper.loadFlags.map((line) => `  ${line}`),
      `${label}_instruction:`,
      `  ${variant.text}`,
      ...wrapper.storeFlags.map((line) => `  ${line}`),
      `  mov [esi+${OUT_REGISTERS}], eax`,
      `  mov [esi+${OUT_REGISTERS + 4}], ebx`,
      `  mov [esi+${OUT_REGISTERS + 8}], ecx`,
      `  mov [esi+${OUT_REGISTERS + 12}], edx`,
      `  mov dword [esi+${OUT_FAULT}], 0`,
      `${label}_next:`,
      `  add esi, ${RECORD_BYTES}`,
      '  dec edi',
      `  jnz ${label}_entry`,
      `${label}_exit:`,
      '  hlt',
    );
  }
  if (MEMORY_AREA !== 24) throw new Error('record layout changed: review the snippet loads');
  return lines.join('\n') + '\n';
}

/** Reads the header the source above puts at the start of the image. */
export function readSnippetAddresses(image: Uint8Array, origin: number): SnippetAddresses[] {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const count = view.getUint32(0, true);
  const addresses: SnippetAddresses[] = [];
  for (let i = 0; i < count; i++) {
    const at = 4 + i * SNIPPET_HEADER_WORDS * 4;
    addresses.push({
      entry: origin + view.getUint32(at, true),
      instruction: origin + view.getUint32(at + 4, true),
      next: origin + view.getUint32(at + 8, true),
      exit: origin + view.getUint32(at + 12, true),
    });
  }
  return addresses;
}
