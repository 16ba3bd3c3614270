// The one instruction table (SPEC 3.1): every IA-32 instruction form of a Pentium II except x87 and MMX.
// The encoder (core/asm/encoder.ts), the decoder/disassembler and the CPU are all driven by these rows.
// Row order matters: when two rows encode the same text equally short, the encoder takes the earlier one
// (the order NASM's own table has), and the decoder takes the first row that fits the bytes.
import type { FlagName, InstructionForm, InstructionGroup, OperandKind, PrefixName } from './types';

type Size = 16 | 32;
type FormDetails = Omit<InstructionForm, 'mnemonic' | 'opcode' | 'operands'>;

const STATUS_FLAGS: readonly FlagName[] = ['OF', 'SF', 'ZF', 'AF', 'PF', 'CF'];
const LOGIC_WRITTEN: readonly FlagName[] = ['OF', 'SF', 'ZF', 'PF', 'CF'];
const LOCK: readonly PrefixName[] = ['lock'];
const REP: readonly PrefixName[] = ['rep'];
const REP_OR_REPNE: readonly PrefixName[] = ['rep', 'repne'];

const R: Record<Size, OperandKind> = { 16: 'r16', 32: 'r32' };
const RM: Record<Size, OperandKind> = { 16: 'rm16', 32: 'rm32' };
const IMM: Record<Size, OperandKind> = { 16: 'imm16', 32: 'imm32' };
const ACC: Record<Size, OperandKind> = { 16: 'ax', 32: 'eax' };
const MOFFS: Record<Size, OperandKind> = { 16: 'moffs16', 32: 'moffs32' };
const REL: Record<Size, OperandKind> = { 16: 'rel16', 32: 'rel32' };
const FAR_MEMORY: Record<Size, OperandKind> = { 16: 'm16:16', 32: 'm16:32' };
const FAR_POINTER: Record<Size, OperandKind> = { 16: 'ptr16:16', 32: 'ptr16:32' };
const BOUND_PAIR: Record<Size, OperandKind> = { 16: 'm16&16', 32: 'm32&32' };
const SIZES: readonly Size[] = [16, 32];

function form(mnemonic: string, opcode: readonly number[], operands: readonly OperandKind[], details: FormDetails): InstructionForm {
  return { mnemonic, opcode, operands, ...details };
}

/** The same form for o16 and o32 (16 first, as NASM lists them). */
function bothSizes(make: (size: Size) => InstructionForm[]): InstructionForm[] {
  return SIZES.flatMap(make);
}

// ---------------------------------------------------------------------------------------------------
// Integer arithmetic and logic: add or adc sbb and sub xor cmp share one opcode pattern.
const ALU_OPERATIONS: readonly { mnemonic: string; digit: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 }[] = [
  { mnemonic: 'add', digit: 0 }, { mnemonic: 'or', digit: 1 }, { mnemonic: 'adc', digit: 2 }, { mnemonic: 'sbb', digit: 3 },
  { mnemonic: 'and', digit: 4 }, { mnemonic: 'sub', digit: 5 }, { mnemonic: 'xor', digit: 6 }, { mnemonic: 'cmp', digit: 7 },
];

function aluRows(mnemonic: string, digit: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7): InstructionForm[] {
  const base = digit * 8;
  const logic = mnemonic === 'and' || mnemonic === 'or' || mnemonic === 'xor';
  const flags: FormDetails = {
    group: 'alu',
    flagsRead: mnemonic === 'adc' || mnemonic === 'sbb' ? ['CF'] : undefined,
    flagsWritten: logic ? LOGIC_WRITTEN : STATUS_FLAGS,
    flagsUndefined: logic ? ['AF'] : undefined,
  };
  const lock = mnemonic === 'cmp' ? {} : { prefixes: LOCK };
  return [
    form(mnemonic, [base], ['rm8', 'r8'], { ...flags, modrm: 'r', ...lock }),
    ...bothSizes((size) => [form(mnemonic, [base + 1], [RM[size], R[size]], { ...flags, modrm: 'r', operandSize: size, ...lock })]),
    form(mnemonic, [base + 2], ['r8', 'rm8'], { ...flags, modrm: 'r' }),
    ...bothSizes((size) => [form(mnemonic, [base + 3], [R[size], RM[size]], { ...flags, modrm: 'r', operandSize: size })]),
    ...bothSizes((size) => [form(mnemonic, [0x83], [RM[size], 'simm8'], { ...flags, modrm: digit, operandSize: size, ...lock })]),
    form(mnemonic, [base + 4], ['al', 'imm8'], { ...flags }),
    ...bothSizes((size) => [form(mnemonic, [base + 5], [ACC[size], IMM[size]], { ...flags, operandSize: size })]),
    form(mnemonic, [0x80], ['rm8', 'imm8'], { ...flags, modrm: digit, ...lock }),
    ...bothSizes((size) => [form(mnemonic, [0x81], [RM[size], IMM[size]], { ...flags, modrm: digit, operandSize: size, ...lock })]),
  ];
}

const INC_DEC_FLAGS: readonly FlagName[] = ['OF', 'SF', 'ZF', 'AF', 'PF'];

function unaryRows(mnemonic: string, digit: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7, opcode8: number, details: FormDetails): InstructionForm[] {
  return [
    form(mnemonic, [opcode8], ['rm8'], { ...details, modrm: digit }),
    ...bothSizes((size) => [form(mnemonic, [opcode8 + 1], [RM[size]], { ...details, modrm: digit, operandSize: size })]),
  ];
}

