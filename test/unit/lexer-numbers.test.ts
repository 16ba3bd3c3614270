// NASM numbers (core/asm/lexer.ts parseNumber): short ones are read in a double and long ones in 64-bit
// arithmetic; both must give NASM's value, wrapped to 64 bits, in every radix and spelling.
import * as assert from 'assert';
import * as fc from 'fast-check';
import { parseNumber, tokenizeLine } from '../../core/asm/lexer';

/** NASM's value of `digits` in `radix`, wrapped to 64 bits, computed digit by digit in BigInt. */
function reference(digits: string, radix: number): bigint {
  let value = 0n;
  for (const digit of digits) value = BigInt.asUintN(64, value * BigInt(radix) + BigInt(parseInt(digit, 36)));
  return value;
}

describe('lexer numbers', () => {
  it('reads numbers on both sides of 2^53 exactly', () => {
    assert.strictEqual(parseNumber('9007199254740991'), 9007199254740991n);
    assert.strictEqual(parseNumber('9007199254740993'), 9007199254740993n);
    assert.strictEqual(parseNumber('0xFFFFFFFFFFFFF'), 0xFFFFFFFFFFFFFn);
    assert.strictEqual(parseNumber('0x1FFFFFFFFFFFFF'), 0x1FFFFFFFFFFFFFn);
    assert.strictEqual(parseNumber('0xFFFFFFFFFFFFFFFF'), 0xFFFFFFFFFFFFFFFFn);
    assert.strictEqual(parseNumber('18446744073709551617'), 1n, 'wraps to 64 bits as nasm does');
    assert.strictEqual(parseNumber(`0b${'1'.repeat(60)}`), (1n << 60n) - 1n);
    assert.strictEqual(parseNumber('0FFFF_FFFFh'), 0xFFFFFFFFn);
    assert.strictEqual(parseNumber('$0A'), 10n);
    assert.strictEqual(parseNumber('777q'), 0o777n);
  });

  it('agrees with digit-by-digit 64-bit arithmetic for any length and radix', () => {
    const radixes = [{ radix: 2, prefix: '0b' }, { radix: 8, prefix: '0o' }, { radix: 10, prefix: '' }, { radix: 16, prefix: '0x' }];
    fc.assert(fc.property(fc.constantFrom(...radixes), fc.integer({ min: 1, max: 70 }), fc.infiniteStream(fc.nat()), ({ radix, prefix }, length, choices) => {
      const iterator = choices[Symbol.iterator]();
      let digits = '';
      for (let index = 0; index < length; index++) digits += (iterator.next().value % radix).toString(radix).toUpperCase();
      assert.strictEqual(parseNumber(`${prefix}${digits}`), reference(digits, radix), `${prefix}${digits}`);
    }), { numRuns: 2000, seed: 0x5eed });
  });

  it('still refuses digits outside the radix and floating-point constants', () => {
    assert.strictEqual(parseNumber('0b102'), "invalid number '0b102'");
    assert.strictEqual(parseNumber('12AB'), "invalid number '12AB'");
    assert.strictEqual(parseNumber('1e5'), "floating-point constant '1e5' is not supported here");
    assert.deepStrictEqual(tokenizeLine('mov eax, 1.5').errors, [{ column: 10, message: "floating-point constant '1.5' is not supported here" }]);
  });

  it('splits operators longest first and keeps identifier characters together', () => {
    const texts = (line: string): string[] => tokenizeLine(line).tokens.map((token) => token.text);
    assert.deepStrictEqual(texts('a<<<b <=> c<<d >= e'), ['a', '<<<', 'b', '<=>', 'c', '<<', 'd', '>=', 'e']);
    assert.deepStrictEqual(texts('..@1.x $name ?q @w#~$ %%loc %+ %1'), ['..@1.x', 'name', '?q', '@w#~$', '%%loc', '%+', '%1']);
    assert.deepStrictEqual(texts('db `\\x41é`'), ['db', '`\\x41é`']);
    assert.deepStrictEqual(tokenizeLine('db "aé"').tokens[1].bytes, [0x61, 0xc3, 0xa9]);
  });
});
