// WinDbg's number spellings: lowercase hex, zero-padded to the width of the value, no 0x prefix.

export function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

export function hex4(value: number): string {
  return (value & 0xFFFF).toString(16).padStart(4, '0');
}

export function hex2(value: number): string {
  return (value & 0xFF).toString(16).padStart(2, '0');
}

/** A 64-bit value as WinDbg prints it: two 8-digit halves joined by a backquote. */
export function hex64(value: bigint): string {
  const masked = BigInt.asUintN(64, value);
  return `${hex8(Number(masked >> 32n))}\`${hex8(Number(masked & 0xFFFFFFFFn))}`;
}