const ARITHMETIC_ROWS: InstructionForm[] = [
  ...ALU_OPERATIONS.flatMap(({ mnemonic, digit }) => aluRows(mnemonic, digit)),
  ...bothSizes((size) => [form('inc', [0x40], [R[size]], { regInOpcode: true, operandSize: size, group: 'alu', flagsWritten: INC_DEC_FLAGS })]),
  ...unaryRows('inc', 0, 0xfe, { group: 'alu', flagsWritten: INC_DEC_FLAGS, prefixes: LOCK }),
  ...bothSizes((size) => [form('dec', [0x48], [R[size]], { regInOpcode: true, operandSize: size, group: 'alu', flagsWritten: INC_DEC_FLAGS })]),
  ...unaryRows('dec', 1, 0xfe, { group: 'alu', flagsWritten: INC_DEC_FLAGS, prefixes: LOCK }),
  ...unaryRows('not', 2, 0xf6, { group: 'alu', prefixes: LOCK }),
  ...unaryRows('neg', 3, 0xf6, { group: 'alu', flagsWritten: STATUS_FLAGS, prefixes: LOCK, note: 'CF = (operand != 0)' }),
  // test: NASM also accepts the register operand first and encodes it with the same opcode
  form('test', [0x84], ['rm8', 'r8'], { modrm: 'r', group: 'alu', flagsWritten: LOGIC_WRITTEN, flagsUndefined: ['AF'] }),
  form('test', [0x84], ['r8', 'rm8'], { modrm: 'r', group: 'alu', flagsWritten: LOGIC_WRITTEN, flagsUndefined: ['AF'], note: 'assembler spelling of test rm8, r8' }),
  ...bothSizes((size) => [
    form('test', [0x85], [RM[size], R[size]], { modrm: 'r', operandSize: size, group: 'alu', flagsWritten: LOGIC_WRITTEN, flagsUndefined: ['AF'] }),
    form('test', [0x85], [R[size], RM[size]], { modrm: 'r', operandSize: size, group: 'alu', flagsWritten: LOGIC_WRITTEN, flagsUndefined: ['AF'], note: 'assembler spelling of test rm, r' }),
  ]),
  form('test', [0xa8], ['al', 'imm8'], { group: 'alu', flagsWritten: LOGIC_WRITTEN, flagsUndefined: ['AF'] }),
  ...bothSizes((size) => [form('test', [0xa9], [ACC[size], IMM[size]], { operandSize: size, group: 'alu', flagsWritten: LOGIC_WRITTEN, flagsUndefined: ['AF'] })]),
  form('test', [0xf6], ['rm8', 'imm8'], { modrm: 0, group: 'alu', flagsWritten: LOGIC_WRITTEN, flagsUndefined: ['AF'] }),
  ...bothSizes((size) => [form('test', [0xf7], [RM[size], IMM[size]], { modrm: 0, operandSize: size, group: 'alu', flagsWritten: LOGIC_WRITTEN, flagsUndefined: ['AF'] })]),
  // exchange-and-add / compare-and-exchange (486+)
  form('xadd', [0x0f, 0xc0], ['rm8', 'r8'], { modrm: 'r', group: 'alu', flagsWritten: STATUS_FLAGS, prefixes: LOCK }),
  ...bothSizes((size) => [form('xadd', [0x0f, 0xc1], [RM[size], R[size]], { modrm: 'r', operandSize: size, group: 'alu', flagsWritten: STATUS_FLAGS, prefixes: LOCK })]),
  form('cmpxchg', [0x0f, 0xb0], ['rm8', 'r8'], { modrm: 'r', group: 'alu', flagsWritten: STATUS_FLAGS, prefixes: LOCK, note: 'compares with al' }),
  ...bothSizes((size) => [form('cmpxchg', [0x0f, 0xb1], [RM[size], R[size]], { modrm: 'r', operandSize: size, group: 'alu', flagsWritten: STATUS_FLAGS, prefixes: LOCK })]),
  form('cmpxchg8b', [0x0f, 0xc7], ['m64'], { modrm: 1, group: 'alu', flagsWritten: ['ZF'], prefixes: LOCK, note: 'compares edx:eax with m64' }),
];

// ---------------------------------------------------------------------------------------------------
// Multiply and divide
const MULDIV_ROWS: InstructionForm[] = [
  ...unaryRows('mul', 4, 0xf6, { group: 'muldiv', flagsWritten: ['OF', 'CF'], flagsUndefined: ['SF', 'ZF', 'AF', 'PF'] }),
  ...unaryRows('imul', 5, 0xf6, { group: 'muldiv', flagsWritten: ['OF', 'CF'], flagsUndefined: ['SF', 'ZF', 'AF', 'PF'] }),
  ...unaryRows('div', 6, 0xf6, { group: 'muldiv', flagsUndefined: STATUS_FLAGS, note: '#DE on divide by zero or quotient overflow' }),
  ...unaryRows('idiv', 7, 0xf6, { group: 'muldiv', flagsUndefined: STATUS_FLAGS, note: '#DE on divide by zero or quotient overflow' }),
  ...bothSizes((size) => [
    form('imul', [0x0f, 0xaf], [R[size], RM[size]], { modrm: 'r', operandSize: size, group: 'muldiv', flagsWritten: ['OF', 'CF'], flagsUndefined: ['SF', 'ZF', 'AF', 'PF'] }),
    form('imul', [0x6b], [R[size], RM[size], 'simm8'], { modrm: 'r', operandSize: size, group: 'muldiv', flagsWritten: ['OF', 'CF'], flagsUndefined: ['SF', 'ZF', 'AF', 'PF'] }),
    form('imul', [0x69], [R[size], RM[size], IMM[size]], { modrm: 'r', operandSize: size, group: 'muldiv', flagsWritten: ['OF', 'CF'], flagsUndefined: ['SF', 'ZF', 'AF', 'PF'] }),
  ]),
];

