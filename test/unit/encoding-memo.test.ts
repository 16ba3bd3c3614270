// The encoder's answers kept from pass to pass (core/asm/encoding-memo.ts): an equal request on the same
// line gets the earlier answer; anything the encoder looks at that differs, and the few places where a
// final pass answers differently from an earlier one, get a fresh answer.
import * as assert from 'assert';
import { encodeInstruction } from '../../core/asm/encoder';
import { EncodingMemo } from '../../core/asm/encoding-memo';
import type { EncodeRequest, ParsedOperand } from '../../core/asm/operand';

function request(mnemonic: string, operands: ParsedOperand[], overrides: Partial<EncodeRequest> = {}): EncodeRequest {
  return { mnemonic, prefixes: [], operands, bits: 32, address: 0x401000, final: false, ...overrides };
}

/** Remembers the encoder's answer to `first` on line 7 and recalls it for `second`. */
function recallAfter(first: EncodeRequest, second: EncodeRequest): ReturnType<EncodingMemo['recall']> {
  const memo = new EncodingMemo(10);
  memo.remember(7, first, encodeInstruction(first));
  return memo.recall(7, second);
}

describe('encoding memo', () => {
  const movEaxEsp4 = (): ParsedOperand[] => [{ kind: 'reg', name: 'eax' }, { kind: 'mem', base: 'esp', displacement: 4 }];

  it('gives the earlier answer to an equal request on the same line, and nothing on another line', () => {
    const memo = new EncodingMemo(10);
    const first = request('mov', movEaxEsp4());
    const answer = encodeInstruction(first);
    memo.remember(7, first, answer);
    assert.strictEqual(memo.recall(7, request('mov', movEaxEsp4())), answer);
    assert.strictEqual(memo.recall(6, request('mov', movEaxEsp4())), undefined);
  });

  it('asks again when an operand, a prefix or the code size differ', () => {
    const first = request('mov', movEaxEsp4());
    assert.strictEqual(recallAfter(first, request('mov', [{ kind: 'reg', name: 'eax' }, { kind: 'mem', base: 'esp', displacement: 8 }])), undefined);
    assert.strictEqual(recallAfter(first, request('mov', [{ kind: 'reg', name: 'eax' }, { kind: 'mem', base: 'esp', displacement: 4, size: 32 }])), undefined);
    assert.strictEqual(recallAfter(first, request('mov', movEaxEsp4(), { prefixes: ['fs'] })), undefined);
    assert.strictEqual(recallAfter(first, request('mov', movEaxEsp4(), { bits: 16 })), undefined);
  });

  it('ignores the address for instructions without relative forms, not for branches', () => {
    assert.ok(recallAfter(request('mov', movEaxEsp4()), request('mov', movEaxEsp4(), { address: 0x401010 })));
    const target = (): ParsedOperand[] => [{ kind: 'imm', value: 0x401100, isAddress: true }];
    assert.strictEqual(recallAfter(request('jmp', target()), request('jmp', target(), { address: 0x401010 })), undefined);
    assert.strictEqual(recallAfter(request('loop', target()), request('loop', target(), { address: 0x401010 })), undefined);
  });

  it('answers a final request from an earlier pass only when the final pass could not answer differently', () => {
    // settled operands: the final pass would encode the same bytes
    assert.ok(recallAfter(request('mov', movEaxEsp4()), request('mov', movEaxEsp4(), { final: true })));
    // a value not known yet was taken optimistically before the final pass
    const unknown = (): ParsedOperand[] => [{ kind: 'imm', value: 0, unresolved: true }];
    assert.strictEqual(recallAfter(request('jmp', unknown()), request('jmp', unknown(), { final: true })), undefined);
    // a value out of range was given for its length before; the final pass reports it
    const far = (): ParsedOperand[] => [{ kind: 'imm', value: 0x402000, isAddress: true }];
    const early = encodeInstruction(request('loop', far()));
    assert.ok(early.ok && early.provisional === true);
    assert.strictEqual(recallAfter(request('loop', far()), request('loop', far(), { final: true })), undefined);
    const final = encodeInstruction(request('loop', far(), { final: true }));
    assert.ok(!final.ok && /short jump out of range/.test(final.message));
  });

  it('keeps operands that are the same in every pass', () => {
    const memo = new EncodingMemo(3);
    assert.strictEqual(memo.invariantOperands(2), undefined);
    const operands = movEaxEsp4();
    memo.rememberInvariantOperands(2, operands);
    assert.strictEqual(memo.invariantOperands(2), operands);
  });
});
