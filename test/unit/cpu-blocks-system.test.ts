// The block compiler's system-facing forms against the interpreter: data segment loads (mov, pop, push of
// segment registers, with selectors that load, fault #GP or #NP, or change a base the next access uses),
// popfd/pushfd, cli/sti, cld/std, string instructions called inside a block, and jumps a block follows
// (a jmp forward, a jcc into whichever side ran before). Each random loop runs once interpreted and once
// compiled; registers, EFLAGS, segment registers, EIP, the instruction count, the stop and the data
// pages must come out identical.
import * as assert from 'assert';
import type { MachineStop } from '../../core/machine/machine';
import { CODE, DATA, dataWords, pagedBlockWorld, randomSource, runTwoSlices } from './block-test-world';

const GDT = 0x80000;
const SEEDS = 250;

/** Selectors of the test GDT, with what loading each into DS/ES/FS/GS does. */
const FLAT_DATA = 0x10;          // base 0, 4 GiB, read/write
const OFFSET_DATA = 0x18;        // base 0x1000 below DATA: [fs:ebp+x] reads DATA - 0x1000 + x... within the mapping
const READ_ONLY_DATA = 0x20;     // loads; a write through it is #GP(0)
const NOT_PRESENT = 0x28;        // #NP(0x28)
const EXECUTE_ONLY = 0x30;       // code without the read bit: #GP(0x30)
const PAST_LIMIT = 0x48;         // beyond the GDT limit: #GP(0x48)

function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const low = ((base & 0xFFFF) << 16) | (limit & 0xFFFF);
  const high = (base & 0xFF000000) | (flags << 20) | (((limit >>> 16) & 0xF) << 16) | (access << 8) | ((base >>> 16) & 0xFF);
  return [low >>> 0, high >>> 0];
}

const GDT_ENTRIES: [number, number][] = [
  [0, 0],
  descriptor(0, 0xFFFFF, 0x9B, 0xC),            // 0x08 ring-0 code
  descriptor(0, 0xFFFFF, 0x93, 0xC),            // 0x10 flat data
  descriptor(0x1000, 0xFFFFF, 0x93, 0xC),       // 0x18 data at base 0x1000
  descriptor(0, 0xFFFFF, 0x91, 0xC),            // 0x20 read-only data
  descriptor(0, 0xFFFFF, 0x13, 0xC),            // 0x28 not present
  descriptor(0, 0xFFFFF, 0x99, 0xC),            // 0x30 execute-only code
  descriptor(0, 0xFFFFF, 0xF3, 0xC),            // 0x38 ring-3 data (DPL 3 loads fine at CPL 0)
];