// ---------------------------------------------------------------------------------------------------
// Shifts and rotates. OF is defined only for 1-bit counts; a count of 0 changes no flag at all.
const SHIFT_OPERATIONS: readonly { mnemonic: string; digit: 0 | 1 | 2 | 3 | 4 | 5 | 7; aliases?: readonly string[] }[] = [
  { mnemonic: 'rol', digit: 0 }, { mnemonic: 'ror', digit: 1 }, { mnemonic: 'rcl', digit: 2 }, { mnemonic: 'rcr', digit: 3 },
  { mnemonic: 'shl', digit: 4, aliases: ['sal'] }, { mnemonic: 'shr', digit: 5 }, { mnemonic: 'sar', digit: 7 },
];

function shiftRows(mnemonic: string, digit: 0 | 1 | 2 | 3 | 4 | 5 | 7, aliases: readonly string[] | undefined): InstructionForm[] {
  const rotate = digit <= 3;
  const readsCarry = digit === 2 || digit === 3;
  const byOne: FormDetails = {
    group: 'shift', modrm: digit, aliases,
    flagsRead: readsCarry ? ['CF'] : undefined,
    flagsWritten: rotate ? ['OF', 'CF'] : ['OF', 'SF', 'ZF', 'PF', 'CF'],
    flagsUndefined: rotate ? undefined : ['AF'],
  };
  const byCount: FormDetails = {
    ...byOne,
    flagsWritten: rotate ? ['CF'] : ['SF', 'ZF', 'PF', 'CF'],
    flagsUndefined: rotate ? ['OF'] : ['OF', 'AF'],
    note: 'OF defined only when the masked count is 1; no flag changes when it is 0',
  };
  return [
    form(mnemonic, [0xd0], ['rm8', 'one'], byOne),
    form(mnemonic, [0xd2], ['rm8', 'cl'], byCount),
    form(mnemonic, [0xc0], ['rm8', 'imm8'], byCount),
    ...bothSizes((size) => [
      form(mnemonic, [0xd1], [RM[size], 'one'], { ...byOne, operandSize: size }),
      form(mnemonic, [0xd3], [RM[size], 'cl'], { ...byCount, operandSize: size }),
      form(mnemonic, [0xc1], [RM[size], 'imm8'], { ...byCount, operandSize: size }),
    ]),
  ];
}

const DOUBLE_SHIFT_FLAGS: FormDetails = {
  group: 'shift', modrm: 'r', flagsWritten: ['SF', 'ZF', 'PF', 'CF'], flagsUndefined: ['OF', 'AF'],
  note: 'OF defined only for a count of 1',
};

const SHIFT_ROWS: InstructionForm[] = [
  ...SHIFT_OPERATIONS.flatMap(({ mnemonic, digit, aliases }) => shiftRows(mnemonic, digit, aliases)),
  ...bothSizes((size) => [
    form('shld', [0x0f, 0xa4], [RM[size], R[size], 'imm8'], { ...DOUBLE_SHIFT_FLAGS, operandSize: size }),
    form('shld', [0x0f, 0xa5], [RM[size], R[size], 'cl'], { ...DOUBLE_SHIFT_FLAGS, operandSize: size }),
    form('shrd', [0x0f, 0xac], [RM[size], R[size], 'imm8'], { ...DOUBLE_SHIFT_FLAGS, operandSize: size }),
    form('shrd', [0x0f, 0xad], [RM[size], R[size], 'cl'], { ...DOUBLE_SHIFT_FLAGS, operandSize: size }),
  ]),
];

// ---------------------------------------------------------------------------------------------------
// Decimal arithmetic
const BCD_ROWS: InstructionForm[] = [
  form('daa', [0x27], [], { group: 'bcd', flagsRead: ['AF', 'CF'], flagsWritten: ['SF', 'ZF', 'AF', 'PF', 'CF'], flagsUndefined: ['OF'] }),
  form('das', [0x2f], [], { group: 'bcd', flagsRead: ['AF', 'CF'], flagsWritten: ['SF', 'ZF', 'AF', 'PF', 'CF'], flagsUndefined: ['OF'] }),
  form('aaa', [0x37], [], { group: 'bcd', flagsRead: ['AF'], flagsWritten: ['AF', 'CF'], flagsUndefined: ['OF', 'SF', 'ZF', 'PF'] }),
  form('aas', [0x3f], [], { group: 'bcd', flagsRead: ['AF'], flagsWritten: ['AF', 'CF'], flagsUndefined: ['OF', 'SF', 'ZF', 'PF'] }),
  // the base-10 forms first: the decoder must prefer the two-byte opcode over aam imm8 with imm8 = 10
  form('aam', [0xd4, 0x0a], [], { group: 'bcd', flagsWritten: ['SF', 'ZF', 'PF'], flagsUndefined: ['OF', 'AF', 'CF'], note: '#DE when the base is 0' }),
  form('aam', [0xd4], ['imm8'], { group: 'bcd', flagsWritten: ['SF', 'ZF', 'PF'], flagsUndefined: ['OF', 'AF', 'CF'], note: '#DE when the base is 0' }),
  form('aad', [0xd5, 0x0a], [], { group: 'bcd', flagsWritten: ['SF', 'ZF', 'PF'], flagsUndefined: ['OF', 'AF', 'CF'] }),
  form('aad', [0xd5], ['imm8'], { group: 'bcd', flagsWritten: ['SF', 'ZF', 'PF'], flagsUndefined: ['OF', 'AF', 'CF'] }),
];

// ---------------------------------------------------------------------------------------------------
// Bit test and scan
const BIT_TEST_OPERATIONS: readonly { mnemonic: string; registerOpcode: number; digit: 4 | 5 | 6 | 7 }[] = [
  { mnemonic: 'bt', registerOpcode: 0xa3, digit: 4 }, { mnemonic: 'bts', registerOpcode: 0xab, digit: 5 },
  { mnemonic: 'btr', registerOpcode: 0xb3, digit: 6 }, { mnemonic: 'btc', registerOpcode: 0xbb, digit: 7 },
];

