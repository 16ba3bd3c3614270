// The flat ring-0 machine (FlatMachine) and `ntsyscall exec`: the API the host-CPU oracle and the CLI
// depend on — registers reset per run, memory kept, the first exception ends the run, limits.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FlatMachine } from '../../core/machine/flat-machine';
import { runExecCommand } from '../../adapter/commands/exec';
import { assembleSource } from './cpu-fixture';

function load(source: string): { machine: FlatMachine; origin: number } {
  const { image, origin } = assembleSource(`bits 32\norg 0x1000\n${source}`);
  const machine = new FlatMachine();
  machine.load(origin, image);
  return { machine, origin };
}

async function exec(source: string, args: string[] = []): Promise<{ status: number; stdout: string; stderr: string }> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-exec-'));
  const file = path.join(directory, 'program.asm');
  fs.writeFileSync(file, source);
  let stdout = '';
  let stderr = '';
  try {
    const status = await runExecCommand([file, ...args], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
    return { status, stdout, stderr };
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

describe('machine: flat ring-0 machine and `ntsyscall exec`', () => {
  it('runs to hlt from the given registers; unset registers are 0, EFLAGS 0x2, ESP near the top of RAM', () => {
    const { machine, origin } = load('add eax, ebx\nmov ecx, esp\npushfd\npop edx\nhlt');
    const result = machine.run({ eip: origin, eax: 2, ebx: 3 });
    assert.strictEqual(result.stop.reason, 'hlt');
    assert.strictEqual(result.registers.eax, 5);
    assert.ok(result.registers.ecx > 15 * 1024 * 1024 && result.registers.ecx <= 16 * 1024 * 1024);
    assert.strictEqual(result.registers.edx, 0x06, 'PF from 5, reserved bit 1');
    assert.strictEqual(result.instructions, 5);
    assert.strictEqual(result.registers.esi, 0);
  });

  it('run() resets registers each time but keeps memory', () => {
    const { machine, origin } = load('inc dword [0x8000]\nmov eax, [0x8000]\nhlt');
    assert.strictEqual(machine.run({ eip: origin, eax: 77 }).registers.eax, 1);
    assert.strictEqual(machine.run({ eip: origin }).registers.eax, 2);
    const result = machine.run({ eip: origin, eflags: 0x8D5 | 0x2 });
    assert.strictEqual(result.registers.eax, 3);
  });

  it('the first exception ends the run with the vector, error code, faulting EIP and a message', () => {
    const { machine, origin } = load('mov eax, 1\nmov ax, 0x33\nmov ds, ax\nhlt');
    const result = machine.run({ eip: origin });
    assert.strictEqual(result.stop.reason, 'exception');
    assert.strictEqual(result.stop.vector, 13);
    assert.strictEqual(result.stop.errorCode, 0x30);
    assert.strictEqual(result.stop.eip, origin + 9);
    assert.strictEqual(result.registers.eip, origin + 9);
    assert.match(result.stop.message, /^#GP general protection at 0x00001009/);
  });

  it('stops at the instruction limit', () => {
    const { machine, origin } = load('spin: jmp spin');
    const result = machine.run({ eip: origin }, { maxInstructions: 1000 });
    assert.deepStrictEqual([result.stop.reason, result.instructions], ['limit', 1000]);
  });

  it('reloading code over a decoded program runs the new bytes', () => {
    const first = assembleSource('bits 32\norg 0x1000\nmov eax, 1\nhlt');
    const second = assembleSource('bits 32\norg 0x1000\nmov eax, 2\nhlt');
    const machine = new FlatMachine();
    machine.load(0x1000, first.image);
    assert.strictEqual(machine.run({ eip: 0x1000 }).registers.eax, 1);
    machine.load(0x1000, second.image);
    assert.strictEqual(machine.run({ eip: 0x1000 }).registers.eax, 2);
  });

  it('exec prints registers and decoded EFLAGS; --json gives one object; --set presets registers', async () => {
    const program = 'bits 32\norg 0x2000\nadd eax, ebx\nhlt\n';
    const text = await exec(program, ['--set', 'eax=0xFFFFFFFF,ebx=1']);
    assert.strictEqual(text.status, 0);
    assert.match(text.stdout, /eax=00000000 ebx=00000001/);
    assert.match(text.stdout, /\[CF PF AF ZF IOPL=0\]/);
    const json = await exec(program, ['--json', '--set', 'eax=2,ebx=40']);
    assert.strictEqual(json.status, 0);
    const parsed = JSON.parse(json.stdout);
    assert.deepStrictEqual(Object.keys(parsed), ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags', 'instructions', 'stop']);
    assert.strictEqual(parsed.eax, 42);
    assert.strictEqual(parsed.eip, 0x2003);
    assert.strictEqual(parsed.stop.reason, 'hlt');
  });

  it('exec: a guest exception exits 3 naming it and the EIP; assembly errors exit 2 as file:line:col', async () => {
    const fault = await exec('bits 32\norg 0x2000\nxor ecx, ecx\ndiv ecx\nhlt\n');
    assert.strictEqual(fault.status, 3);
    assert.match(fault.stderr, /#DE divide error at 0x00002002/);
    const bad = await exec('bits 32\nmovl eax, 1\n');
    assert.strictEqual(bad.status, 2);
    assert.match(bad.stderr, /program\.asm:2:\d+: /);
    const usage = await exec('bits 32\nhlt\n', ['--set', 'xyz=1']);
    assert.strictEqual(usage.status, 2);
    assert.match(usage.stderr, /'xyz' is not a register/);
  });
});
