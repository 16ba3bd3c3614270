// The command-line checks for `ntsyscall run`, through the CLI's own entry point: the default
// sample's NtReadFile through int 2Eh, sysenter and Windows 2000's numbering, and the bad input a
// person can give it (a program that does not assemble, one that never ends, a guest that wipes
// its IDT) ending with the documented exit statuses, never with a host exception.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../adapter/cli';
import { repositoryRoot } from '../support/oracle-tools';

interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  events: Record<string, unknown>[];
}

async function ntsyscall(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const status = await main(args, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
  const events = args.includes('--json') ? stdout.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>) : [];
  return { status, stdout, stderr, events };
}

function scratchFile(name: string, lines: string[]): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-cli-')), name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const READFILE = path.join(repositoryRoot(), 'samples', 'programs', 'readfile.asm');

describe('ntsyscall run (the issue\'s CLI checks)', () => {
  const cases = [
    { args: ['--syscall', 'int2e'], number: 0xB7, via: 'int2e' },
    { args: ['--syscall', 'sysenter'], number: 0xB7, via: 'sysenter' },
    // NT4 and 2000 ntdll stubs enter with int 2Eh themselves, whatever the CPU offers.
    { args: ['--windows', 'win2k-sp4'], number: 0xA1, via: 'int2e' },
  ];
  for (const { args, number, via } of cases) {
    it(`run readfile.asm ${args.join(' ')}: NtReadFile 0x${number.toString(16).toUpperCase()} via ${via}, status 0, exit status 0`, async () => {
      const result = await ntsyscall(['run', READFILE, ...args, '--json']);
      assert.strictEqual(result.stderr, '');
      assert.strictEqual(result.status, 0);
      const read = result.events.find((event) => event.type === 'syscall' && event.name === 'NtReadFile');
      assert.deepStrictEqual([read?.number, read?.via, read?.previousMode, read?.status], [number, via, 'user', '0x00000000']);
      const exit = result.events[result.events.length - 1];
      assert.deepStrictEqual([exit.type, exit.status, exit.reason], ['exit', '0x00000000', 'terminated']);
    });
  }

  it('a program that does not assemble: every diagnostic as file:line:col, exit status 2, nothing run', async () => {
    const broken = scratchFile('broken.asm', [
      'bits 32', 'org 0x400000', 'global start', 'start:', '        movl eax, 1', '        jmp nowhere', '        pop 7',
    ]);
    const result = await ntsyscall(['run', broken, '--json']);
    assert.strictEqual(result.status, 2);
    assert.strictEqual(result.stdout, '', 'no event: the machine never started');
    const diagnostics = result.stderr.split('\n').filter((line) => line.includes('broken.asm:'));
    assert.ok(diagnostics.length >= 3, result.stderr);
    assert.match(result.stderr, /broken\.asm:5:9: /);
    assert.match(result.stderr, /broken\.asm:6:\d+: /);
    assert.match(result.stderr, /broken\.asm:7:\d+: /);
  });

  it('a runaway program: --max-instructions stops it with exit status 3 and names where it was', async () => {
    const runaway = scratchFile('runaway.asm', ['bits 32', 'org 0x400000', 'global start', 'start:', '        inc eax', '.again: jmp .again']);
    const result = await ntsyscall(['run', runaway, '--max-instructions', '20000']);
    assert.strictEqual(result.status, 3);
    assert.match(result.stdout, /machine stopped \(limit\) at runaway!start\+0x1 after 20000 instructions/);
  });

  it('a guest that wipes its IDT: the machine double- and triple-faults, the run ends with a reason, nothing throws', async () => {
    const wiper = scratchFile('wipe-idt.asm', [
      'bits 32', 'org 0x80600000', 'global DriverEntry', 'DriverEntry:',
      '        mov edi, 0x8003F400             ; the IDT', '        mov ecx, 0x800 / 4', '        xor eax, eax', '        rep stosd',
      '        int3                            ; no gate: #NP, then #DF, then a triple fault', '        ret 8',
    ]);
    const result = await ntsyscall(['run', READFILE, '--driver', wiper, '--json']);
    assert.strictEqual(result.status, 3);
    const exit = result.events[result.events.length - 1];
    assert.strictEqual(exit.type, 'exit');
    assert.strictEqual(exit.reason, 'triple-fault');
    assert.ok(String(exit.message).length > 0);
  });
});
