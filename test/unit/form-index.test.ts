// The encoder's candidate rows (core/asm/form-index.ts): by mnemonic and operand shape, in table order,
// leaving out only rows whose operand kinds can never take operands of that shape.
import * as assert from 'assert';
import {
  CLASS_CONTROL_REGISTER, CLASS_DEBUG_REGISTER, CLASS_FAR_POINTER, CLASS_GPR16, CLASS_GPR32, CLASS_GPR8, CLASS_IMMEDIATE, CLASS_MEMORY, CLASS_SEGMENT_REGISTER,
  FORMS_BY_MNEMONIC, candidateForms, encodingDependsOnAddress, hasNearForm, type OperandClass,
} from '../../core/asm/form-index';
import { INSTRUCTION_TABLE } from '../../core/isa/table';

const kindsOf = (rows: readonly number[]): string[] => rows.map((row) => INSTRUCTION_TABLE[row].operands.join(','));

describe('form index', () => {
  it('knows every mnemonic and alias of the table, in lower case', () => {
    for (const form of INSTRUCTION_TABLE) {
      for (const name of [form.mnemonic, ...(form.aliases ?? [])]) {
        assert.strictEqual(name, name.toLowerCase());
        assert.ok(FORMS_BY_MNEMONIC.get(name)?.includes(INSTRUCTION_TABLE.indexOf(form)), name);
      }
    }
    assert.strictEqual(candidateForms('movl', []), undefined);
  });

  it('picks the rows an operand shape can use, in table order', () => {
    assert.deepStrictEqual(kindsOf(candidateForms('mov', [CLASS_GPR32, CLASS_IMMEDIATE])!), ['r32,imm32', 'rm32,imm32']);
    assert.deepStrictEqual(kindsOf(candidateForms('mov', [CLASS_GPR8, CLASS_MEMORY])!), ['r8,rm8', 'al,moffs8']);
    assert.deepStrictEqual(kindsOf(candidateForms('mov', [CLASS_SEGMENT_REGISTER, CLASS_GPR16])!), ['sreg,rm16']);
    assert.deepStrictEqual(kindsOf(candidateForms('mov', [CLASS_CONTROL_REGISTER, CLASS_GPR32])!), ['creg,rr32']);
    assert.deepStrictEqual(kindsOf(candidateForms('jmp', [CLASS_FAR_POINTER])!), ['ptr16:16', 'ptr16:32']);
    assert.deepStrictEqual(candidateForms('hlt', [CLASS_GPR32]), []);
  });

  it('keeps the rows in table order, and every row within reach of some shape', () => {
    const classes: OperandClass[] = [CLASS_GPR8, CLASS_GPR16, CLASS_GPR32, CLASS_SEGMENT_REGISTER, CLASS_MEMORY, CLASS_IMMEDIATE, CLASS_FAR_POINTER];
    for (const [mnemonic, rows] of FORMS_BY_MNEMONIC) {
      for (const first of classes) {
        for (const second of classes) {
          const candidates = candidateForms(mnemonic, [first, second])!;
          // a subsequence of the mnemonic's rows, each with two operands
          let position = 0;
          for (const row of candidates) {
            position = rows.indexOf(row, position);
            assert.ok(position >= 0, `${mnemonic}: row ${row} out of order or not the mnemonic's`);
            assert.strictEqual(INSTRUCTION_TABLE[row].operands.length, 2);
          }
        }
      }
    }
    // every row is a candidate for at least one shape
    for (const [mnemonic, rows] of FORMS_BY_MNEMONIC) {
      for (const row of rows) {
        const arity = INSTRUCTION_TABLE[row].operands.length;
        const shapes: OperandClass[][] = arity === 0 ? [[]] : [];
        const extend = (prefix: OperandClass[]): void => {
          if (prefix.length === arity) { shapes.push(prefix); return; }
          for (const operandClass of [...classes, CLASS_CONTROL_REGISTER, CLASS_DEBUG_REGISTER]) extend([...prefix, operandClass]);
        };
        if (arity > 0) extend([]);
        assert.ok(shapes.some((shape) => candidateForms(mnemonic, shape)!.includes(row)), `${mnemonic} ${INSTRUCTION_TABLE[row].operands.join(',')}`);
      }
    }
  });

  it('knows which encodings depend on the instruction\'s address', () => {
    for (const branch of ['jmp', 'call', 'jz', 'je', 'jnz', 'loop', 'jcxz', 'jecxz']) assert.ok(encodingDependsOnAddress(branch), branch);
    for (const plain of ['mov', 'add', 'push', 'lea', 'int', 'ret', 'sysenter']) assert.ok(!encodingDependsOnAddress(plain), plain);
    assert.ok(encodingDependsOnAddress('MOV'), 'a spelling it does not know is taken as address-dependent');
    assert.ok(hasNearForm('jz') && hasNearForm('jmp') && !hasNearForm('loop') && !hasNearForm('jcxz'));
  });
});