const BIT_ROWS: InstructionForm[] = [
  ...BIT_TEST_OPERATIONS.flatMap(({ mnemonic, registerOpcode, digit }) => {
    const details: FormDetails = {
      group: 'bit', flagsWritten: ['CF'], flagsUndefined: ['OF', 'SF', 'AF', 'PF'],
      prefixes: mnemonic === 'bt' ? undefined : LOCK,
    };
    return bothSizes((size) => [
      form(mnemonic, [0x0f, registerOpcode], [RM[size], R[size]], { ...details, modrm: 'r', operandSize: size, note: 'a register bit offset may reach outside the addressed operand in memory' }),
      form(mnemonic, [0x0f, 0xba], [RM[size], 'imm8'], { ...details, modrm: digit, operandSize: size }),
    ]);
  }),
  ...bothSizes((size) => [
    form('bsf', [0x0f, 0xbc], [R[size], RM[size]], { modrm: 'r', operandSize: size, group: 'bit', flagsWritten: ['ZF'], flagsUndefined: ['OF', 'SF', 'AF', 'PF', 'CF'], note: 'destination undefined when the source is 0' }),
    form('bsr', [0x0f, 0xbd], [R[size], RM[size]], { modrm: 'r', operandSize: size, group: 'bit', flagsWritten: ['ZF'], flagsUndefined: ['OF', 'SF', 'AF', 'PF', 'CF'], note: 'destination undefined when the source is 0' }),
  ]),
];

// ---------------------------------------------------------------------------------------------------
// String instructions (the address size picks si/di/cx or esi/edi/ecx; DF picks the direction)
function stringRows(byteMnemonic: string, wordMnemonic: string, dwordMnemonic: string, opcode: number, details: FormDetails): InstructionForm[] {
  return [
    form(byteMnemonic, [opcode], [], details),
    form(wordMnemonic, [opcode + 1], [], { ...details, operandSize: 16 }),
    form(dwordMnemonic, [opcode + 1], [], { ...details, operandSize: 32 }),
  ];
}

const STRING_ROWS: InstructionForm[] = [
  ...stringRows('movsb', 'movsw', 'movsd', 0xa4, { group: 'string', prefixes: REP, flagsRead: ['DF'] }),
  ...stringRows('cmpsb', 'cmpsw', 'cmpsd', 0xa6, { group: 'string', prefixes: REP_OR_REPNE, flagsRead: ['DF'], flagsWritten: STATUS_FLAGS }),
  ...stringRows('stosb', 'stosw', 'stosd', 0xaa, { group: 'string', prefixes: REP, flagsRead: ['DF'] }),
  ...stringRows('lodsb', 'lodsw', 'lodsd', 0xac, { group: 'string', prefixes: REP, flagsRead: ['DF'] }),
  ...stringRows('scasb', 'scasw', 'scasd', 0xae, { group: 'string', prefixes: REP_OR_REPNE, flagsRead: ['DF'], flagsWritten: STATUS_FLAGS }),
  ...stringRows('insb', 'insw', 'insd', 0x6c, { group: 'string', prefixes: REP, flagsRead: ['DF'], privilege: 'io' }),
  ...stringRows('outsb', 'outsw', 'outsd', 0x6e, { group: 'string', prefixes: REP, flagsRead: ['DF'], privilege: 'io' }),
];

// ---------------------------------------------------------------------------------------------------
// Port I/O
const IO_ROWS: InstructionForm[] = [
  form('in', [0xe4], ['al', 'imm8'], { group: 'io', privilege: 'io' }),
  ...bothSizes((size) => [form('in', [0xe5], [ACC[size], 'imm8'], { group: 'io', privilege: 'io', operandSize: size })]),
  form('in', [0xec], ['al', 'dx'], { group: 'io', privilege: 'io' }),
  ...bothSizes((size) => [form('in', [0xed], [ACC[size], 'dx'], { group: 'io', privilege: 'io', operandSize: size })]),
  form('out', [0xe6], ['imm8', 'al'], { group: 'io', privilege: 'io' }),
  ...bothSizes((size) => [form('out', [0xe7], ['imm8', ACC[size]], { group: 'io', privilege: 'io', operandSize: size })]),
  form('out', [0xee], ['dx', 'al'], { group: 'io', privilege: 'io' }),
  ...bothSizes((size) => [form('out', [0xef], ['dx', ACC[size]], { group: 'io', privilege: 'io', operandSize: size })]),
];

