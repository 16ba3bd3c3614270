// The contract between the assembler's front end (parser, expressions, passes) and the encoder.
// The front end evaluates expressions and hands the encoder operands with plain numbers; the encoder
// picks the table row and produces bytes, exactly as `nasm -f bin` would.

export type OperandSizeKeyword = 8 | 16 | 32 | 48 | 64; // byte word dword fword qword

export interface RegisterOperand {
  kind: 'reg';
  /** Lower-case register name: al..bh, ax..di, eax..edi, es cs ss ds fs gs, cr0 cr2 cr3 cr4, dr0..dr7. */
  name: string;
}

export interface ImmediateOperand {
  kind: 'imm';
  value: number;
  /** An explicit size keyword written before the value (`push dword 5`, `add eax, byte 3`). */
  size?: OperandSizeKeyword;
  /** `strict` was written: the size keyword is binding, no optimisation. */
  strict?: boolean;
  /** `short` / `near` / `far` written before a branch target. */
  distance?: 'short' | 'near' | 'far';
  /**
   * The value depends on a symbol not yet known in this pass (a forward reference). The encoder must then
   * choose the form NASM chooses for an unknown value so that later passes converge.
   */
  unresolved?: boolean;
  /** The value is an address of a label (relocatable in NASM's terms); `value` is absolute. */
  isAddress?: boolean;
}

export interface MemoryOperand {
  kind: 'mem';
  /** Explicit size keyword (`dword [eax]`), absent when none was written. */
  size?: OperandSizeKeyword;
  /** Explicit segment override written as `[fs:...]` or `fs:[...]`. */
  segment?: 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs';
  base?: string;   // register name, 32-bit (eax..edi) or 16-bit (bx, bp, si, di)
  index?: string;  // register name
  scale?: 1 | 2 | 4 | 8;
  /** Displacement (absolute value, already including label addresses). */
  displacement: number;
  /** A size keyword written inside the brackets for the displacement (`[byte eax+1]`, `[dword eax+1]`). */
  displacementSize?: 8 | 16 | 32;
  /** `nosplit` written: `[eax*2]` stays as index*2 with disp32 instead of base+index. */
  noSplit?: boolean;
  /** The displacement depends on a symbol not yet known in this pass. */
  unresolved?: boolean;
  /** A16 addressing (bx/bp/si/di, or `a16` prefix given) instead of 32-bit ModRM/SIB. */
  addressSize?: 16 | 32;
  /** The displacement includes a label's address (relocatable): NASM then never shortens it to disp8. */
  isAddress?: boolean;
  /** `far` written before the operand (`jmp far [eax]`, `call far dword [ebx]`): an indirect far pointer. */
  far?: boolean;
}

export interface FarPointerOperand {
  kind: 'far';          // `jmp 0x08:label`, `call 0x1b:0x401000`
  segment: number;
  offset: number;
  unresolved?: boolean;
  /** `word` / `dword` written before the pointer (`jmp word 0x08:0x1234` is the ptr16:16 form). */
  size?: OperandSizeKeyword;
}

export type ParsedOperand = RegisterOperand | ImmediateOperand | MemoryOperand | FarPointerOperand;

export interface EncodeRequest {
  mnemonic: string;                  // lower case, as written (aliases allowed: 'je', 'sal', 'rep movsd' is split below)
  /** Prefixes written before the mnemonic, in order: 'lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'o16', 'o32', 'a16', 'a32', and segment names. */
  prefixes: readonly string[];
  operands: readonly ParsedOperand[];
  /** `bits 32` (or 16) in force. */
  bits: 16 | 32;
  /** Address of the first byte of this instruction (for relative branches). */
  address: number;
  /**
   * Final pass: the encoder must report out-of-range values as errors. In earlier passes it must not
   * fail on values that may still change (unresolved or not yet settled), it only has to return a length.
   */
  final: boolean;
}

export type EncodeResult =
  | {
    ok: true; bytes: number[];
    /** Not final: the bytes of a row whose value does not fit yet, given for their length; the final pass reports it instead. */
    provisional?: true;
  }
  | { ok: false; message: string; /** 0-based index of the operand at fault, when one is */ operandIndex?: number };
