// The whole NT model run three ways: interpreted only, with blocks compiled on the first arrival (many
// small blocks and links: the compiler's edges everywhere), and as shipped. Every sample program and
// driver, through sysenter and int 2Eh, must give the same machine: every interrupt and exception at the
// same instruction count with the same frame, the same output, the same exit, registers and memory. The
// clock sample makes this exact: its interrupts land every N instructions, so one instruction counted
// wrongly anywhere moves them all.
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as path from 'path';
import { buildNtSystem } from '../../adapter/target/nt-system-builder';
import { directAssembler } from '../../core/asm/assembly-cache';
import { BLOCK_COMPILE_THRESHOLD } from '../../core/cpu/block-compiler';
import { repositoryRoot } from '../support/oracle-tools';

interface Scenario {
  name: string;
  program: string;
  driver?: string;
  clock?: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'readfile', program: 'programs/readfile.asm' },
  { name: 'hello', program: 'programs/hello.asm' },
  { name: 'exceptions', program: 'programs/exceptions.asm' },
  { name: 'tickcount', program: 'programs/tickcount.asm' },
  { name: 'bad-syscall', program: 'programs/bad-syscall.asm' },
  { name: 'callback', program: 'programs/callback.asm' },
  { name: 'clock every 97 instructions', program: 'programs/clock.asm', clock: 97 },
  { name: 'zwcall driver', program: 'programs/readfile.asm', driver: 'drivers/zwcall.asm' },
  { name: 'ssdt-hook driver', program: 'programs/readfile.asm', driver: 'drivers/ssdt-hook.asm' },
];

interface Outcome {
  stop: string;
  exitStatus: number | undefined;
  instructions: number;
  events: string[];
  output: string;
  registers: unknown;
  memory: string;
}

function run(scenario: Scenario, mechanism: 'sysenter' | 'int2e', threshold: number): Outcome {
  const samples = path.join(repositoryRoot(), 'samples');
  const build = buildNtSystem({
    program: path.join(samples, scenario.program), drivers: scenario.driver === undefined ? [] : [path.join(samples, scenario.driver)],
    kernel: undefined, ntdll: undefined, syscall: mechanism, windows: 'xp-sp3', stopOnEntry: false, clock: scenario.clock ?? 0, trace: 'none',
  }, {}, directAssembler);
  if (!build.ok) throw new Error(`${scenario.name}: ${build.summary}\n${build.problems.join('\n')}`);
  const { machine, control } = build.system.booted;
  machine.cpu.blockCompileThreshold = threshold;
  const events: string[] = [];
  machine.onInterrupt((event) => events.push(JSON.stringify({ at: machine.instructionCount, ...event })));
  let output = '';
  machine.debugPort.onByte = (byte) => { output += String.fromCharCode(byte); };
  let stop = '';
  for (let slice = 0; slice < 400; slice++) {
    const result = machine.runSlice(250_000);
    if (result.reason !== 'slice') { stop = `${result.reason}: ${result.message}`; break; }
  }
  return {
    stop, exitStatus: control.exitStatus, instructions: machine.instructionCount, events, output,
    registers: machine.registers(), memory: createHash('sha256').update(machine.memory.bytes).digest('hex'),
  };
}

describe('NT model: compiled blocks and links change nothing a guest or a debugger can see', () => {
  for (const scenario of SCENARIOS) {
    for (const mechanism of ['sysenter', 'int2e'] as const) {
      it(`${scenario.name} through ${mechanism}: interpreted, blocks at first arrival and as shipped agree`, () => {
        const interpreted = run(scenario, mechanism, 0);
        assert.ok(interpreted.exitStatus !== undefined, `${scenario.name} ends through NtTerminateProcess (${interpreted.stop})`);
        for (const threshold of [1, BLOCK_COMPILE_THRESHOLD]) {
          const compiled = run(scenario, mechanism, threshold);
          assert.deepStrictEqual({ ...compiled, events: compiled.events.length }, { ...interpreted, events: interpreted.events.length }, `threshold ${threshold}`);
          assert.deepStrictEqual(compiled.events, interpreted.events, `threshold ${threshold}: the interrupt and exception events`);
        }
      });
    }
  }
});
