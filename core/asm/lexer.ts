// Splits one source line into NASM tokens (identifiers, numbers, strings, operators, %-tokens),
// each with its 1-based column so diagnostics can point at it.

export type TokenKind = 'ident' | 'number' | 'string' | 'op' | 'percent';

export interface Token {
  kind: TokenKind;
  /** The text as written (for strings: with the quotes). */
  text: string;
  /** 1-based column of the token's first character in its source line. */
  column: number;
  /** Numbers: the value (NASM evaluates in 64 bits). */
  value?: bigint;
  /** Strings: the bytes between the quotes (escapes applied for backquoted strings). */
  bytes?: readonly number[];
}

export interface LexError {
  column: number;
  message: string;
}

export interface LexResult {
  tokens: Token[];
  errors: LexError[];
}

const OPERATORS = ['<<<', '>>>', '<=>', '<<', '>>', '//', '%%', '==', '!=', '<>', '<=', '>=', '&&', '||', '^^',
  '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '(', ')', '[', ']', ',', ':', '=', '<', '>', '?', '{', '}'];
/** The operators by length, longest first: the longest one written at a position is the token, as in OPERATORS' order. */
const OPERATORS_BY_LENGTH: readonly { length: number; operators: ReadonlySet<string> }[] = [3, 2, 1].map((length) => ({
  length, operators: new Set(OPERATORS.filter((operator) => operator.length === length)),
}));

/** Character classes by code unit (ASCII only; every other character is in none). */
const IDENTIFIER_START = 1;
const IDENTIFIER_PART = 2;
const NUMBER_PART = 4;
const CHARACTER_CLASSES: Uint8Array = buildCharacterClasses();

function buildCharacterClasses(): Uint8Array {
  const classes = new Uint8Array(128);
  const mark = (characters: string, flag: number): void => {
    for (const character of characters) classes[character.charCodeAt(0)] |= flag;
  };
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const digits = '0123456789';
  mark(`${letters}_.?@`, IDENTIFIER_START);
  mark(`${letters}${digits}_$#@~.?`, IDENTIFIER_PART);
  mark(`${letters}${digits}_`, NUMBER_PART);
  return classes;
}

function hasClass(character: string, flag: number): boolean {
  const code = character.charCodeAt(0);
  return code < 128 && (CHARACTER_CLASSES[code] & flag) !== 0;
}

function isIdentifierStart(character: string): boolean {
  return hasClass(character, IDENTIFIER_START);
}

/** The operator written at `position`, longest first; undefined when none is. */
function operatorAt(text: string, position: number): string | undefined {
  for (const { length, operators } of OPERATORS_BY_LENGTH) {
    if (position + length > text.length) continue;
    const candidate = text.slice(position, position + length);
    if (operators.has(candidate)) return candidate;
  }
  return undefined;
}

function isDigit(character: string): boolean {
  return character >= '0' && character <= '9';
}

/** Where the run of identifier characters starting at `start` ends. */
function identifierEnd(text: string, start: number): number {
  let end = start;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (code >= 128 || (CHARACTER_CLASSES[code] & IDENTIFIER_PART) === 0) break;
    end++;
  }
  return end;
}

/** Where a number starting at `start` ends: letters, digits and `_`, and a `.` only before a digit (1.5, not `0.nolist`). */
function numberEnd(text: string, start: number): number {
  let end = start;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (code < 128 && (CHARACTER_CLASSES[code] & NUMBER_PART) !== 0) end++;
    else if (code === 0x2e && isDigit(text[end + 1] ?? '')) end++;
    else break;
  }
  return end;
}

