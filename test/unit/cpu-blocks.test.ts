// The block compiler (core/cpu/block-compiler.ts) against the interpreter it replaces: random loops of
// the forms it emits inline, mixed with forms that end a block, run once interpreted and once compiled
// from the first arrival, with paging on and some accesses faulting. Registers, EFLAGS, EIP, CR2, the
// instruction count, the stop and the data pages must come out identical.
import * as assert from 'assert';
import { Machine, MachineStop } from '../../core/machine/machine';
import { assembleSource } from './cpu-fixture';
import { CODE, DATA, dataWords, pagedBlockWorld, randomSource, runTwoSlices, STACK_TOP } from './block-test-world';

const SEEDS = 300;

const REGISTERS = ['eax', 'ebx', 'edx', 'esi', 'edi'];

function randomProgram(seed: number): string {
  const next = randomSource(seed);
  const pick = <T>(items: readonly T[]): T => items[next() % items.length];
  const register = (): string => pick(REGISTERS);
  const immediate = (): string => `0x${(next() % 4 === 0 ? next() : next() % 256).toString(16)}`;
  // Mostly inside the two writable pages; now and then the read-only page or past the mapping (#PF).
  const memory = (): string => {
    const roll = next() % 64;
    const displacement = roll === 0 ? 0x3000 + (next() % 0x100) : roll === 1 ? 0x2000 + (next() % 0x100) : next() % 0x1FFC;
    return `dword [ebp+0x${displacement.toString(16)}]`;
  };
  const alu = ['add', 'sub', 'xor', 'and', 'or', 'cmp', 'test'];
  // Byte and word forms: AH/BH/DH are bytes 1 of their registers; a word at a page's last byte crosses it.
  const narrow = (): { size: 'byte' | 'word'; narrowRegister: () => string } => next() % 2 === 0
    ? { size: 'byte', narrowRegister: () => pick(['al', 'bl', 'dl', 'ah', 'bh', 'dh']) }
    : { size: 'word', narrowRegister: () => pick(['ax', 'bx', 'dx', 'si', 'di']) };
  const narrowMemory = (size: string): string => {
    const roll = next() % 64;
    const displacement = roll === 0 ? 0x3000 + (next() % 0x100) : roll === 1 ? 0x2000 + (next() % 0x100) : roll === 2 ? 0xFFF : next() % 0x1FFF;
    return `${size} [ebp+0x${displacement.toString(16)}]`;
  };
  const narrowForm = (): string => {
    const { size, narrowRegister } = narrow();
    const value = `0x${(next() % (size === 'byte' ? 0x100 : 0x10000)).toString(16)}`;
    switch (next() % 9) {
      case 0: return `${pick(alu)} ${narrowRegister()}, ${narrowRegister()}`;
      case 1: return `${pick(alu)} ${narrowRegister()}, ${value}`;
      case 2: return `${pick(alu)} ${narrowRegister()}, ${narrowMemory(size)}`;
      case 3: return `${pick(alu)} ${narrowMemory(size)}, ${next() % 2 === 0 ? narrowRegister() : value}`;
      case 4: return `mov ${narrowRegister()}, ${pick([narrowRegister(), value, narrowMemory(size)])}`;
      case 5: return `mov ${narrowMemory(size)}, ${next() % 2 === 0 ? narrowRegister() : value}`;
      case 6: return `${pick(['inc', 'dec'])} ${next() % 2 === 0 ? narrowRegister() : narrowMemory(size)}`;
      case 7: return `${pick(['inc', 'dec'])} ${memory()}`;
      default: return `${pick(['shl', 'sal', 'shr', 'sar'])} ${register()}, ${pick(['1', '0', '31', String(next() % 40)])}`;
    }
  };
  let skips = 0;
  const forms: (() => string)[] = [
    () => `${pick(alu)} ${register()}, ${register()}`,
    () => `${pick(alu)} ${register()}, ${immediate()}`,
    () => `${pick(alu)} ${register()}, ${memory()}`,
    () => `${pick(alu)} ${memory()}, ${register()}`,
    () => `${pick(alu)} ${memory()}, ${immediate()}`,
    () => `inc ${register()}`,
    () => `dec ${register()}`,
    () => `mov ${register()}, ${register()}`,
    () => `mov ${register()}, ${immediate()}`,
    () => `mov ${register()}, ${memory()}`,
    () => `mov ${memory()}, ${register()}`,
    () => `lea ${register()}, [ebp+${register()}*4+0x${(next() % 0x100).toString(16)}]`,
    () => `push ${register()}\n        pop ${register()}`,
    narrowForm,
    narrowForm,
    // Forms that end a block: they read the flags the block left in locals.
    () => `adc ${register()}, ${register()}`,
    () => `sbb ${register()}, ${immediate()}`,
    () => `set${pick(['c', 'z', 'o', 's', 'p', 'l', 'be'])} al`,
    () => `pushfd\n        pop ${register()}`,
    () => `j${pick(['c', 'nz', 'o', 'ns', 'le', 'a'])} $+2`,
    // A conditional jump over one instruction: the block runs on into the fall-through (a side exit
    // when taken), on flags in locals or, after a called form, in the CPU; PF goes through testCondition.
    () => {
      skips++;
      return `${pick(['add', 'cmp', 'test', 'adc', 'inc'])} ${register()}, ${register() === 'eax' ? '1' : register()}`.replace(/^inc (\w+), .*/, 'inc $1') +
        `\n        j${pick(['c', 'nc', 'z', 'nz', 'o', 's', 'l', 'ge', 'be', 'a', 'p', 'np'])} .skip${skips}\n        ${pick(forms.slice(0, 15))()}\n.skip${skips}:`;
    },
  ];
  const body: string[] = [];
  const length = 4 + (next() % 20);
  for (let i = 0; i < length; i++) body.push(`        ${pick(forms)()}`);
  return `bits 32
org 0x${CODE.toString(16)}
        mov ecx, ${1 + (next() % 40)}
        mov ebp, 0x${DATA.toString(16)}
.loop:
${body.join('\n')}
        dec ecx
        jnz .loop
        pushfd
        pop ecx
        hlt
`;
}

