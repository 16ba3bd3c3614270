// `ntsyscall run` (SPEC 5) on the NT model: the default sample's NtReadFile through both mechanisms as
// JSON events, and the exit statuses for assembly errors (2) and a runaway program (3).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runRunCommand, runStartCommand } from '../../adapter/commands/run';

interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
  events: Record<string, unknown>[];
}

async function run(args: string[]): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  const status = await runRunCommand(args, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
  const events = args.includes('--json') ? stdout.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>) : [];
  return { status, stdout, stderr, events };
}

function scratchProgram(name: string, text: string): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-run-'));
  const file = path.join(directory, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('ntsyscall run', () => {
  for (const via of ['int2e', 'sysenter'] as const) {
    it(`runs the default sample: NtReadFile (0xB7) via ${via}, status 0, exit status 0`, async () => {
      const result = await run(['--syscall', via, '--json']);
      assert.strictEqual(result.stderr, '');
      assert.strictEqual(result.status, 0);
      const syscalls = result.events.filter((event) => event.type === 'syscall');
      assert.deepStrictEqual(syscalls.map((event) => [event.name, event.number, event.via, event.previousMode]),
        [['NtReadFile', 0xB7, via, 'user'], ['NtTerminateProcess', 0x101, via, 'user']]);
      assert.strictEqual(syscalls[0].status, '0x00000000');
      assert.strictEqual((syscalls[0].args as string[])[0], '0x00000004', 'FileHandle');
      assert.deepStrictEqual(result.events[result.events.length - 1], { ...result.events[result.events.length - 1], type: 'exit', status: '0x00000000', reason: 'terminated' });
    });
  }

  it('reports interrupts with their handlers at --trace interrupts', async () => {
    const result = await run(['--syscall', 'int2e', '--trace', 'interrupts', '--json']);
    const interrupts = result.events.filter((event) => event.type === 'interrupt');
    assert.ok(interrupts.length >= 2);
    assert.deepStrictEqual([interrupts[0].vector, interrupts[0].kind, interrupts[0].fromCpl, interrupts[0].toCpl, interrupts[0].handler],
      [0x2E, 'software', 3, 0, 'nt!KiSystemService']);
  });

  it('shows sysenter and sysexit with the registers that carry the user state', async () => {
    const result = await run(['--syscall', 'sysenter', '--trace', 'interrupts', '--json']);
    const sysenter = result.events.find((event) => event.type === 'sysenter');
    const sysexit = result.events.find((event) => event.type === 'sysexit');
    assert.deepStrictEqual([sysenter?.returnAddress, sysenter?.handler], ['ntdll!NtReadFile+0xc', 'nt!KiFastCallEntry']);
    assert.strictEqual(sysexit?.eip, 'ntdll!KiFastSystemCallRet');
    assert.strictEqual(sysexit?.esp, sysenter?.userEsp);
  });

  it('npm start: the default sample through both mechanisms', async () => {
    let stdout = '';
    const status = await runStartCommand([], { stdout: (text) => { stdout += text; }, stderr: (text) => { stdout += text; } });
    assert.strictEqual(status, 0);
    assert.match(stdout, /int 2Eh -> nt!KiSystemService ==\nint 0x2E from ring 3 at ntdll!KiIntSystemCall\+0x4/);
    assert.match(stdout, /sysenter -> nt!KiFastCallEntry ==\nsysenter from ring 3/);
    assert.strictEqual(stdout.match(/syscall NtReadFile \(0xB7\)/g)?.length, 2);
  });

  it('prints every diagnostic and exits with 2 when the program does not assemble', async () => {
    const file = scratchProgram('broken.asm', 'bits 32\norg 0x400000\nglobal start\nstart:\n  movl eax, 1\n  pop 7\n');
    const result = await run([file]);
    assert.strictEqual(result.status, 2);
    assert.match(result.stderr, /broken\.asm:5:3: unknown instruction 'movl'/);
    assert.match(result.stderr, /broken\.asm:6:/);
    assert.strictEqual(result.stdout, '', 'nothing ran');
  });

  it('stops a runaway program at --max-instructions with exit status 3 and says where', async () => {
    const file = scratchProgram('spin.asm', 'bits 32\norg 0x400000\nglobal start\nstart:\n  jmp start\n');
    const result = await run([file, '--max-instructions', '50000', '--json']);
    assert.strictEqual(result.status, 3);
    const exit = result.events[result.events.length - 1];
    assert.strictEqual(exit.reason, 'limit');
    assert.strictEqual(exit.instructions, 50000);
    assert.match(String(exit.message), /spin!start/);
  });

  it('a driver that wipes the IDT makes int 2Eh triple-fault: exit status 3, a reason, no exception', async () => {
    const driver = scratchProgram('wipe-idt.asm', [
      'bits 32', 'org 0x80600000', 'global DriverEntry', 'DriverEntry:',
      '  mov edi, 0x8003F400', '  mov ecx, 0x200', '  xor eax, eax', '  rep stosd', '  ret 8', '',
    ].join('\n'));
    const result = await run(['--syscall', 'int2e', '--driver', driver, '--json']);
    assert.strictEqual(result.status, 3);
    const exit = result.events[result.events.length - 1];
    assert.strictEqual(exit.reason, 'triple-fault');
    assert.match(String(exit.message), /triple fault/);
  });

  it('--trace instructions shows every instruction from nt!KiSystemStartup on, disassembled', async () => {
    const result = await run(['--trace', 'instructions', '--json']);
    assert.strictEqual(result.status, 0);
    const instructions = result.events.filter((event) => event.type === 'instruction');
    assert.deepStrictEqual([instructions[0].symbol, instructions[0].text], ['nt!KiSystemStartup', 'cli']);
    const exit = result.events[result.events.length - 1];
    assert.strictEqual(instructions.length, exit.instructions);
    assert.ok(instructions.some((event) => event.symbol === 'nt!KiFastCallEntry' && event.text === 'mov     ecx,23h'));
  });

  it('refuses bad options with exit status 2', async () => {
    assert.strictEqual((await run(['--syscall', 'fast'])).status, 2);
    assert.strictEqual((await run(['--trace', 'everything'])).status, 2);
    assert.strictEqual((await run(['/nonexistent/program.asm'])).status, 2);
  });
});
