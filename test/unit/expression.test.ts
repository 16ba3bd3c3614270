// The debugger's expression language (SPEC 6) against a hand-built paused machine: registers as a
// kernel entry through int 0x2e leaves them, a KPCR at fs base, a few symbols.
import * as assert from 'assert';
import * as fc from 'fast-check';
import { BaseRegisterName, EvaluationContext, MemoryAccessSize, SegmentRegisterName } from '../../adapter/expression/evaluation-context';
import { completeExpression } from '../../adapter/expression/expression-completions';
import { EvaluationResult, evaluateExpression } from '../../adapter/expression/expression-evaluator';
import { parseExpression } from '../../adapter/expression/expression-parser';
import { composeRegisterWrite, findRegister } from '../../adapter/expression/registers';
import { GuestMemoryImage } from '../../core/nt/guest-memory';

function machineContext(): EvaluationContext {
  const registers: Record<BaseRegisterName, number> = {
    eax: 0x000000B7, ebx: 0x7FFDE000, ecx: 0x0012FEE0, edx: 0x0012FEE8, esi: 0x12345678, edi: 0x80552740,
    esp: 0xF8A3DD64, ebp: 0xF8A3DD64, eip: 0x804DE2E0, eflags: 0x00000246,
    cs: 0x0008, ds: 0x0023, es: 0x0023, fs: 0x0030, gs: 0x0000, ss: 0x0010,
    cr0: 0x8001003B, cr2: 0, cr3: 0x00039000, cr4: 0x00000010,
  };
  const memory = new GuestMemoryImage();
  const pcr = memory.allocate(0xFFDFF000, 0x200);
  new DataView(pcr.buffer).setUint32(0x124, 0x80552740, true);
  const stack = memory.allocate(0xF8A3DD64, 0x20);
  stack.set([0x78, 0x56, 0x34, 0x12, 0xF4, 0xE4, 0x90, 0x7C]);
  const symbols: Record<string, number> = { 'nt!KiServiceTable': 0x804E2D20, 'nt!KiSystemService': 0x804DE2E0, 'nt!KiFastCallEntry': 0x804DE6F0, 'ntdll!KiFastSystemCall': 0x7C90E4F0 };
  const bases: Record<SegmentRegisterName, number> = { cs: 0, ds: 0, es: 0, ss: 0, fs: 0xFFDFF000, gs: 0 };
  return {
    register: (name) => registers[name],
    readMemory(address: number, size: MemoryAccessSize) {
      const bytes = memory.readLinear(address, size);
      if (bytes === undefined) return undefined;
      return bytes.reduceRight((value, byte) => value * 256 + byte, 0);
    },
    symbol(name) {
      if (name in symbols) return symbols[name];
      const inNt = Object.entries(symbols).find(([qualified]) => qualified.endsWith(`!${name}`));
      return inNt?.[1];
    },
    segmentBase: (segment) => bases[segment],
    symbolNames: () => Object.keys(symbols),
  };
}

const context = machineContext();

function valueOf(text: string, radix?: 10 | 16): number {
  const result = evaluateExpression(text, context, { radix });
  if (!result.ok) assert.fail(`${text}: ${result.message}`);
  return result.value;
}

function errorOf(text: string): string {
  const result = evaluateExpression(text, context);
  if (result.ok) assert.fail(`${text} evaluated to 0x${result.value.toString(16)}`);
  return result.message;
}

