// The listing follows `nasm -l`: the same line numbers, the same bytes per row (nine, `-` when the line
// continues), `<rep Nh>` for times, `<1>` for macro lines. Addresses differ on purpose: ours are absolute.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assemble } from '../../core/asm/assembler';
import { findExecutable } from '../support/oracle-tools';

const SOURCE = [
  'bits 32',
  '%macro stub 2',
  '  mov eax, %1',
  '  ret %2 * 4',
  '%endmacro',
  'org 0x7C900000',
  'start:',
  '  stub 0xB7, 9',
  '  db "a string longer than nine bytes", 0',
  '  times 3 nop',
  '  dd 1, 2, 3',
  'count equ 5',
  '  mov edx, esp ; comment kept',
  '',
].join('\n');

/** (line number, bytes) rows of a listing, leaving addresses and text aside. */
function rows(listing: string): string[] {
  return listing.split('\n').map((row) => /^\s*(\d+) (?:[0-9A-F]{8}) (\S+)/.exec(row)).filter((match) => match !== null)
    .map((match) => `${match![1]} ${match![2]}`);
}

describe('assembler listing', () => {
  it('shows each line with its address, bytes and text', () => {
    const listing = assemble({ fileName: 'listing.asm', source: SOURCE }).listing.split('\n');
    assert.strictEqual(listing[0], '     1                                  bits 32');
    assert.strictEqual(listing[7], '     8                                    stub 0xB7, 9');
    assert.strictEqual(listing[8], '     3 7C900000 B8B7000000          <1>   mov eax, %1');
    assert.strictEqual(listing[9], '     4 7C900005 C22400              <1>   ret %2 * 4');
    assert.strictEqual(listing[10], '     9 7C900008 6120737472696E6720-       db "a string longer than nine bytes", 0');
    assert.strictEqual(listing[11], '     9 7C900011 6C6F6E676572207468-');
    assert.strictEqual(listing[13], '     9 7C900023 7974657300');
    assert.strictEqual(listing[14], '    10 7C900028 90<rep 3h>                times 3 nop');
    assert.strictEqual(listing[17], '    12          =00000005               count equ 5');
    assert.strictEqual(listing[18], '    13 7C900037 89E2                      mov edx, esp ; comment kept');
  });

  it('has the same line numbers and bytes per row as nasm -l', function () {
    const nasm = findExecutable('nasm');
    if (!nasm) return this.skip();
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-listing-'));
    try {
      fs.writeFileSync(path.join(directory, 'l.asm'), SOURCE);
      execFileSync(nasm, ['-f', 'bin', '-l', path.join(directory, 'l.lst'), '-o', path.join(directory, 'l.bin'), path.join(directory, 'l.asm')]);
      const theirs = rows(fs.readFileSync(path.join(directory, 'l.lst'), 'utf8'));
      const ours = rows(assemble({ fileName: 'l.asm', source: SOURCE }).listing);
      assert.deepStrictEqual(ours, theirs);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