/** Tokenizes a line; a `;` outside a string starts a comment. */
export function tokenizeLine(text: string): LexResult {
  const tokens: Token[] = [];
  const errors: LexError[] = [];
  let position = 0;
  while (position < text.length) {
    const character = text[position];
    const column = position + 1;
    if (character === ';') break;
    if (character === ' ' || character === '\t' || character === '\r' || character === '\f' || character === '\v') {
      position++;
      continue;
    }
    if (character === '\'' || character === '"' || character === '`') {
      const scanned = scanString(text, position);
      if (scanned.error) {
        errors.push({ column, message: scanned.error });
        break;
      }
      tokens.push({ kind: 'string', text: text.slice(position, scanned.end), column, bytes: scanned.bytes });
      position = scanned.end;
      continue;
    }
    if (isDigit(character) || (character === '$' && isDigit(text[position + 1] ?? ''))) {
      // a '.' belongs to the number only before a digit (1.5); `0.nolist` is 0 then `.nolist`
      const end = numberEnd(text, position + 1);
      const written = text.slice(position, end);
      const parsed = parseNumber(written);
      if (typeof parsed === 'string') errors.push({ column, message: parsed });
      tokens.push({ kind: 'number', text: written, column, value: typeof parsed === 'string' ? 0n : parsed });
      position = end;
      continue;
    }
    if (character === '$') {
      // `$$` (section start), `$` (here), or `$name` (an identifier escaped from being a keyword)
      if (text[position + 1] === '$') {
        tokens.push({ kind: 'ident', text: '$$', column });
        position += 2;
      } else if (isIdentifierStart(text[position + 1] ?? '')) {
        const end = identifierEnd(text, position + 1);
        tokens.push({ kind: 'ident', text: text.slice(position + 1, end), column });
        position = end;
      } else {
        tokens.push({ kind: 'ident', text: '$', column });
        position++;
      }
      continue;
    }
    if (isIdentifierStart(character)) {
      const end = identifierEnd(text, position + 1);
      // a lone `?` is the conditional operator, not a name
      const word = text.slice(position, end);
      tokens.push({ kind: word === '?' ? 'op' : 'ident', text: word, column });
      position = end;
      continue;
    }
    if (character === '%') {
      // %define, %1, %0, %%local, %+ ... : preprocessor tokens; `%` and `%%` followed by a blank are operators
      const next = text[position + 1] ?? '';
      const afterNext = text[position + 2] ?? '';
      if (next === '+') {
        tokens.push({ kind: 'percent', text: '%+', column });
        position += 2;
        continue;
      }
      if (next === '%' && (isIdentifierStart(afterNext) || isDigit(afterNext))) {
        const end = identifierEnd(text, position + 2);
        tokens.push({ kind: 'percent', text: text.slice(position, end), column });
        position = end;
        continue;
      }
      if (isIdentifierStart(next) || isDigit(next)) {
        let end = position + 1;
        if (isDigit(next)) {
          while (end < text.length && isDigit(text[end])) end++;
        } else {
          end = identifierEnd(text, end);
        }
        tokens.push({ kind: 'percent', text: text.slice(position, end), column });
        position = end;
        continue;
      }
    }
    const operator = operatorAt(text, position);
    if (operator) {
      tokens.push({ kind: 'op', text: operator, column });
      position += operator.length;
      continue;
    }
    errors.push({ column, message: `unexpected character '${character}'` });
    position++;
  }
  return { tokens, errors };
}

const UTF8 = new TextEncoder();

function scanString(text: string, start: number): { end: number; bytes: number[]; error?: string } {
  const quote = text[start];
  const bytes: number[] = [];
  let position = start + 1;
  while (position < text.length) {
    const character = text[position];
    if (character === quote) return { end: position + 1, bytes };
    if (quote === '`' && character === '\\' && position + 1 < text.length) {
      const escaped = decodeEscape(text, position + 1);
      bytes.push(...escaped.bytes);
      position = escaped.end;
      continue;
    }
    const codePoint = text.codePointAt(position) ?? 0;
    if (codePoint < 0x80) {
      // UTF-8 of an ASCII character is the character itself
      bytes.push(codePoint);
      position++;
      continue;
    }
    const characterText = String.fromCodePoint(codePoint);
    bytes.push(...UTF8.encode(characterText));
    position += characterText.length;
  }
  return { end: text.length, bytes, error: `unterminated string (missing closing ${quote})` };
}