describe('expressions: registers', () => {
  it('reads 32-bit registers and their 16- and 8-bit parts', () => {
    assert.strictEqual(valueOf('esi'), 0x12345678);
    assert.strictEqual(valueOf('si'), 0x5678);
    assert.strictEqual(valueOf('eax'), 0xB7);
    assert.strictEqual(valueOf('al'), 0xB7);
    assert.strictEqual(valueOf('ah'), 0x00);
    assert.strictEqual(valueOf('EBX'), 0x7FFDE000);
    assert.strictEqual(valueOf('bh'), 0xE0);
    assert.strictEqual(valueOf('ip'), 0xE2E0);
  });

  it('reads eflags (efl), segment selectors and control registers; flags need @', () => {
    assert.strictEqual(valueOf('efl'), 0x246);
    assert.strictEqual(valueOf('eflags'), 0x246);
    assert.strictEqual(valueOf('cs'), 0x08);
    assert.strictEqual(valueOf('fs'), 0x30);
    assert.strictEqual(valueOf('cr3'), 0x39000);
    assert.strictEqual(valueOf('@zf'), 1);
    assert.strictEqual(valueOf('@cf'), 0);
    assert.strictEqual(valueOf('@if'), 1);
    assert.strictEqual(valueOf('@iopl'), 0);
    assert.strictEqual(valueOf('cf'), 0xCF, 'without @ it is a hex number');
    assert.strictEqual(valueOf('@eax'), 0xB7);
  });

  it('reports a register reference so a client can write the register back', () => {
    const result = evaluateExpression('ah', context);
    assert.ok(result.ok && result.reference?.kind === 'register');
    const ah = findRegister('ah', false);
    assert.ok(ah);
    assert.strictEqual(composeRegisterWrite(ah, 0x11223344, 0xAB), 0x1122AB44);
    const zf = findRegister('zf', true);
    assert.ok(zf);
    assert.strictEqual(composeRegisterWrite(zf, 0x246, 0), 0x206);
  });
});

describe('expressions: numbers and radix', () => {
  it('reads bare numbers in hex by default, as WinDbg does', () => {
    assert.strictEqual(valueOf('10'), 0x10);
    assert.strictEqual(valueOf('f8a3dd64'), 0xF8A3DD64);
    assert.strictEqual(valueOf('2e'), 0x2E);
  });

  it('accepts 0x, 0n (decimal), 0t (octal), 0y (binary), an h suffix and WinDbg\'s ` separator', () => {
    assert.strictEqual(valueOf('0x10'), 16);
    assert.strictEqual(valueOf('0n10'), 10);
    assert.strictEqual(valueOf('0t17'), 15);
    assert.strictEqual(valueOf('0y101'), 5);
    assert.strictEqual(valueOf('10h'), 16);
    assert.strictEqual(valueOf('0B7h'), 0xB7);
    assert.strictEqual(valueOf('8054`a4b0'), 0x8054A4B0);
  });

  it('reads bare numbers as decimal in radix 10 (NASM source text)', () => {
    assert.strictEqual(valueOf('10', 10), 10);
    assert.strictEqual(valueOf('10h', 10), 16);
    assert.strictEqual(valueOf('0x10', 10), 16);
    const letters = evaluateExpression('1f', context, { radix: 10 });
    assert.ok(!letters.ok);
    assert.strictEqual(letters.message, "'1f' is not a valid decimal number at column 1");
  });

  it('rejects numbers that do not fit or are misspelled', () => {
    assert.strictEqual(errorOf('123456789'), "'123456789' does not fit in 32 bits at column 1");
    assert.strictEqual(errorOf('0t19'), "'0t19' is not a valid octal number at column 1");
    assert.strictEqual(errorOf('1 + 0xg'), "'0xg' is not a valid hexadecimal number at column 5");
  });
});