// ---------------------------------------------------------------------------------------------------
// Data movement
const DATA_ROWS: InstructionForm[] = [
  form('mov', [0x88], ['rm8', 'r8'], { modrm: 'r', group: 'data' }),
  ...bothSizes((size) => [form('mov', [0x89], [RM[size], R[size]], { modrm: 'r', operandSize: size, group: 'data' })]),
  form('mov', [0x8a], ['r8', 'rm8'], { modrm: 'r', group: 'data' }),
  ...bothSizes((size) => [form('mov', [0x8b], [R[size], RM[size]], { modrm: 'r', operandSize: size, group: 'data' })]),
  form('mov', [0xa0], ['al', 'moffs8'], { group: 'data' }),
  ...bothSizes((size) => [form('mov', [0xa1], [ACC[size], MOFFS[size]], { operandSize: size, group: 'data' })]),
  form('mov', [0xa2], ['moffs8', 'al'], { group: 'data' }),
  ...bothSizes((size) => [form('mov', [0xa3], [MOFFS[size], ACC[size]], { operandSize: size, group: 'data' })]),
  form('mov', [0xb0], ['r8', 'imm8'], { regInOpcode: true, group: 'data' }),
  ...bothSizes((size) => [form('mov', [0xb8], [R[size], IMM[size]], { regInOpcode: true, operandSize: size, group: 'data' })]),
  form('mov', [0xc6], ['rm8', 'imm8'], { modrm: 0, group: 'data' }),
  ...bothSizes((size) => [form('mov', [0xc7], [RM[size], IMM[size]], { modrm: 0, operandSize: size, group: 'data' })]),
  ...bothSizes((size) => [
    form('movsx', [0x0f, 0xbe], [R[size], 'rm8'], { modrm: 'r', operandSize: size, group: 'data' }),
    form('movzx', [0x0f, 0xb6], [R[size], 'rm8'], { modrm: 'r', operandSize: size, group: 'data' }),
  ]),
  form('movsx', [0x0f, 0xbf], ['r32', 'rm16'], { modrm: 'r', operandSize: 32, group: 'data' }),
  form('movzx', [0x0f, 0xb7], ['r32', 'rm16'], { modrm: 'r', operandSize: 32, group: 'data' }),
  ...bothSizes((size) => [form('lea', [0x8d], [R[size], 'm'], { modrm: 'r', operandSize: size, group: 'data', note: '#UD with a register operand' })]),
  // xchg: NASM puts the register operand in ModRM.reg for the reg,reg case, and the accumulator forms win when shorter
  ...bothSizes((size) => [
    form('xchg', [0x90], [ACC[size], R[size]], { regInOpcode: true, operandSize: size, group: 'data' }),
    form('xchg', [0x90], [R[size], ACC[size]], { regInOpcode: true, operandSize: size, group: 'data' }),
  ]),
  form('xchg', [0x86], ['r8', 'rm8'], { modrm: 'r', group: 'data', prefixes: LOCK, note: 'locked implicitly with a memory operand' }),
  form('xchg', [0x86], ['rm8', 'r8'], { modrm: 'r', group: 'data', prefixes: LOCK }),
  ...bothSizes((size) => [
    form('xchg', [0x87], [R[size], RM[size]], { modrm: 'r', operandSize: size, group: 'data', prefixes: LOCK, note: 'locked implicitly with a memory operand' }),
    form('xchg', [0x87], [RM[size], R[size]], { modrm: 'r', operandSize: size, group: 'data', prefixes: LOCK }),
  ]),
  form('cbw', [0x98], [], { operandSize: 16, group: 'data' }),
  form('cwde', [0x98], [], { operandSize: 32, group: 'data' }),
  form('cwd', [0x99], [], { operandSize: 16, group: 'data' }),
  form('cdq', [0x99], [], { operandSize: 32, group: 'data' }),
  form('xlatb', [0xd7], [], { aliases: ['xlat'], group: 'data', note: 'al = [ds:ebx + al]' }),
  form('bswap', [0x0f, 0xc8], ['r32'], { regInOpcode: true, operandSize: 32, group: 'data' }),
];

// ---------------------------------------------------------------------------------------------------
// Conditions, in encoding order (the low nibble of jcc/setcc/cmovcc). Canonical names are ndisasm's.
const CONDITIONS: readonly { name: string; aliases: readonly string[]; reads: readonly FlagName[] }[] = [
  { name: 'o', aliases: [], reads: ['OF'] },
  { name: 'no', aliases: [], reads: ['OF'] },
  { name: 'c', aliases: ['b', 'nae'], reads: ['CF'] },
  { name: 'nc', aliases: ['nb', 'ae'], reads: ['CF'] },
  { name: 'z', aliases: ['e'], reads: ['ZF'] },
  { name: 'nz', aliases: ['ne'], reads: ['ZF'] },
  { name: 'na', aliases: ['be'], reads: ['CF', 'ZF'] },
  { name: 'a', aliases: ['nbe'], reads: ['CF', 'ZF'] },
  { name: 's', aliases: [], reads: ['SF'] },
  { name: 'ns', aliases: [], reads: ['SF'] },
  { name: 'pe', aliases: ['p'], reads: ['PF'] },
  { name: 'po', aliases: ['np'], reads: ['PF'] },
  { name: 'l', aliases: ['nge'], reads: ['SF', 'OF'] },
  { name: 'nl', aliases: ['ge'], reads: ['SF', 'OF'] },
  { name: 'ng', aliases: ['le'], reads: ['ZF', 'SF', 'OF'] },
  { name: 'g', aliases: ['nle'], reads: ['ZF', 'SF', 'OF'] },
];

const CONDITIONAL_ROWS: InstructionForm[] = CONDITIONS.flatMap((condition, code) => {
  const prefixed = (prefix: string): readonly string[] => condition.aliases.map((alias) => prefix + alias);
  return [
    form('j' + condition.name, [0x70 + code], ['rel8'], { aliases: prefixed('j'), group: 'control', flagsRead: condition.reads }),
    ...bothSizes((size) => [form('j' + condition.name, [0x0f, 0x80 + code], [REL[size]], { aliases: prefixed('j'), operandSize: size, group: 'control', flagsRead: condition.reads })]),
    form('set' + condition.name, [0x0f, 0x90 + code], ['rm8'], { aliases: prefixed('set'), modrm: 0, group: 'data', flagsRead: condition.reads }),
    ...bothSizes((size) => [form('cmov' + condition.name, [0x0f, 0x40 + code], [R[size], RM[size]], { aliases: prefixed('cmov'), modrm: 'r', operandSize: size, group: 'data', flagsRead: condition.reads, note: 'P6: the source is read even when the condition is false' })]),
  ];
});

// ---------------------------------------------------------------------------------------------------
// Stack
const ALL_FLAGS: readonly FlagName[] = ['CF', 'PF', 'AF', 'ZF', 'SF', 'TF', 'IF', 'DF', 'OF', 'IOPL', 'NT', 'RF', 'VM', 'AC'];
// popf never changes VM; it clears RF
const POPF_FLAGS: readonly FlagName[] = ['CF', 'PF', 'AF', 'ZF', 'SF', 'TF', 'IF', 'DF', 'OF', 'IOPL', 'NT', 'RF', 'AC'];

