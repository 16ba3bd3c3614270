// How `nasm -f bin` places sections: .text first at org, then the initialised sections in order of
// appearance, then the nobits ones (.bss), each aligned (4 by default, .text only when asked).
import type { ByteBuffer } from './byte-buffer';

export interface SectionBuild {
  name: string;
  nobits: boolean;
  /** Alignment from `align=` or an `align` directive; unset means nasm's default (4, none for .text). */
  align: number | undefined;
  bytes: ByteBuffer;
  size: number;
}

/** Section name -> start address. */
export type Layout = Map<string, number>;

const DEFAULT_SECTION_ALIGNMENT = 4;

/** nasm -f bin: the first section starts at org unless aligned explicitly; the others default to 4. */
export function effectiveAlignment(section: SectionBuild, first: boolean): number {
  return section.align ?? (first ? 1 : DEFAULT_SECTION_ALIGNMENT);
}

export function orderSections(sections: readonly SectionBuild[]): SectionBuild[] {
  // nasm -f bin: .text first, then the other initialised sections in order of appearance, then nobits ones
  const text = sections.filter((section) => section.name === '.text');
  const progbits = sections.filter((section) => section.name !== '.text' && !section.nobits);
  const nobits = sections.filter((section) => section.name !== '.text' && section.nobits);
  return [...text, ...progbits, ...nobits];
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

export function computeLayout(sections: readonly SectionBuild[], origin: number): Layout {
  const layout: Layout = new Map();
  let position = origin;
  for (const [index, section] of orderSections(sections).entries()) {
    const start = alignUp(position, effectiveAlignment(section, index === 0));
    layout.set(section.name, start);
    position = start + section.size;
  }
  return layout;
}

export function sameLayout(left: Layout, right: Layout): boolean {
  if (left.size !== right.size) return false;
  for (const [name, start] of left) if (right.get(name) !== start) return false;
  return true;
}