function randomProgram(seed: number): string {
  const next = randomSource(seed);
  const pick = <T>(items: readonly T[]): T => items[next() % items.length];
  const chance = (percent: number): boolean => next() % 100 < percent;
  const register = (): string => pick(['eax', 'ebx', 'edx']);
  const selector = (): number => chance(88)
    ? pick([FLAT_DATA, FLAT_DATA, OFFSET_DATA, READ_ONLY_DATA, 0x38, 0])
    : pick([NOT_PRESENT, EXECUTE_ONLY, PAST_LIMIT, 0x08]);
  const dataSegment = (): string => pick(['ds', 'es', 'fs', 'gs']);
  const displacement = (): string => `0x${(next() % 0x1FF0).toString(16)}`;
  let labels = 0;
  const forms: (() => string)[] = [
    () => `mov ax, 0x${selector().toString(16)}\n        mov ${dataSegment()}, ax`,
    () => `mov word [ebp+0x40], 0x${selector().toString(16)}\n        mov ${dataSegment()}, [ebp+0x40]`,
    () => `push dword 0x${selector().toString(16)}\n        pop ${dataSegment()}`,
    () => `push ${dataSegment()}\n        pop ${register()}`,
    () => `push ${pick(['ds', 'es', 'fs', 'gs'])}\n        pop ${pick(['fs', 'gs'])}`,
    // Accesses through whatever the segment registers hold now (a base of 0x1000, read-only, null ...).
    () => `mov ${register()}, [${pick(['fs', 'gs', 'es', 'ds'])}:ebp+${displacement()}]`,
    () => `add [${pick(['fs', 'gs', 'ds'])}:ebp+${displacement()}], ${register()}`,
    () => `add ${register()}, 0x${(next() % 0x10000).toString(16)}`,
    () => `cmp ${register()}, ${register()}`,
    // EFLAGS through the stack: DF, AC, IF and the arithmetic flags; TF now and then (a trap after the next instruction).
    () => `pushfd\n        pop ecx\n        xor ecx, 0x${pick([0x400, 0x40000, 0x200, 0x8D5, 0x801, chance(10) ? 0x100 : 0x4]).toString(16)}\n        push ecx\n        popfd`,
    () => pick(['cli', 'sti', 'cld', 'std', 'clc', 'stc', 'cmc']),
    () => `cli\n        sti\n        ${pick(['inc eax', 'nop', 'mov ebx, eax'])}`,
    // String instructions inside a block: ESI and EDI inside the data pages, small counts, either direction.
    () => `lea esi, [ebp+0x${(0x100 + next() % 0x800).toString(16)}]\n        lea edi, [ebp+0x${(0x1000 + next() % 0x800).toString(16)}]\n        mov ecx, ${next() % 9}\n        rep ${pick(['movsd', 'movsb', 'stosd', 'stosb'])}`,
    () => `lea esi, [ebp+0x${(next() % 0x1000).toString(16)}]\n        ${pick(['lodsd', 'lodsb', 'movsd'])}`,
    // A jmp forward over an instruction, and a jcc whose two sides both continue.
    () => { labels++; return `jmp .over${labels}\n        ${pick(['inc ebx', 'mov eax, 1', 'hlt'])}\n.over${labels}:`; },
    () => {
      labels++;
      return `test ${register()}, 0x${(1 << (next() % 8)).toString(16)}\n        j${pick(['z', 'nz', 'c', 'nc', 's'])} .side${labels}\n        add eax, 3\n` +
        `        jmp .join${labels}\n.side${labels}:\n        sub ebx, 5\n.join${labels}:`;
    },
  ];
  const body: string[] = [];
  const length = 4 + (next() % 16);
  for (let i = 0; i < length; i++) body.push(`        ${pick(forms)()}`);
  return `bits 32
org 0x${CODE.toString(16)}
        mov esi, ${1 + (next() % 30)}
        mov ebp, 0x${DATA.toString(16)}
.loop:
        push esi
${body.join('\n')}
        pop esi
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        cld
        dec esi
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
  selectors: number[];
  instructions: number;
  data: number[];
}

function run(source: string, blockCompileThreshold: number): Outcome {
  const machine = pagedBlockWorld(source, blockCompileThreshold, 0x3000, (world) => {
    GDT_ENTRIES.forEach(([low, high], index) => {
      world.memory.write32(GDT + index * 8, low);
      world.memory.write32(GDT + index * 8 + 4, high);
    });
    world.cpu.gdtBase = GDT;
    world.cpu.gdtLimit = GDT_ENTRIES.length * 8 - 1;
  });
  const stop = runTwoSlices(machine, 60_000);
  const cpu = machine.cpu;
  return {
    stop, registers: machine.registers(), eflags: cpu.eflags, selectors: Array.from(cpu.segSelector),
    instructions: cpu.instructionCount, data: dataWords(machine, 0x3000),
  };
}

describe('cpu: compiled blocks agree with the interpreter on segment loads, flags, string and jump forms', () => {
  it('random loops with segment loads that fault or move bases, popfd, cli/sti, rep movs and followed jumps', () => {
    let stoppedEarly = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const source = randomProgram(seed);
      const interpreted = run(source, 0);
      if (interpreted.stop.reason !== 'hlt') stoppedEarly++;
      for (const threshold of [1, 2, 5]) {
        assert.deepStrictEqual(run(source, threshold), interpreted, `seed ${seed}, threshold ${threshold}:\n${source}`);
      }
    }
    // Some loops fault part-way (a selector that does not load, a write through a read-only segment).
    assert.ok(stoppedEarly > 10 && stoppedEarly < SEEDS - 10, `a mix of loops that finish and loops that fault (${stoppedEarly} of ${SEEDS} faulted)`);
  });

  it('an access after a segment load in the same block uses the new base', () => {
    for (const load of ['mov ax, SELECTOR\n        mov SEGMENT, ax', 'push dword SELECTOR\n        pop SEGMENT', 'mov word [ebp+0x40], SELECTOR\n        mov SEGMENT, [ebp+0x40]']) {
      for (const segment of ['ds', 'es', 'fs', 'gs']) {
        const body = (selector: number): string => load.replace(/SELECTOR/g, `0x${selector.toString(16)}`).replace(/SEGMENT/g, segment);
        const source = `bits 32
org 0x${CODE.toString(16)}
        mov ecx, 20
        mov ebp, 0x${DATA.toString(16)}
.loop:  ${body(OFFSET_DATA)}
        add eax, [${segment}:ebp+0x10]
        mov [${segment}:ebp+0x20], eax
        ${body(FLAT_DATA)}
        add ebx, [${segment}:ebp+0x10]
        dec ecx
        jnz .loop
        hlt
`;
        const interpreted = run(source, 0);
        assert.strictEqual(interpreted.stop.reason, 'hlt');
        // Compiled on the second arrival at the loop head, when the whole body is decoded: one block.
        assert.deepStrictEqual(run(source, 2), interpreted, source);
      }
    }
  });

  it('a string instruction in a block sees the registers the block set just before it, and the block sees its results', () => {
    const source = `bits 32
org 0x${CODE.toString(16)}
        mov edx, 30
        mov ebp, 0x${DATA.toString(16)}
.loop:  lea esi, [ebp+edx*8]
        lea edi, [ebp+edx*8+0x1000]
        mov ecx, 3
        mov eax, edx
        rep movsd
        stosd
        add ebx, esi
        add ebx, edi
        add ebx, ecx
        dec edx
        jnz .loop
        hlt
`;
    const interpreted = run(source, 0);
    assert.strictEqual(interpreted.stop.reason, 'hlt');
    assert.deepStrictEqual(run(source, 2), interpreted);
  });
});