const STACK_ROWS: InstructionForm[] = [
  ...bothSizes((size) => [form('push', [0x50], [R[size]], { regInOpcode: true, operandSize: size, group: 'stack' })]),
  ...bothSizes((size) => [form('push', [0xff], [RM[size]], { modrm: 6, operandSize: size, group: 'stack' })]),
  form('push', [0x06], ['es'], { group: 'stack' }),
  form('push', [0x0e], ['cs'], { group: 'stack' }),
  form('push', [0x16], ['ss'], { group: 'stack' }),
  form('push', [0x1e], ['ds'], { group: 'stack' }),
  form('push', [0x0f, 0xa0], ['fs'], { group: 'stack' }),
  form('push', [0x0f, 0xa8], ['gs'], { group: 'stack' }),
  ...bothSizes((size) => [form('push', [0x6a], ['simm8'], { operandSize: size, group: 'stack' })]),
  ...bothSizes((size) => [form('push', [0x68], [IMM[size]], { operandSize: size, group: 'stack' })]),
  ...bothSizes((size) => [form('pop', [0x58], [R[size]], { regInOpcode: true, operandSize: size, group: 'stack' })]),
  ...bothSizes((size) => [form('pop', [0x8f], [RM[size]], { modrm: 0, operandSize: size, group: 'stack' })]),
  form('pop', [0x07], ['es'], { group: 'stack' }),
  form('pop', [0x17], ['ss'], { group: 'stack', note: 'inhibits interrupts until after the next instruction' }),
  form('pop', [0x1f], ['ds'], { group: 'stack' }),
  form('pop', [0x0f, 0xa1], ['fs'], { group: 'stack' }),
  form('pop', [0x0f, 0xa9], ['gs'], { group: 'stack' }),
  form('pushaw', [0x60], [], { aliases: ['pusha'], operandSize: 16, group: 'stack' }),
  form('pusha', [0x60], [], { aliases: ['pushad'], operandSize: 32, group: 'stack' }),
  form('popaw', [0x61], [], { aliases: ['popa'], operandSize: 16, group: 'stack' }),
  form('popa', [0x61], [], { aliases: ['popad'], operandSize: 32, group: 'stack' }),
  form('pushfw', [0x9c], [], { aliases: ['pushf'], operandSize: 16, group: 'stack', flagsRead: ALL_FLAGS }),
  form('pushf', [0x9c], [], { aliases: ['pushfd'], operandSize: 32, group: 'stack', flagsRead: ALL_FLAGS, note: 'VM and RF are stored as 0' }),
  form('popfw', [0x9d], [], { aliases: ['popf'], operandSize: 16, group: 'stack', flagsWritten: POPF_FLAGS }),
  form('popf', [0x9d], [], { aliases: ['popfd'], operandSize: 32, group: 'stack', flagsWritten: POPF_FLAGS, note: 'IOPL changes only at CPL 0, IF only when CPL <= IOPL' }),
  form('enter', [0xc8], ['imm16', 'imm8'], { group: 'stack' }),
  form('leave', [0xc9], [], { group: 'stack' }),
];

// ---------------------------------------------------------------------------------------------------
// Control transfer
const INTERRUPT_FLAGS: readonly FlagName[] = ['TF', 'IF', 'NT', 'RF', 'VM'];

const CONTROL_ROWS: InstructionForm[] = [
  form('jmp', [0xeb], ['rel8'], { group: 'control' }),
  ...bothSizes((size) => [form('jmp', [0xe9], [REL[size]], { operandSize: size, group: 'control' })]),
  ...bothSizes((size) => [form('jmp', [0xff], [RM[size]], { modrm: 4, operandSize: size, group: 'control' })]),
  ...bothSizes((size) => [form('jmp', [0xea], [FAR_POINTER[size]], { operandSize: size, group: 'control' })]),
  ...bothSizes((size) => [form('jmp', [0xff], [FAR_MEMORY[size]], { modrm: 5, operandSize: size, group: 'control', note: 'through a TSS or task gate it switches tasks' })]),
  ...bothSizes((size) => [form('call', [0xe8], [REL[size]], { operandSize: size, group: 'control' })]),
  ...bothSizes((size) => [form('call', [0xff], [RM[size]], { modrm: 2, operandSize: size, group: 'control' })]),
  ...bothSizes((size) => [form('call', [0x9a], [FAR_POINTER[size]], { operandSize: size, group: 'control' })]),
  ...bothSizes((size) => [form('call', [0xff], [FAR_MEMORY[size]], { modrm: 3, operandSize: size, group: 'control' })]),
  // the o16 rows also answer to the plain name, which is how `bits 16` code spells them
  form('retw', [0xc3], [], { aliases: ['retnw', 'ret', 'retn'], operandSize: 16, group: 'control' }),
  form('ret', [0xc3], [], { aliases: ['retn', 'retd', 'retnd'], operandSize: 32, group: 'control' }),
  form('retnw', [0xc2], ['imm16'], { aliases: ['ret', 'retn', 'retw'], operandSize: 16, group: 'control' }),
  form('ret', [0xc2], ['imm16'], { aliases: ['retn', 'retd', 'retnd', 'retw'], operandSize: 32, group: 'control', note: 'NASM reads `retw imm` as plain `ret imm`' }),
  form('retfw', [0xcb], [], { aliases: ['retf'], operandSize: 16, group: 'control' }),
  form('retf', [0xcb], [], { aliases: ['retfd'], operandSize: 32, group: 'control' }),
  form('retfw', [0xca], ['imm16'], { aliases: ['retf'], operandSize: 16, group: 'control' }),
  form('retf', [0xca], ['imm16'], { aliases: ['retfd'], operandSize: 32, group: 'control' }),
  form('iretw', [0xcf], [], { aliases: ['iret'], operandSize: 16, group: 'control', flagsWritten: ALL_FLAGS }),
  form('iret', [0xcf], [], { aliases: ['iretd'], operandSize: 32, group: 'control', flagsWritten: ALL_FLAGS, note: 'NT set: returns from a nested task' }),
  form('int3', [0xcc], [], { group: 'control', flagsWritten: INTERRUPT_FLAGS }),
  form('int', [0xcd], ['imm8'], { group: 'control', flagsWritten: INTERRUPT_FLAGS, note: 'IF is cleared only through an interrupt gate' }),
  form('into', [0xce], [], { group: 'control', flagsRead: ['OF'], flagsWritten: INTERRUPT_FLAGS }),
  form('int1', [0xf1], [], { aliases: ['icebp'], group: 'control', flagsWritten: INTERRUPT_FLAGS, note: 'undocumented ICE breakpoint: #DB' }),
  form('loopne', [0xe0], ['rel8'], { aliases: ['loopnz'], group: 'control', flagsRead: ['ZF'], note: 'counts cx or ecx by the address size' }),
  form('loope', [0xe1], ['rel8'], { aliases: ['loopz'], group: 'control', flagsRead: ['ZF'], note: 'counts cx or ecx by the address size' }),
  form('loop', [0xe2], ['rel8'], { group: 'control', note: 'counts cx or ecx by the address size' }),
  form('jcxz', [0xe3], ['rel8'], { addressSize: 16, group: 'control' }),
  form('jecxz', [0xe3], ['rel8'], { addressSize: 32, group: 'control' }),
  ...bothSizes((size) => [form('bound', [0x62], [R[size], BOUND_PAIR[size]], { modrm: 'r', operandSize: size, group: 'control', note: '#BR when out of bounds' })]),
];