const SIMPLE_ESCAPES: Record<string, number> = {
  'n': 10, 't': 9, 'r': 13, '0': 0, 'a': 7, 'b': 8, 'f': 12, 'v': 11, 'e': 27, '\\': 92, '\'': 39, '"': 34, '`': 96, '?': 63,
};

function decodeEscape(text: string, position: number): { end: number; bytes: number[] } {
  const character = text[position];
  if (character === 'x') {
    const match = /^[0-9A-Fa-f]{1,2}/.exec(text.slice(position + 1));
    if (match) return { end: position + 1 + match[0].length, bytes: [parseInt(match[0], 16)] };
  }
  const octal = /^[0-7]{1,3}/.exec(text.slice(position));
  if (octal) {
    return { end: position + octal[0].length, bytes: [parseInt(octal[0], 8) & 0xff] };
  }
  if (character in SIMPLE_ESCAPES) return { end: position + 1, bytes: [SIMPLE_ESCAPES[character]] };
  return { end: position + 1, bytes: [character.charCodeAt(0) & 0xff] };
}

function radixOfLetter(letter: string): number {
  switch (letter.toLowerCase()) {
    case 'b': case 'y': return 2;
    case 'q': case 'o': return 8;
    case 'd': case 't': return 10;
    case 'h': case 'x': return 16;
    default: return 0;
  }
}

/**
 * Reads a NASM number: `0x10`, `10h`, `$0A`, `0b101`, `101b`, `17q`, `17o`, `0o17`, `0d10`, `0t10`, decimal,
 * underscores anywhere. When both a prefix and a suffix could apply, the larger radix wins (as nasm's readnum).
 * Returns the value or a message.
 */
export function parseNumber(written: string): bigint | string {
  const text = written;
  if (text.includes('.') || ((text.includes('e') || text.includes('E')) && /^[0-9_]+e[0-9]+$/i.test(text))) {
    return `floating-point constant '${written}' is not supported here`;
  }
  let start = 0;
  let end = text.length;
  let prefixRadix = 0;
  let prefixLength = 0;
  if (text.length > 2 && text[0] === '0' && radixOfLetter(text[1]) !== 0) {
    prefixRadix = radixOfLetter(text[1]);
    prefixLength = 2;
  } else if (text.length > 1 && text[0] === '$') {
    prefixRadix = 16;
    prefixLength = 1;
  }
  const suffixRadix = text.length > 1 ? radixOfLetter(text[text.length - 1]) : 0;
  let radix = 10;
  if (prefixRadix > suffixRadix) {
    radix = prefixRadix;
    start += prefixLength;
  } else if (suffixRadix > prefixRadix) {
    radix = suffixRadix;
    end -= 1;
  }
  const digits = text.slice(start, end).replace(/_/g, '');
  if (digits.length === 0) return `invalid number '${written}'`;
  const digitValues: number[] = [];
  for (let index = 0; index < digits.length; index++) {
    const digitValue = digitValueOf(digits.charCodeAt(index));
    if (digitValue < 0 || digitValue >= radix) return `invalid number '${written}'`;
    digitValues.push(digitValue);
  }
  // few enough digits to stay below 2^53 (radix^digits <= 2^52): exact in a double, one BigInt at the end
  if (digits.length * Math.log2(radix) <= 52) {
    let small = 0;
    for (const digitValue of digitValues) small = small * radix + digitValue;
    return BigInt(small);
  }
  let value = 0n;
  const bigRadix = BigInt(radix);
  for (const digitValue of digitValues) value = BigInt.asUintN(64, value * bigRadix + BigInt(digitValue));
  return value;
}

/** A digit's value in radix 36 (0-9, then a/A = 10 .. z/Z = 35); -1 for any other character. */
function digitValueOf(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  if (code >= 97 && code <= 122) return code - 87;
  return -1;
}
