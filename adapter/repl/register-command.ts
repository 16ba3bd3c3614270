// `r`: WinDbg's x86 register dump, flag mnemonics included (`nv up ei pl zr na pe nc`).
import { hex4, hex8 } from './windbg-numbers';

export interface RegisterDump {
  eax: number; ebx: number; ecx: number; edx: number; esi: number; edi: number;
  eip: number; esp: number; ebp: number; eflags: number;
  cs: number; ss: number; ds: number; es: number; fs: number; gs: number;
}

/** The instruction at EIP, for the two lines `r` prints under the registers. */
export interface CurrentInstruction {
  /** `ntdll!KiFastSystemCall+0x2`, or undefined where no symbol covers EIP. */
  symbol?: string;
  bytes: Uint8Array;
  /** The instruction in WinDbg syntax, `sysenter`, `mov     eax,dword ptr [esp+4]`. */
  text: string;
}

/** The eight flags WinDbg names, in its order: set / clear mnemonic. */
const FLAG_MNEMONICS: readonly [number, string, string][] = [
  [0x800, 'ov', 'nv'], [0x400, 'dn', 'up'], [0x200, 'ei', 'di'], [0x80, 'ng', 'pl'],
  [0x40, 'zr', 'nz'], [0x10, 'ac', 'na'], [0x4, 'pe', 'po'], [0x1, 'cy', 'nc'],
];

export function eflagsMnemonics(eflags: number): string {
  return FLAG_MNEMONICS.map(([mask, set, clear]) => ((eflags & mask) !== 0 ? set : clear)).join(' ');
}

/** WinDbg's disassembly line: address, the bytes in a 16-column field, the instruction. */
export function formatDisassemblyLine(address: number, bytes: Uint8Array, text: string): string {
  const hexBytes = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex8(address)} ${hexBytes.padEnd(16)}${hexBytes.length >= 16 ? ' ' : ''}${text}`;
}

export function formatRegisters(registers: RegisterDump, current?: CurrentInstruction): string {
  const iopl = (registers.eflags >>> 12) & 3;
  const lines = [
    `eax=${hex8(registers.eax)} ebx=${hex8(registers.ebx)} ecx=${hex8(registers.ecx)} edx=${hex8(registers.edx)} esi=${hex8(registers.esi)} edi=${hex8(registers.edi)}`,
    `eip=${hex8(registers.eip)} esp=${hex8(registers.esp)} ebp=${hex8(registers.ebp)} iopl=${iopl}         ${eflagsMnemonics(registers.eflags)}`,
    `cs=${hex4(registers.cs)}  ss=${hex4(registers.ss)}  ds=${hex4(registers.ds)}  es=${hex4(registers.es)}  fs=${hex4(registers.fs)}  gs=${hex4(registers.gs)}             efl=${hex8(registers.eflags)}`,
  ];
  if (current !== undefined) {
    if (current.symbol !== undefined) lines.push(`${current.symbol}:`);
    lines.push(formatDisassemblyLine(registers.eip, current.bytes, current.text));
  }
  return lines.join('\n');
}
