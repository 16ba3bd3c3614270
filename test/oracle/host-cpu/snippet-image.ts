// One NASM source holding a case loop per form; assembled once, the same bytes run on the host CPU and in
// the emulator. Each loop loads a record's inputs, sets EFLAGS with popfd, executes the instruction under
// test, and stores the registers and EFLAGS (pushfd) back into the record.
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

export function snippetImageSource(variants: readonly AluVariant[], origin: number): string {
  const lines = ['bits 32', `org 0x${origin.toString(16)}`, `dd ${variants.length}`];
  for (const variant of variants) {
    const label = `s${variant.index}`;
    lines.push(`dd ${label}_entry - $$, ${label}_instruction - $$, ${label}_next - $$, ${label}_exit - $$`);
  }
  for (const variant of variants) {
    const label = `s${variant.index}`;
    lines.push(
      'align 16',
      `${label}_entry:`,
      `  mov eax, [esi+${0}]`,
      `  mov ebx, [esi+${4}]`,
      `  mov ecx, [esi+${8}]`,
      `  mov edx, [esi+${12}]`,
      `  push dword [esi+${IN_EFLAGS}]`,
      '  popfd',
      `${label}_instruction:`,
      `  ${variant.text}`,
      '  pushfd',
      `  pop dword [esi+${OUT_EFLAGS}]`,
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