// ---------------------------------------------------------------------------------------------------
// Segment registers and far pointers
const SEGMENT_ROWS: InstructionForm[] = [
  form('mov', [0x8c], ['m16', 'sreg'], { modrm: 'r', group: 'segment' }),
  form('mov', [0x8c], ['rm16', 'sreg'], { modrm: 'r', operandSize: 16, group: 'segment' }),
  form('mov', [0x8c], ['rr32', 'sreg'], { modrm: 'r', operandSize: 32, group: 'segment', note: 'upper 16 bits are zero on P6' }),
  form('mov', [0x8e], ['sreg', 'rr32'], { modrm: 'r', operandSize: 32, group: 'segment', note: 'mov ss inhibits interrupts until after the next instruction' }),
  form('mov', [0x8e], ['sreg', 'rm16'], { modrm: 'r', group: 'segment', note: 'mov ss inhibits interrupts until after the next instruction' }),
  ...bothSizes((size) => [
    form('les', [0xc4], [R[size], FAR_MEMORY[size]], { modrm: 'r', operandSize: size, group: 'segment' }),
    form('lds', [0xc5], [R[size], FAR_MEMORY[size]], { modrm: 'r', operandSize: size, group: 'segment' }),
    form('lss', [0x0f, 0xb2], [R[size], FAR_MEMORY[size]], { modrm: 'r', operandSize: size, group: 'segment' }),
    form('lfs', [0x0f, 0xb4], [R[size], FAR_MEMORY[size]], { modrm: 'r', operandSize: size, group: 'segment' }),
    form('lgs', [0x0f, 0xb5], [R[size], FAR_MEMORY[size]], { modrm: 'r', operandSize: size, group: 'segment' }),
  ]),
];

// ---------------------------------------------------------------------------------------------------
// Flags
const FLAG_ROWS: InstructionForm[] = [
  form('clc', [0xf8], [], { group: 'flag', flagsWritten: ['CF'] }),
  form('stc', [0xf9], [], { group: 'flag', flagsWritten: ['CF'] }),
  form('cmc', [0xf5], [], { group: 'flag', flagsRead: ['CF'], flagsWritten: ['CF'] }),
  form('cld', [0xfc], [], { group: 'flag', flagsWritten: ['DF'] }),
  form('std', [0xfd], [], { group: 'flag', flagsWritten: ['DF'] }),
  form('cli', [0xfa], [], { group: 'flag', flagsWritten: ['IF'], privilege: 'iopl' }),
  form('sti', [0xfb], [], { group: 'flag', flagsWritten: ['IF'], privilege: 'iopl', note: 'inhibits interrupts until after the next instruction' }),
  form('lahf', [0x9f], [], { group: 'flag', flagsRead: ['SF', 'ZF', 'AF', 'PF', 'CF'] }),
  form('sahf', [0x9e], [], { group: 'flag', flagsWritten: ['SF', 'ZF', 'AF', 'PF', 'CF'] }),
];

// ---------------------------------------------------------------------------------------------------
// System instructions
function systemForm(mnemonic: string, opcode: readonly number[], operands: readonly OperandKind[], details: Partial<FormDetails> = {}): InstructionForm {
  return form(mnemonic, opcode, operands, { group: 'system' as InstructionGroup, ...details });
}

/** sldt / str / smsw store 16 bits to memory, or a whole register (o32) / its low word (o16). */
function storeSystemRegisterRows(mnemonic: string, opcode: readonly number[], digit: 0 | 1 | 4): InstructionForm[] {
  return [
    systemForm(mnemonic, opcode, ['m16'], { modrm: digit }),
    systemForm(mnemonic, opcode, ['rm16'], { modrm: digit, operandSize: 16 }),
    systemForm(mnemonic, opcode, ['rr32'], { modrm: digit, operandSize: 32 }),
  ];
}

