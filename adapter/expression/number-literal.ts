// Number spellings: WinDbg's (0x hex, 0n decimal, 0t octal, 0y binary, ` separators) and NASM's `10h`.
// A bare number is read in the session's default radix: 16 as in WinDbg's REPL, 10 for NASM source text.

export type Radix = 10 | 16;

export type NumberParse = { ok: true; value: number } | { ok: false; message: string };

const PREFIXES: ReadonlyMap<string, { radix: number; name: string }> = new Map([
  ['0x', { radix: 16, name: 'hexadecimal' }],
  ['0n', { radix: 10, name: 'decimal' }],
  ['0t', { radix: 8, name: 'octal' }],
  ['0y', { radix: 2, name: 'binary' }],
]);

function digitsIn(digits: string, radix: number): boolean {
  const allowed = '0123456789abcdef'.slice(0, radix);
  return digits.length > 0 && [...digits.toLowerCase()].every((digit) => allowed.includes(digit));
}

function valueOf(digits: string, radix: number, original: string, radixName: string): NumberParse {
  if (!digitsIn(digits, radix)) return { ok: false, message: `'${original}' is not a valid ${radixName} number` };
  const value = parseInt(digits, radix);
  if (value > 0xFFFFFFFF) return { ok: false, message: `'${original}' does not fit in 32 bits` };
  return { ok: true, value: value >>> 0 };
}

/** Reads a number token; `radix` applies to bare digits only. */
export function parseNumberLiteral(text: string, radix: Radix): NumberParse {
  const spelled = text.replace(/`/g, '');
  const prefix = PREFIXES.get(spelled.slice(0, 2).toLowerCase());
  if (prefix !== undefined && spelled.length > 2) return valueOf(spelled.slice(2), prefix.radix, text, prefix.name);
  if (/^[0-9a-f]+h$/i.test(spelled)) return valueOf(spelled.slice(0, -1), 16, text, 'hexadecimal');
  return valueOf(spelled, radix, text, radix === 16 ? 'hexadecimal' : 'decimal');
}

/** Whether a name token (`f8a3dd64`, `ffh`) can also be read as a number in this radix. */
export function nameIsNumber(text: string, radix: Radix): boolean {
  if (/^[0-9a-f]+h$/i.test(text)) return true;
  return radix === 16 && /^[0-9a-f`]+$/i.test(text);
}