describe('expressions: operators', () => {
  it('follows C precedence and 32-bit unsigned arithmetic', () => {
    assert.strictEqual(valueOf('2 + 3 * 4'), 14);
    assert.strictEqual(valueOf('(2 + 3) * 4'), 0x14);
    assert.strictEqual(valueOf('0n100 / 0n7'), 14);
    assert.strictEqual(valueOf('0n100 % 0n7'), 2);
    assert.strictEqual(valueOf('-1'), 0xFFFFFFFF);
    assert.strictEqual(valueOf('~0'), 0xFFFFFFFF);
    assert.strictEqual(valueOf('1 << 1f'), 0x80000000);
    assert.strictEqual(valueOf('80000000 >> 1f'), 1);
    assert.strictEqual(valueOf('0xff00 & 0x0ff0 | 1 ^ 3'), 0x0F02);
    assert.strictEqual(valueOf('ffffffff + 2'), 1);
    assert.strictEqual(valueOf('10000 * 10000'), 0);
    assert.strictEqual(valueOf('eax & 0xfff'), 0xB7);
    assert.strictEqual(valueOf('(eax >> 0n12) & 3'), 0, 'XP picks the table from EAX bit 12');
  });

  it('compares and combines conditions as breakpoint conditions need', () => {
    assert.strictEqual(valueOf('eax == 0xb7'), 1);
    assert.strictEqual(valueOf('eax != b7'), 0);
    assert.strictEqual(valueOf('esp >= 0x80000000 && cs == 8'), 1);
    assert.strictEqual(valueOf('eax < 10 || !@zf'), 0);
    assert.strictEqual(valueOf('0 && poi(0)'), 0, '&& does not read memory it does not need');
  });
});

describe('expressions: symbols and memory', () => {
  it('resolves module-qualified and bare symbols, with offsets', () => {
    assert.strictEqual(valueOf('nt!KiServiceTable'), 0x804E2D20);
    assert.strictEqual(valueOf('KiSystemService'), 0x804DE2E0);
    assert.strictEqual(valueOf('nt!KiSystemService+0x1a'), 0x804DE2FA);
    assert.strictEqual(valueOf('eip - KiSystemService'), 0);
  });

  it('reads dwords through [x], poi(x) and dword [x]; bytes and words through their keywords', () => {
    assert.strictEqual(valueOf('[esp]'), 0x12345678);
    assert.strictEqual(valueOf('poi(esp+4)'), 0x7C90E4F4);
    assert.strictEqual(valueOf('dword [ebp+4]'), 0x7C90E4F4);
    assert.strictEqual(valueOf('dword ptr [ebp+4]'), 0x7C90E4F4);
    assert.strictEqual(valueOf('byte [esp]'), 0x78);
    assert.strictEqual(valueOf('word [esp+1]'), 0x3456);
    assert.strictEqual(valueOf('by(esp+3)'), 0x12);
    assert.strictEqual(valueOf('[[esp+4]-[esp+4]+esp]'), 0x12345678);
  });

  it('adds the segment base for fs:[0x124] (KPCR.PrcbData.CurrentThread)', () => {
    assert.strictEqual(valueOf('fs:[0x124]'), 0x80552740);
    assert.strictEqual(valueOf('[fs:124]'), 0x80552740);
    assert.strictEqual(valueOf('dword fs:[124]'), 0x80552740);
    const result = evaluateExpression('fs:[0x124]', context);
    assert.ok(result.ok);
    assert.deepStrictEqual(result.reference, { kind: 'memory', address: 0xFFDFF124, size: 4 });
  });
});

