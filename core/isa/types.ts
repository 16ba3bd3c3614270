// The shape of one row of the instruction table. The encoder (core/asm), the decoder/disassembler
// (core/isa/decoder.ts, core/isa/disassembler.ts) and the CPU (core/cpu) are all driven by rows of this
// shape; nothing else in the project may hold its own opcode knowledge.

/** Operand kinds, named after the Intel SDM's operand notation. */
export type OperandKind =
  // general registers selected by ModRM.reg (or by the low opcode bits when `regInOpcode`)
  | 'r8' | 'r16' | 'r32'
  // register or memory selected by ModRM.rm
  | 'rm8' | 'rm16' | 'rm32'
  // memory only (ModRM.mod != 3): sized, or unsized (`m`, as for lea / invlpg)
  | 'm' | 'm8' | 'm16' | 'm32' | 'm64'
  | 'm16&32'       // pseudo-descriptor for lgdt/lidt/sgdt/sidt (6 bytes)
  | 'm16:16' | 'm16:32' // far pointer in memory (call far / jmp far / lds / les / lfs / lgs / lss)
  | 'm16&16' | 'm32&32' // bound's pair of limits
  // register only through ModRM.rm (mod must be 3), e.g. mov cr0, eax / the r32 of mov to sreg when r/m is a register
  | 'rr32'
  // immediates
  | 'imm8' | 'imm16' | 'imm32'
  | 'simm8'        // imm8 sign-extended to the operand size (83 /digit ib, 6B /r ib, 6A ib)
  // relative branch targets (displacement from the next instruction)
  | 'rel8' | 'rel16' | 'rel32'
  // moffs: a direct address with no ModRM (A0-A3)
  | 'moffs8' | 'moffs16' | 'moffs32'
  // far immediate pointer (EA / 9A): ptr16:16 with o16, ptr16:32 in 32-bit
  | 'ptr16:16' | 'ptr16:32'
  // fixed registers and constants that appear in the mnemonic form
  | 'al' | 'ax' | 'eax' | 'cl' | 'dx' | 'one'
  | 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs'
  // special registers through ModRM.reg
  | 'sreg' | 'creg' | 'dreg';

/** Which family of CPU handlers executes the form; also the file under core/cpu/ that holds it. */
export type InstructionGroup =
  | 'alu' | 'shift' | 'muldiv' | 'bcd' | 'bit' | 'string' | 'stack' | 'control' | 'data'
  | 'flag' | 'io' | 'segment' | 'system' | 'misc';

/** Flag names as in EFLAGS. */
export type FlagName = 'CF' | 'PF' | 'AF' | 'ZF' | 'SF' | 'TF' | 'IF' | 'DF' | 'OF' | 'IOPL' | 'NT' | 'RF' | 'VM' | 'AC';

export type Privilege =
  | 'any'
  | 'cpl0'      // #GP(0) unless CPL = 0 (lgdt, mov cr, hlt, wrmsr ...)
  | 'iopl'      // #GP(0) unless CPL <= IOPL (cli, sti)
  | 'io';       // CPL <= IOPL, else the TSS I/O permission map decides (in, out, ins, outs)

export type PrefixName = 'lock' | 'rep' | 'repne';

export interface InstructionForm {
  /** NASM mnemonic, lower case: 'add', 'jz' (canonical jcc/setcc/cmovcc names, aliases in `aliases`). */
  mnemonic: string;
  /** Other NASM spellings the assembler accepts for this same form ('je' for 'jz', 'sal' for 'shl'). */
  aliases?: readonly string[];
  /** Opcode bytes after all prefixes (0x0F escape included). */
  opcode: readonly number[];
  /** '/r' (ModRM.reg names a register operand), 0..7 ('/digit' — fixed ModRM.reg), or absent (no ModRM). */
  modrm?: 'r' | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;
  /** The last opcode byte carries a register number in its low 3 bits (+rb / +rw / +rd). */
  regInOpcode?: boolean;
  /** Operands in Intel order (destination first). */
  operands: readonly OperandKind[];
  /**
   * The operand-size attribute the form needs: 16 means the form exists only with o16 (0x66 in 32-bit code),
   * 32 only with o32. Absent for forms whose meaning does not depend on it (byte forms, jmp rel8, int ...).
   */
  operandSize?: 16 | 32;
  /** Likewise for the address-size attribute (jcxz vs jecxz, loop with a16, string instructions with a16). */
  addressSize?: 16 | 32;
  /** Prefixes the form accepts beyond the universal ones (segment overrides, 0x66, 0x67). */
  prefixes?: readonly PrefixName[];
  /** Flags the form reads, writes with a defined result, and leaves undefined (Intel SDM, appendix A/B). */
  flagsRead?: readonly FlagName[];
  flagsWritten?: readonly FlagName[];
  flagsUndefined?: readonly FlagName[];
  privilege?: Privilege;
  group: InstructionGroup;
  /** Free text for readers of the table (SDM summary line). */
  note?: string;
}
