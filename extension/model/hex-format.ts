// WinDbg-style hex without a prefix where columns line up, with `0x` where a value stands alone.

/** `digits` upper-case hex digits, zero-padded, of the unsigned value. */
export function hexDigits(value: number, digits: number): string {
  return (value >>> 0).toString(16).toUpperCase().padStart(digits, '0');
}

export function hex8(value: number): string {
  return hexDigits(value, 8);
}

export function hex0x(value: number, digits = 8): string {
  return `0x${hexDigits(value, digits)}`;
}

/** `0008:804DE2E0`, as WinDbg prints a far pointer. */
export function farPointer(selector: number, offset: number): string {
  return `${hexDigits(selector, 4)}:${hex8(offset)}`;
}
