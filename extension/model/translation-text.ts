// Words for an `nt.translate` answer: the page walk a person would do by hand with !pte.
import { hex0x } from './hex-format';
import type { TranslationView } from './request-shapes';

export function translationText(translation: TranslationView): string {
  if (!translation.ok) {
    return `${hex0x(translation.linear)} does not translate: ${translation.fault}`
      + ` (PDE at ${hex0x(translation.pdeAddress)}${translation.pde !== null ? ` = ${hex0x(translation.pde)}` : ''})`;
  }
  const walk = translation.largePage || translation.pteAddress === null || translation.pte === null
    ? `PDE ${hex0x(translation.pde)} (4 MiB page)`
    : `PDE ${hex0x(translation.pde)} -> PTE at ${hex0x(translation.pteAddress)} = ${hex0x(translation.pte)}`;
  const access = `${translation.user ? 'user' : 'kernel'}, ${translation.writable ? 'writable' : 'read-only'}`;
  return `${hex0x(translation.linear)} -> physical ${hex0x(translation.physical)}: ${walk}; ${access}`;
}

/** Reads `0x804DE2E0`, `804DE2E0h`, `804de2e0` (hex, as WinDbg assumes) or a decimal with `0n`. */
export function parseAddress(text: string): number | undefined {
  const trimmed = text.trim().replace(/`/g, '');
  let match = /^0x([0-9a-f]{1,8})$/i.exec(trimmed) ?? /^([0-9a-f]{1,8})h$/i.exec(trimmed) ?? /^([0-9a-f]{1,8})$/i.exec(trimmed);
  if (match) return parseInt(match[1]!, 16) >>> 0;
  match = /^0n(\d{1,10})$/i.exec(trimmed);
  if (match) {
    const value = Number(match[1]);
    return value <= 0xFFFFFFFF ? value : undefined;
  }
  return undefined;
}
