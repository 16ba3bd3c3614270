// Decoded instruction -> the MASM-style text WinDbg's `u` prints: `mov     eax,dword ptr [ebx+4]`,
// `call    nt!KiSystemService (804de2e0)`, hex numbers as `0B7h`, the mnemonic padded to seven columns.

import type { DecodedInstruction, DecodedMemory, DecodedOperand } from './decoded';
import { SEGMENT_DS } from './decoded';
import { segmentRegisterName } from './registers';
import { Symbolizer, addressRegisterName, explicitDwordSpelling, preferredConditionSpelling, registerName } from './syntax-common';

export interface WindbgSyntaxOptions {
  symbolize?: Symbolizer;
}

/** MASM hex as WinDbg writes it: 8, 24h, 0B7h (a leading 0 when the first digit is a letter). */
export function masmNumber(value: number, minimumDigits = 1): string {
  if (value < 10 && minimumDigits <= 1) return String(value);
  const digits = value.toString(16).toUpperCase().padStart(minimumDigits, '0');
  return (/^[A-F]/.test(digits) ? '0' : '') + digits + 'h';
}

function plainAddress(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

const PTR_WORDS: Record<number, string> = { 1: 'byte ptr ', 2: 'word ptr ', 4: 'dword ptr ', 6: 'fword ptr ', 8: 'qword ptr ' };

function formatMemory(size: number, memory: DecodedMemory, symbolize: Symbolizer | undefined): string {
  const ptr = PTR_WORDS[size] ?? '';
  const segment = memory.segmentOverridden ? `${segmentRegisterName(memory.segment)}:` : '';
  if (memory.base < 0 && memory.index < 0) {
    const mask = memory.addressSize === 32 ? 0xffffffff : 0xffff;
    const address = (memory.displacement & mask) >>> 0;
    const name = symbolize?.(address);
    if (name) return `${ptr}${segment}[${name} (${plainAddress(address)})]`;
    // WinDbg always names the segment of an absolute address (ds:[7FFE0300h])
    const shownSegment = segment || `${segmentRegisterName(SEGMENT_DS)}:`;
    return `${ptr}${shownSegment}[${masmNumber(address, memory.addressSize === 32 ? 8 : 4)}]`;
  }
  const parts: string[] = [];
  if (memory.base >= 0) parts.push(addressRegisterName(memory.base, memory.addressSize));
  if (memory.index >= 0) parts.push(`${addressRegisterName(memory.index, memory.addressSize)}*${memory.scale}`);
  let text = parts.join('+');
  if (memory.displacement !== 0) {
    if (memory.base < 0) text += '+' + masmNumber(memory.displacement >>> 0);
    else text += memory.displacement < 0 ? '-' + masmNumber(-memory.displacement) : '+' + masmNumber(memory.displacement);
  }
  return `${ptr}${segment}[${text}]`;
}

function formatOperand(operand: DecodedOperand, kind: string, symbolize: Symbolizer | undefined): string {
  switch (operand.kind) {
    case 'reg': return registerName(operand);
    case 'sreg': return segmentRegisterName(operand.reg) ?? `sreg${operand.reg}`;
    case 'creg': return `cr${operand.reg}`;
    case 'dreg': return `dr${operand.reg}`;
    case 'imm': {
      if (kind === 'one') return '1';
      const name = operand.size === 4 ? symbolize?.(operand.value) : undefined;
      return name ? `offset ${name} (${plainAddress(operand.value)})` : masmNumber(operand.value);
    }
    case 'rel': {
      const name = symbolize?.(operand.target);
      return name ? `${name} (${plainAddress(operand.target)})` : plainAddress(operand.target);
    }
    case 'far': return `${operand.segment.toString(16).padStart(4, '0')}:${plainAddress(operand.offset)}`;
    case 'mem': return formatMemory(operand.size, operand.memory, symbolize);
  }
}

const STRING_OPERATION = /^(movs|cmps|stos|lods|scas|ins|outs)([bwd])$/;
const STRING_ELEMENT_SIZE: Record<string, number> = { b: 1, w: 2, d: 4 };

/** WinDbg spells string instructions with their implicit operands: `movs dword ptr es:[edi],dword ptr [esi]`. */
function stringOperands(instruction: DecodedInstruction, stem: string, suffix: string): string {
  const ptr = PTR_WORDS[STRING_ELEMENT_SIZE[suffix]];
  const wide = instruction.addressSize === 32;
  const source = `${ptr}${instruction.segmentOverride >= 0 ? segmentRegisterName(instruction.segmentOverride) + ':' : ''}[${wide ? 'esi' : 'si'}]`;
  const destination = `${ptr}es:[${wide ? 'edi' : 'di'}]`;
  switch (stem) {
    case 'movs': return `${destination},${source}`;
    case 'cmps': return `${source},${destination}`;
    case 'stos': case 'scas': return destination;
    case 'lods': return source;
    case 'ins': return `${destination},dx`;
    default: return `dx,${source}`;
  }
}

export function formatWindbgInstruction(instruction: DecodedInstruction, options: WindbgSyntaxOptions = {}): string {
  const { form } = instruction;
  const words: string[] = [];
  if (instruction.lock) words.push('lock');
  if (instruction.rep) {
    const distinguishesRepe = (form.prefixes ?? []).includes('repne');
    words.push(instruction.rep === 'repne' ? 'repne' : distinguishesRepe ? 'repe' : 'rep');
  }
  // WinDbg names the 32-bit stack and flag forms pushfd / popad / iretd, but returns plain ret / retf
  let mnemonic = form.operandSize === 32 && form.operands.length === 0 && !form.mnemonic.startsWith('ret')
    ? explicitDwordSpelling(form.mnemonic, form.aliases) ?? form.mnemonic
    : preferredConditionSpelling(form.mnemonic, form.aliases);
  let operandText: string;
  const stringMatch = form.operands.length === 0 ? STRING_OPERATION.exec(form.mnemonic) : null;
  if (stringMatch && form.group === 'string') {
    mnemonic = stringMatch[1];
    operandText = stringOperands(instruction, stringMatch[1], stringMatch[2]);
  } else if (form.mnemonic === 'int3') {
    mnemonic = 'int';
    operandText = '3';
  } else {
    if (instruction.segmentOverride >= 0 && !instruction.operands.some((operand) => operand.kind === 'mem')) {
      words.push(segmentRegisterName(instruction.segmentOverride) ?? '');
    }
    operandText = instruction.operands.map((operand, i) => formatOperand(operand, form.operands[i], options.symbolize)).join(',');
  }
  words.push(mnemonic);
  const head = words.join(' ');
  return operandText ? `${head.padEnd(7)} ${operandText}` : head;
}
