// The bench's pure helpers: the spread and paired-change summaries (bench/statistics.ts) and the rules
// that turn a traced kernel path into workload (d)'s flat loop (bench/kernel-mix.ts).
import * as assert from 'assert';
import { assemble } from '../../core/asm/assembler';
import type { DecodedInstruction } from '../../core/isa/decoded';
import { decodeBytes } from '../../core/isa/decoder';
import { buildKernelMixLoop, MIX_DATA, MIX_LOOP_CONTROL_INSTRUCTIONS, treatmentOf, type TracedInstruction } from '../../bench/kernel-mix';
import { formatPairedChange, pairedChange, quantile, signTest, spreadOf } from '../../bench/statistics';

describe('bench statistics', () => {
  it('interpolates quantiles between the sorted samples', () => {
    assert.strictEqual(quantile([3, 1, 2], 0.5), 2);
    assert.strictEqual(quantile([4, 1, 2, 3], 0.5), 2.5);
    assert.strictEqual(quantile([0, 10], 0.25), 2.5);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });

  it('reports the median with min, max and quartiles', () => {
    assert.deepStrictEqual(spreadOf([5, 1, 3, 2, 4]), { median: 3, min: 1, max: 5, p25: 2, p75: 4, samples: 5 });
  });

  it('computes the exact two-sided sign test', () => {
    assert.strictEqual(signTest(9, 0), 2 / 512);
    assert.strictEqual(signTest(1, 8), (2 * 10) / 512);
    assert.strictEqual(signTest(7, 2), (2 * 46) / 512);
    assert.strictEqual(signTest(3, 3), 1);
    assert.strictEqual(signTest(0, 0), 1);
  });

  it('calls a paired change noise unless the sign test says otherwise', () => {
    const base = Array<number>(9).fill(1);
    const noisy = pairedChange(base, [0.98, 1.01, 1.02, 0.99, 1.0, 1.03, 1.01, 1.02, 1.01]);
    assert.strictEqual(noisy.slowerPairs, 6);
    assert.strictEqual(noisy.verdict, 'within noise');
    const slower = pairedChange(base, [1.05, 1.06, 1.04, 1.07, 1.05, 1.05, 1.05, 1.06, 1.04]);
    assert.strictEqual(slower.verdict, 'slower');
    assert.strictEqual(Math.round(slower.percent.median), 5);
    assert.match(formatPairedChange(slower), /^\+5\.0% \[\+5\.0\.\.\+6\.0\] 9\/9 slower p=0\.00 slower$/);
  });
});

function decode(line: string): DecodedInstruction {
  const assembled = assemble({ fileName: 'line.asm', source: `bits 32\n${line}\n` });
  assert.ok(assembled.ok, `${line}: ${assembled.diagnostics.map((diagnostic) => diagnostic.message).join('; ')}`);
  const decoded = decodeBytes(assembled.image, 0, 0, 32);
  assert.ok(decoded.ok, line);
  return decoded.instruction;
}

describe('bench kernel mix: what the flat loop keeps of the kernel path', () => {
  it('moves memory operands, keeps [esp+disp] and lea, sends writes of ESP elsewhere', () => {
    assert.deepStrictEqual(treatmentOf(decode('mov esp, [ecx+4]')), { memoryMoved: true, stackOperandKept: false, espRedirected: true, branchRetargeted: false });
    assert.deepStrictEqual(treatmentOf(decode('mov eax, [esp+4]')), { memoryMoved: false, stackOperandKept: true, espRedirected: false, branchRetargeted: false });
    assert.deepStrictEqual(treatmentOf(decode('lea esp, [ebp+0x54]')), { memoryMoved: false, stackOperandKept: false, espRedirected: true, branchRetargeted: false });
    assert.strictEqual(treatmentOf(decode('cmp ebp, esp')).espRedirected, false);
    assert.strictEqual(treatmentOf(decode('sti')).dropped, undefined);
  });

  it('aims branches at the next instruction and drops what a flat loop cannot run', () => {
    assert.strictEqual(treatmentOf(decode('jnz short $+0x10')).branchRetargeted, true);
    assert.strictEqual(treatmentOf(decode('call ebx')).dropped, 'control transfer');
    assert.strictEqual(treatmentOf(decode('ret 4')).dropped, 'control transfer');
    assert.strictEqual(treatmentOf(decode('sysexit')).dropped, 'control transfer');
    assert.strictEqual(treatmentOf(decode('pop fs')).dropped, 'segment register');
    assert.strictEqual(treatmentOf(decode('mov ds, cx')).dropped, 'segment register');
    assert.strictEqual(treatmentOf(decode('rep movsd')).dropped, 'string');
    assert.strictEqual(treatmentOf(decode('wrmsr')).dropped, 'CPL-0 system');
  });

  it('builds a loop in the trace order, with the data the kernel read pre-filled', () => {
    const ring0 = (line: string, memory?: TracedInstruction['memory']): TracedInstruction => ({ mechanism: 'sysenter', cpl: 0, instruction: decode(line), memory });
    const trace: TracedInstruction[] = [
      { mechanism: 'sysenter', cpl: 3, instruction: decode('sysenter') },
      ring0('mov ecx, [fs:0x124]', { linear: 0xffdff124, bytes: [1, 2, 3, 4] }),
      ring0('push ebp'),
      ring0('jz short $+0x20'),
      ring0('pop fs'),
      ring0('mov esp, ebp'),
    ];
    const loop = buildKernelMixLoop([trace]);
    assert.strictEqual(loop.mix.ring0Instructions, 5);
    assert.deepStrictEqual(loop.mix.traced, [{ mechanism: 'sysenter', ring0: 5, ring3Skipped: 1 }]);
    assert.strictEqual(loop.mix.kept, 4);
    assert.strictEqual(loop.mix.instructionsPerIteration, 4 + MIX_LOOP_CONTROL_INSTRUCTIONS);
    assert.deepStrictEqual(loop.mix.dropped.map((drop) => [drop.reason, drop.count, drop.instructions]), [['segment register', 1, ['pop fs']]]);
    assert.deepStrictEqual(loop.mix.histogram[0], { mnemonic: 'mov', count: 2, share: 40, kept: 2 });
    const body = loop.source(7).split('\n').filter((line) => /^\s+\S/.test(line)).map((line) => line.trim());
    assert.deepStrictEqual(body, ['mov ecx, [fs:0x400124]', 'push ebp', 'jz short .next1', 'mov ebp, ebp', 'dec dword [0x3ff000]', 'jnz top', 'hlt']);
    const [pages, counter] = loop.data(7);
    assert.strictEqual(pages.address, MIX_DATA);
    assert.deepStrictEqual([...pages.bytes.subarray(0x124, 0x128)], [1, 2, 3, 4]);
    assert.deepStrictEqual([...counter.bytes], [7, 0, 0, 0]);
  });
});
