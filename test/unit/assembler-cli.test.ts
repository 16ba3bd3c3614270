// `ntsyscall asm FILE.asm [-o OUT.bin] [--listing]`: writes what nasm would, prints a listing on request,
// prints every diagnostic as file:line:col: message and exits 2 on errors or bad flags.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runAsmCommand } from '../../adapter/commands/asm';

interface Captured {
  status: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const status = await runAsmCommand(args, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
  return { status, stdout, stderr };
}

describe('ntsyscall asm', () => {
  let directory: string;

  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-asm-'));
  });

  afterEach(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('writes FILE.bin beside the source by default and prints nothing', async () => {
    const source = path.join(directory, 'stub.asm');
    fs.writeFileSync(source, 'bits 32\nmov eax, 0xB7\nret 0x24\n');
    const result = await run([source]);
    assert.deepStrictEqual(result, { status: 0, stdout: '', stderr: '' });
    assert.strictEqual(fs.readFileSync(path.join(directory, 'stub.bin')).toString('hex'), 'b8b7000000c22400');
  });

  it('writes to -o and prints the listing with --listing', async () => {
    const source = path.join(directory, 'stub.asm');
    const output = path.join(directory, 'out', 'x.bin');
    fs.mkdirSync(path.dirname(output));
    fs.writeFileSync(source, 'bits 32\norg 0x7C900000\nKiFastSystemCall:\n  mov edx, esp\n  sysenter\n');
    const result = await run([source, '-o', output, '--listing']);
    assert.strictEqual(result.status, 0);
    assert.strictEqual(fs.readFileSync(output).toString('hex'), '89e20f34');
    const listing = result.stdout.split('\n');
    assert.match(listing[3], /^\s+4 7C900000 89E2\s+mov edx, esp$/);
    assert.match(listing[4], /^\s+5 7C900002 0F34\s+sysenter$/);
  });

  it('prints every error as file:line:col: message and exits 2 without writing', async () => {
    const source = path.join(directory, 'bad.asm');
    fs.writeFileSync(source, 'bits 32\n  movl eax, 1\n  jmp nowhere\n');
    const result = await run([source]);
    assert.strictEqual(result.status, 2);
    assert.strictEqual(result.stderr, `${source}:2:3: unknown instruction 'movl'\n${source}:3:7: symbol 'nowhere' is not defined\n`);
    assert.strictEqual(fs.existsSync(path.join(directory, 'bad.bin')), false);
  });

  it('answers bad flags and missing files with a message and exit status 2', async () => {
    for (const args of [[], ['--frobnicate', 'x.asm'], ['a.asm', 'b.asm'], ['x.asm', '-o']]) {
      const result = await run(args);
      assert.strictEqual(result.status, 2, JSON.stringify(args));
      assert.match(result.stderr, /usage: ntsyscall asm/);
    }
    const missing = await run([path.join(directory, 'missing.asm')]);
    assert.strictEqual(missing.status, 2);
    assert.match(missing.stderr, /missing\.asm:1:1: cannot read/);
  });
});