describe('expressions: errors with columns', () => {
  it('names unknown names, unmapped memory and bad syntax with the column to blame', () => {
    assert.strictEqual(errorOf('eaxx'), "unknown register or symbol 'eaxx' at column 1");
    assert.strictEqual(errorOf('eax + nosuch'), "unknown register or symbol 'nosuch' at column 7");
    assert.strictEqual(errorOf('@foo'), "unknown register '@foo' at column 1");
    assert.strictEqual(errorOf('[0]'), 'memory at 0x0 is not mapped at column 1');
    assert.strictEqual(errorOf('(1 + 2'), "expected ')' to close the '(' at column 1, found end of expression at column 7");
    assert.strictEqual(errorOf('1 +'), 'the expression ends too early at column 4');
    assert.strictEqual(errorOf(''), 'empty expression at column 1');
    assert.strictEqual(errorOf('1 2'), "unexpected '2' at column 3");
    assert.strictEqual(errorOf('4 / (eax - b7)'), 'division by zero at column 3');
    assert.strictEqual(errorOf('eax # 1'), "unexpected character '#' at column 5");
    assert.strictEqual(errorOf('fs:0x124'), "expected '[' after 'fs:', found '0x124' at column 4");
    assert.strictEqual(errorOf('dword eax'), "expected '[' after 'dword', found 'eax' at column 7");
  });

  it('bounds nesting instead of overflowing the stack', () => {
    const deep = '('.repeat(100000) + '1' + ')'.repeat(100000);
    assert.match(errorOf(deep), /nested too deeply/);
    assert.match(errorOf('-'.repeat(100000) + '1'), /nested too deeply/);
    assert.strictEqual(valueOf('('.repeat(50) + '1' + ')'.repeat(50)), 1);
  });

  it('a context that is missing a register says so', () => {
    const partial: EvaluationContext = { ...context, register: (name) => (name === 'cr4' ? undefined : context.register(name)) };
    const result = evaluateExpression('cr4', partial);
    assert.ok(!result.ok);
    assert.strictEqual(result.message, 'register cr4 is not available at column 1');
  });

  it('property: no string makes the parser or evaluator throw; every error has a column inside the text', () => {
    const alphabet = fc.constantFrom(...'eaxl0123456789abcdefhnty+-*/%&|^~!<>=()[]:@ ,`fs.dword ptr poi'.split(''));
    const pieces = fc.constantFrom('eax', 'fs:', '[', ']', 'poi(', 'dword ', 'nt!', 'KiSystemService', '0x', '0n', '<<', '>>', '==', '&&', '@zf', ' ');
    const input = fc.oneof(fc.string(), fc.array(fc.oneof(alphabet, pieces), { maxLength: 40 }).map((parts) => parts.join('')));
    fc.assert(fc.property(input, (text) => {
      const parsed = parseExpression(text);
      const result: EvaluationResult = evaluateExpression(text, context);
      if (!parsed.ok) assert.ok(!result.ok);
      if (!result.ok) {
        assert.ok(result.error.column >= 1 && result.error.column <= text.length + 1, `column ${result.error.column} for ${JSON.stringify(text)}`);
        assert.ok(result.message.endsWith(`at column ${result.error.column}`));
      } else {
        assert.ok(Number.isInteger(result.value) && result.value >= 0 && result.value <= 0xFFFFFFFF);
      }
    }), { numRuns: 2000 });
  });
});

describe('expressions: completions', () => {
  it('offers registers, keywords and symbols for the name at the cursor', () => {
    const registers = completeExpression('e', context);
    assert.strictEqual(registers.start, 1);
    assert.ok(['eax', 'ebx', 'esp', 'eip', 'eflags', 'efl', 'es'].every((name) => registers.items.some((item) => item.label === name && item.kind === 'register')));
    const symbols = completeExpression('poi(nt!Ki', context);
    assert.strictEqual(symbols.start, 5);
    assert.deepStrictEqual(symbols.items.map((item) => item.label), ['nt!KiFastCallEntry', 'nt!KiServiceTable', 'nt!KiSystemService']);
    const bare = completeExpression('KiFast', context);
    assert.deepStrictEqual(bare.items.map((item) => item.label), ['nt!KiFastCallEntry', 'ntdll!KiFastSystemCall']);
    const flags = completeExpression('@z', context);
    assert.deepStrictEqual(flags.items, [{ label: '@zf', kind: 'register' }]);
    const keyword = completeExpression('dw', context);
    assert.deepStrictEqual(keyword.items.map((item) => item.label), ['dword', 'dwo']);
    const middle = completeExpression('eax + cr', context, 9);
    assert.deepStrictEqual([middle.start, middle.items.map((item) => item.label)], [7, ['cr0', 'cr2', 'cr3', 'cr4']]);
  });
});