const SYSTEM_ROWS: InstructionForm[] = [
  systemForm('sgdt', [0x0f, 0x01], ['m16&32'], { modrm: 0 }),
  systemForm('sidt', [0x0f, 0x01], ['m16&32'], { modrm: 1 }),
  systemForm('lgdt', [0x0f, 0x01], ['m16&32'], { modrm: 2, privilege: 'cpl0' }),
  systemForm('lidt', [0x0f, 0x01], ['m16&32'], { modrm: 3, privilege: 'cpl0' }),
  ...storeSystemRegisterRows('smsw', [0x0f, 0x01], 4),
  systemForm('lmsw', [0x0f, 0x01], ['rm16'], { modrm: 6, privilege: 'cpl0' }),
  systemForm('invlpg', [0x0f, 0x01], ['m'], { modrm: 7, privilege: 'cpl0' }),
  ...storeSystemRegisterRows('sldt', [0x0f, 0x00], 0),
  ...storeSystemRegisterRows('str', [0x0f, 0x00], 1),
  systemForm('lldt', [0x0f, 0x00], ['rm16'], { modrm: 2, privilege: 'cpl0' }),
  systemForm('ltr', [0x0f, 0x00], ['rm16'], { modrm: 3, privilege: 'cpl0' }),
  systemForm('verr', [0x0f, 0x00], ['rm16'], { modrm: 4, flagsWritten: ['ZF'] }),
  systemForm('verw', [0x0f, 0x00], ['rm16'], { modrm: 5, flagsWritten: ['ZF'] }),
  systemForm('arpl', [0x63], ['rm16', 'r16'], { modrm: 'r', flagsWritten: ['ZF'] }),
  ...bothSizes((size) => [
    systemForm('lar', [0x0f, 0x02], [R[size], 'rm16'], { modrm: 'r', operandSize: size, flagsWritten: ['ZF'] }),
    systemForm('lsl', [0x0f, 0x03], [R[size], 'rm16'], { modrm: 'r', operandSize: size, flagsWritten: ['ZF'] }),
  ]),
  systemForm('lar', [0x0f, 0x02], ['r32', 'rr32'], { modrm: 'r', operandSize: 32, flagsWritten: ['ZF'] }),
  systemForm('lsl', [0x0f, 0x03], ['r32', 'rr32'], { modrm: 'r', operandSize: 32, flagsWritten: ['ZF'] }),
  systemForm('clts', [0x0f, 0x06], [], { privilege: 'cpl0' }),
  systemForm('invd', [0x0f, 0x08], [], { privilege: 'cpl0' }),
  systemForm('wbinvd', [0x0f, 0x09], [], { privilege: 'cpl0' }),
  systemForm('mov', [0x0f, 0x20], ['rr32', 'creg'], { modrm: 'r', privilege: 'cpl0', flagsUndefined: STATUS_FLAGS }),
  systemForm('mov', [0x0f, 0x21], ['rr32', 'dreg'], { modrm: 'r', privilege: 'cpl0', flagsUndefined: STATUS_FLAGS }),
  systemForm('mov', [0x0f, 0x22], ['creg', 'rr32'], { modrm: 'r', privilege: 'cpl0', flagsUndefined: STATUS_FLAGS }),
  systemForm('mov', [0x0f, 0x23], ['dreg', 'rr32'], { modrm: 'r', privilege: 'cpl0', flagsUndefined: STATUS_FLAGS }),
  systemForm('wrmsr', [0x0f, 0x30], [], { privilege: 'cpl0' }),
  systemForm('rdtsc', [0x0f, 0x31], [], { note: 'CPL 0 only when CR4.TSD is set' }),
  systemForm('rdmsr', [0x0f, 0x32], [], { privilege: 'cpl0' }),
  systemForm('rdpmc', [0x0f, 0x33], [], { note: 'CPL 0 only unless CR4.PCE is set' }),
  systemForm('sysenter', [0x0f, 0x34], [], { flagsWritten: ['IF', 'RF', 'VM'], note: 'to CS = SYSENTER_CS_MSR at CPL 0' }),
  systemForm('sysexit', [0x0f, 0x35], [], { privilege: 'cpl0', note: 'to CPL 3: eip = edx, esp = ecx' }),
  systemForm('cpuid', [0x0f, 0xa2], []),
  systemForm('rsm', [0x0f, 0xaa], [], { flagsWritten: ALL_FLAGS, note: '#UD outside system-management mode' }),
  systemForm('hlt', [0xf4], [], { privilege: 'cpl0' }),
];

// ---------------------------------------------------------------------------------------------------
// Miscellaneous
const MISC_ROWS: InstructionForm[] = [
  form('nop', [0x90], [], { group: 'misc' }),
  ...bothSizes((size) => [form('nop', [0x0f, 0x1f], [RM[size]], { modrm: 0, operandSize: size, group: 'misc', note: 'P6 multi-byte nop' })]),
  form('ud2', [0x0f, 0x0b], [], { group: 'misc', note: 'always #UD' }),
  form('wait', [0x9b], [], { aliases: ['fwait'], group: 'misc' }),
];

export const INSTRUCTION_TABLE: readonly InstructionForm[] = [
  // nop precedes xchg so that the decoder reads 90 as nop
  ...MISC_ROWS,
  ...ARITHMETIC_ROWS,
  ...MULDIV_ROWS,
  ...SHIFT_ROWS,
  ...BCD_ROWS,
  ...BIT_ROWS,
  ...STRING_ROWS,
  ...IO_ROWS,
  ...DATA_ROWS,
  ...CONDITIONAL_ROWS,
  ...STACK_ROWS,
  ...CONTROL_ROWS,
  ...SEGMENT_ROWS,
  ...FLAG_ROWS,
  ...SYSTEM_ROWS,
];
