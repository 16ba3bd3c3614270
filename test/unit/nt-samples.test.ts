// The samples the NT model ships (NT-MODEL.md, "Samples the model ships"), each run the way a person
// runs it - `ntsyscall run SAMPLE --json` - with the events the issue asks each one to show.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runRunCommand } from '../../adapter/commands/run';
import { repositoryRoot } from '../support/oracle-tools';

type RunEvent = Record<string, unknown>;

interface SampleRun {
  status: number;
  stderr: string;
  events: RunEvent[];
}

function samplePath(relative: string): string {
  return path.join(repositoryRoot(), 'samples', relative);
}

async function runSample(args: string[]): Promise<SampleRun> {
  let stdout = '';
  let stderr = '';
  const status = await runRunCommand([...args, '--json'], { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
  const events = stdout.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as RunEvent);
  return { status, stderr, events };
}

const ofType = (events: RunEvent[], type: string): RunEvent[] => events.filter((event) => event.type === type);
const lastEvent = (events: RunEvent[]): RunEvent => events[events.length - 1];

/** The run ended through NtTerminateProcess with status 0. */
function assertCleanExit(run: SampleRun): void {
  assert.strictEqual(run.stderr, '');
  const exit = lastEvent(run.events);
  assert.deepStrictEqual([exit.type, exit.reason, exit.status], ['exit', 'terminated', '0x00000000'], JSON.stringify(exit));
  assert.strictEqual(run.status, 0);
}

describe('NT model samples', () => {
  it('exceptions.asm: #BP, #DE, #PF (error 5) and #GP (error 0x0E*8+2) in one run, each resumed by the SEH handler', async () => {
    const run = await runSample([samplePath('programs/exceptions.asm'), '--trace', 'interrupts']);
    assertCleanExit(run);   // the program returns 0 only when its handler counted all four
    const faults = ofType(run.events, 'interrupt').filter((event) => (event.vector as number) < 0x20);
    assert.deepStrictEqual(faults.map((event) => [event.vector, event.kind, event.fromCpl]),
      [[3, 'exception', 3], [0, 'exception', 3], [14, 'exception', 3], [13, 'exception', 3]]);
    assert.strictEqual(faults[2].errorCode, 5, '#PF: present | read | user');
    assert.strictEqual(faults[3].errorCode, 0x0E * 8 + 2, '#GP: IDT entry 0x0E');
    // After each one ntdll!KiUserExceptionDispatcher calls NtContinue, which resumes past the fault.
    const continues = ofType(run.events, 'syscall').filter((event) => event.name === 'NtContinue');
    assert.deepStrictEqual(continues.map((event) => event.continuesAt),
      ['exceptions!after_breakpoint', 'exceptions!after_divide', 'exceptions!after_kernel_read', 'exceptions!after_gate']);
  });

  it('tickcount.asm: int 2Ah reaches nt!KiGetTickCount from ring 3', async () => {
    const run = await runSample([samplePath('programs/tickcount.asm'), '--trace', 'interrupts']);
    assertCleanExit(run);
    const tick = ofType(run.events, 'interrupt').find((event) => event.vector === 0x2A);
    assert.deepStrictEqual([tick?.kind, tick?.fromCpl, tick?.handler], ['software', 3, 'nt!KiGetTickCount']);
  });

  it('bad-syscall.asm: an index past the limit -> 0xC000001C, a kernel argument pointer -> 0xC0000005', async () => {
    const run = await runSample([samplePath('programs/bad-syscall.asm')]);
    assertCleanExit(run);
    const [badIndex, badPointer] = ofType(run.events, 'syscall');
    assert.deepStrictEqual([badIndex.number, badIndex.table, badIndex.status], [0xFFF, 0, '0xC000001C']);
    assert.deepStrictEqual([badPointer.via, badPointer.status], ['int2e', '0xC0000005']);
  });

  it('clock.asm: the clock (hardware vector 0x30) interrupts the ring-3 loop, which then ends by itself', async () => {
    const run = await runSample([samplePath('programs/clock.asm'), '--clock', '500', '--trace', 'interrupts']);
    assertCleanExit(run);
    const ticks = ofType(run.events, 'interrupt').filter((event) => event.vector === 0x30);
    assert.ok(ticks.length >= 3, `${ticks.length} clock interrupts`);
    assert.ok(ticks.every((event) => event.kind === 'hardware' && event.handler === 'nt!HalpClockInterrupt'));
    assert.ok(ticks.some((event) => event.fromCpl === 3 && String(event.eip).startsWith('0x004')), 'taken inside the program, in ring 3');
  });

  it('callback.asm: a table-1 syscall calls back into ring 3, int 2Bh returns, the service returns the callback\'s result', async () => {
    const run = await runSample([samplePath('programs/callback.asm'), '--trace', 'interrupts']);
    assertCleanExit(run);
    const shadow = ofType(run.events, 'syscall').find((event) => event.table === 1);
    assert.deepStrictEqual([shadow?.number, shadow?.name, shadow?.status], [0, 'NtUserInvokeCallback', '0x0000002A']);
    // In order: the callback's own output (ring 3), then int 2Bh from ring 3, then the service's return.
    const output = run.events.findIndex((event) => event.type === 'output' && String(event.text).includes('running in ring 3'));
    const callbackReturn = run.events.findIndex((event) => event.type === 'interrupt' && event.vector === 0x2B);
    assert.ok(output >= 0 && callbackReturn > output && run.events.indexOf(shadow!) > callbackReturn);
    const returnEvent = run.events[callbackReturn];
    assert.deepStrictEqual([returnEvent.fromCpl, returnEvent.handler], [3, 'nt!KiCallbackReturn']);
  });

  it('drivers/zwcall.asm: ZwReadFile from DriverEntry is a system call with previousMode kernel', async () => {
    const run = await runSample([samplePath('programs/readfile.asm'), '--driver', samplePath('drivers/zwcall.asm')]);
    assertCleanExit(run);
    const [fromDriver, fromProgram] = ofType(run.events, 'syscall');
    assert.deepStrictEqual([fromDriver.name, fromDriver.via, fromDriver.previousMode, fromDriver.status], ['NtReadFile', 'kernel', 'kernel', '0x00000000']);
    assert.deepStrictEqual([fromProgram.name, fromProgram.previousMode], ['NtReadFile', 'user']);
  });

  it('drivers/ssdt-hook.asm: the hook runs inside the program\'s NtReadFile, before the original service', async () => {
    const run = await runSample([samplePath('programs/readfile.asm'), '--driver', samplePath('drivers/ssdt-hook.asm'), '--syscall', 'sysenter', '--trace', 'interrupts']);
    assertCleanExit(run);
    const enter = run.events.findIndex((event) => event.type === 'sysenter' && event.returnAddress === 'ntdll!NtReadFile+0xc');
    const hook = run.events.findIndex((event) => event.type === 'output' && String(event.text).startsWith('ssdt-hook: hook_NtReadFile'));
    const done = run.events.findIndex((event) => event.type === 'syscall' && event.name === 'NtReadFile');
    assert.ok(enter >= 0 && enter < hook && hook < done, `sysenter ${enter}, hook ${hook}, NtReadFile done ${done}`);
    assert.strictEqual(run.events[done].status, '0x00000000', 'the original NtReadFile still did the read');
  });

  it('two drivers load in command-line order: ssdt-hook first, so zwcall\'s kernel-mode ZwReadFile already runs the hook', async () => {
    const run = await runSample(['--driver', samplePath('drivers/ssdt-hook.asm'), '--driver', samplePath('drivers/zwcall.asm')]);
    assertCleanExit(run);
    const kinds = run.events.filter((event) => event.type !== 'exit')
      .map((event) => (event.type === 'output' ? 'hook' : `${String(event.name)} ${String(event.previousMode)}`));
    assert.deepStrictEqual(kinds, ['hook', 'NtReadFile kernel', 'hook', 'NtReadFile user', 'NtTerminateProcess user']);
  });

  it('ntdll!ReadFile (the Win32-style wrapper): TRUE with the byte count, then TRUE with 0 bytes at the end of the file', async () => {
    const program = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ntsyscall-samples-')), 'win32read.asm');
    fs.writeFileSync(program, [
      'bits 32', 'org 0x400000', 'extern ReadFile', 'global start', 'start:',
      '        push 0', '        push first_count', '        push 256', '        push buffer', '        push 4', '        call ReadFile',
      '        mov [first_result], eax',
      '        push 0', '        push second_count', '        push 256', '        push buffer', '        push 4', '        call ReadFile',
      '        add eax, [first_result]         ; 2 when both returned TRUE',
      '        shl eax, 16',
      '        or eax, [first_count]',
      '        or eax, [second_count]          ; 0 at the end of the file',
      '        ret',
      'first_result: dd 0', 'first_count: dd 0', 'second_count: dd 0xFFFF', 'buffer: times 256 db 0', '',
    ].join('\n'));
    const run = await runSample([program]);
    const exit = lastEvent(run.events);
    const fileLength = 'This text was copied by nt!NtReadFile from the kernel into your buffer.\r\n'.length;
    assert.strictEqual(exit.status, `0x${((2 << 16) | fileLength).toString(16).toUpperCase().padStart(8, '0')}`);
    const reads = ofType(run.events, 'syscall').filter((event) => event.name === 'NtReadFile');
    assert.deepStrictEqual(reads.map((event) => event.status), ['0x00000000', '0xC0000011'], 'STATUS_END_OF_FILE the second time');
  });
});