interface Outcome {
  stop: Pick<MachineStop, 'reason' | 'eip'>;
  registers: unknown;
  eflags: number;
  cr2: number;
  instructions: number;
  data: number[];
}

function run(source: string, blockCompileThreshold: number): Outcome {
  const machine = pagedBlockWorld(source, blockCompileThreshold, 0x2000);
  const stop = runTwoSlices(machine, 100_000);
  const cpu = machine.cpu;
  return { stop, registers: machine.registers(), eflags: cpu.eflags, cr2: cpu.cr2, instructions: cpu.instructionCount, data: dataWords(machine, 0x2000) };
}

describe('cpu: compiled blocks agree with the interpreter', () => {
  it('random loops of inline and block-ending forms, with faults, give identical machines', () => {
    let faulted = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const source = randomProgram(seed);
      const interpreted = run(source, 0);
      if (interpreted.stop.reason !== 'hlt') faulted++;
      for (const threshold of [1, 3]) {
        assert.deepStrictEqual(run(source, threshold), interpreted, `seed ${seed}, threshold ${threshold}:\n${source}`);
      }
    }
    assert.ok(faulted > 8, `some programs fault inside a block (${faulted} of ${SEEDS})`);
  });

  it('a store into the running block stops it: the rewritten instruction runs', () => {
    const source = `bits 32
org 0x${CODE.toString(16)}
        mov ecx, 3
again:  mov eax, 1
        mov byte [patch+1], 7     ; rewrites the immediate below, in the same block
patch:  mov ebx, 0
        add edx, ebx
        dec ecx
        jnz again
        hlt
`;
    const interpreted = run(source, 0);
    assert.strictEqual((interpreted.registers as { edx: number }).edx, 21);
    assert.deepStrictEqual(run(source, 1), interpreted);
  });

  it('a breakpoint inside a compiled block stops there', () => {
    const program = assembleSource(`bits 32
org 0x${CODE.toString(16)}
        mov ecx, 100
again:  add eax, 1
here:   add ebx, 2
        dec ecx
        jnz again
        hlt
`);
    const machine = new Machine({ memoryBytes: 4 * 1024 * 1024 });
    machine.writePhysical(program.origin, program.image);
    machine.cpu.blockCompileThreshold = 1;
    machine.cpu.setFlatSegments(0);
    machine.cpu.r32[4] = STACK_TOP;
    machine.cpu.jumpTo(program.origin);
    assert.strictEqual(machine.runSlice(50).reason, 'slice');
    machine.addBreakpoint(program.symbol('here'));
    const stop = machine.runSlice(1000);
    assert.strictEqual(stop.reason, 'breakpoint');
    assert.strictEqual(stop.eip, program.symbol('here'));
  });
});
