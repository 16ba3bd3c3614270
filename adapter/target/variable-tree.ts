// The Variables view's scopes as plain trees read from the machine: Registers (EFLAGS expanded),
// Segments (decoded descriptors), System, MSRs, Trap Frame, Stack. Leaves that are registers or memory
// can be written; memory-backed ones carry their address for data breakpoints and the memory view.
import { lookupGdtDescriptor } from '../../core/nt/decoders/gdt';
import { decodeTrapFrame } from '../../core/nt/decoders/ktrap-frame';
import type { BaseRegisterName, EvaluationContext } from '../expression/evaluation-context';
import { evaluateExpression } from '../expression/expression-evaluator';
import { composeRegisterWrite, findRegister } from '../expression/registers';
import { guestMemoryOf, littleEndianBytes, readLinearDword, readTimeStampCounter, writeLinearBytes, writeRegister } from './machine-access';
import { KTRAP_FRAME_CS, KTRAP_FRAME_EFLAGS, KTRAP_FRAME_ESP, KTRAP_FRAME_SS } from '../../core/nt/ks386';
import type { StackFrame } from './call-stack';
import type { NtDebugTarget } from './debug-target';

export interface VariableNode {
  name: string;
  value: string;
  type?: string;
  evaluateName?: string;
  /** `0x...` of the memory the value points at or lives in (memory view, data breakpoints). */
  memoryReference?: string;
  /** Guest memory holding this value (for data breakpoints and writes). */
  storage?: { address: number; size: 1 | 2 | 4 };
  children?: () => VariableNode[];
  /** Writes the value typed by the user; an error message when it cannot. */
  write?: (text: string) => string | undefined;
}

export type ScopeName = 'Registers' | 'Segments' | 'System' | 'MSRs' | 'Trap Frame' | 'Stack';
export const SCOPE_NAMES: readonly ScopeName[] = ['Registers', 'Segments', 'System', 'MSRs', 'Trap Frame', 'Stack'];

const STACK_SLOTS = 16;
const FLAG_BITS: readonly [string, number, string][] = [
  ['CF', 0, 'carry'], ['PF', 2, 'parity'], ['AF', 4, 'adjust'], ['ZF', 6, 'zero'], ['SF', 7, 'sign'], ['TF', 8, 'trap'],
  ['IF', 9, 'interrupt enable'], ['DF', 10, 'direction'], ['OF', 11, 'overflow'], ['NT', 14, 'nested task'], ['RF', 16, 'resume'],
  ['VM', 17, 'virtual-8086'], ['AC', 18, 'alignment check'],
];

export const hexValue = (value: number, digits = 8): string => `0x${(value >>> 0).toString(16).padStart(digits, '0')}`;

/** Parses what the user typed (a debugger expression, hex by default) into a 32-bit value. */
export function parseValueText(text: string, context: EvaluationContext): number | string {
  const result = evaluateExpression(text, context);
  return result.ok ? result.value : `'${text}' is not a value: ${result.message}`;
}

export class VariableTreeBuilder {
  constructor(private readonly target: NtDebugTarget) {}

  private get machine() {
    return this.target.machine;
  }

  /** A value with the symbol it points at, when there is one. */
  private pointerText(value: number): string {
    const symbol = this.target.symbols.symbolize(value);
    return symbol === undefined ? hexValue(value) : `${hexValue(value)} (${symbol})`;
  }

  private mapped(address: number): boolean {
    return this.machine.translate(address >>> 0) !== undefined;
  }

  private registerNode(name: BaseRegisterName, value: number): VariableNode {
    const node: VariableNode = {
      name, value: this.pointerText(value), type: 'register', evaluateName: name,
      write: (text) => {
        const parsed = parseValueText(text, this.target.evaluation);
        return typeof parsed === 'string' ? parsed : writeRegister(this.machine, name, parsed);
      },
    };
    if (this.mapped(value)) node.memoryReference = hexValue(value);
    return node;
  }

  scope(name: ScopeName): VariableNode[] {
    switch (name) {
      case 'Registers': return this.registers();
      case 'Segments': return this.segments();
      case 'System': return this.system();
      case 'MSRs': return this.msrs();
      case 'Trap Frame': return this.trapFrame();
      case 'Stack': return this.stack();
    }
  }

  private registers(): VariableNode[] {
    const r = this.machine.registers();
    const names: BaseRegisterName[] = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip'];
    const nodes = names.map((name) => this.registerNode(name, r[name as 'eax']));
    const eflags = r.eflags;
    const flags: VariableNode = {
      name: 'eflags', value: `${hexValue(eflags)} [${FLAG_BITS.filter(([, bit]) => (eflags >>> bit) & 1).map(([flag]) => flag).join(' ')}] IOPL=${(eflags >>> 12) & 3}`,
      type: 'register', evaluateName: 'eflags',
      write: (text) => {
        const parsed = parseValueText(text, this.target.evaluation);
        return typeof parsed === 'string' ? parsed : writeRegister(this.machine, 'eflags', parsed);
      },
      children: () => {
        const current = this.machine.registers().eflags;
        const bits = FLAG_BITS.map(([flag, bit, meaning]): VariableNode => ({
          name: flag, value: String((current >>> bit) & 1), type: meaning, evaluateName: `@${flag.toLowerCase()}`,
          write: (text) => {
            const parsed = parseValueText(text, this.target.evaluation);
            if (typeof parsed === 'string') return parsed;
            if (parsed > 1) return `${flag} is one bit: 0 or 1`;
            const definition = findRegister(flag.toLowerCase(), true);
            if (definition === undefined) return `${flag} cannot be written`;
            return writeRegister(this.machine, 'eflags', composeRegisterWrite(definition, this.machine.registers().eflags, parsed));
          },
        }));
        bits.push({ name: 'IOPL', value: String((current >>> 12) & 3), type: 'I/O privilege level', evaluateName: '@iopl' });
        return bits;
      },
    };
    nodes.push(flags);
    return nodes;
  }

  private segments(): VariableNode[] {
    const r = this.machine.registers();
    const memory = guestMemoryOf(this.machine);
    return (['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const).map((name): VariableNode => {
      const segment = r[name];
      const descriptor = segment.selector < 4 ? undefined : lookupGdtDescriptor(memory, r.gdtr.base, r.gdtr.limit, segment.selector);
      const described = descriptor === undefined ? 'null selector' : descriptor.ok ? `${descriptor.value.name ?? 'GDT'} ${descriptor.value.type}, DPL ${descriptor.value.dpl}` : descriptor.error;
      return {
        name, value: `${hexValue(segment.selector, 4)} (${described})`, type: 'segment', evaluateName: name,
        children: () => {
          const rows: VariableNode[] = [
            { name: 'selector', value: hexValue(segment.selector, 4) },
            { name: 'index', value: String(segment.selector >>> 3) },
            { name: 'table', value: (segment.selector & 4) !== 0 ? 'LDT' : 'GDT' },
            { name: 'RPL', value: String(segment.selector & 3) },
            { name: 'base (cached)', value: hexValue(segment.base) },
            { name: 'limit (cached)', value: hexValue(segment.limit) },
          ];
          if (descriptor !== undefined && descriptor.ok) {
            const d = descriptor.value;
            rows.push(
              { name: 'name', value: d.name ?? '(none)' }, { name: 'type', value: d.type }, { name: 'DPL', value: String(d.dpl) },
              { name: 'present', value: String(d.present) }, { name: 'base', value: hexValue(d.base) }, { name: 'limit', value: hexValue(d.limit) },
              { name: 'D/B (32-bit)', value: String(d.defaultBig) }, { name: 'G (4 KiB units)', value: String(d.granularity4K) },
            );
          } else if (descriptor !== undefined) rows.push({ name: 'descriptor', value: descriptor.error });
          return rows;
        },
      };
    });
  }

  private system(): VariableNode[] {
    const r = this.machine.registers();
    return [
      { name: 'cr0', value: `${hexValue(r.cr0)} [${[['PE', 0], ['WP', 16], ['PG', 31]].filter(([, bit]) => (r.cr0 >>> (bit as number)) & 1).map(([flag]) => flag).join(' ')}]`, evaluateName: 'cr0', type: 'register' },
      { name: 'cr2', value: hexValue(r.cr2), evaluateName: 'cr2', type: 'page fault linear address' },
      { name: 'cr3', value: hexValue(r.cr3), evaluateName: 'cr3', type: 'page directory base (physical)' },
      { name: 'cr4', value: hexValue(r.cr4), evaluateName: 'cr4', type: 'register' },
      { name: 'gdtr', value: `base ${hexValue(r.gdtr.base)} limit ${hexValue(r.gdtr.limit, 4)}`, memoryReference: hexValue(r.gdtr.base) },
      { name: 'idtr', value: `base ${hexValue(r.idtr.base)} limit ${hexValue(r.idtr.limit, 4)}`, memoryReference: hexValue(r.idtr.base) },
      { name: 'tr', value: `${hexValue(r.tr.selector, 4)} base ${hexValue(r.tr.base)} limit ${hexValue(r.tr.limit, 4)}`, memoryReference: hexValue(r.tr.base) },
      { name: 'ldtr', value: hexValue(r.ldtr, 4) },
      { name: 'CPL', value: String(r.cpl), type: r.cpl === 0 ? 'kernel mode' : 'user mode' },
    ];
  }

  private msrs(): VariableNode[] {
    const { msr } = this.machine.registers();
    return [
      { name: 'IA32_SYSENTER_CS (0x174)', value: hexValue(msr.sysenterCs, 4) },
      { name: 'IA32_SYSENTER_ESP (0x175)', value: this.pointerText(msr.sysenterEsp), memoryReference: hexValue(msr.sysenterEsp) },
      { name: 'IA32_SYSENTER_EIP (0x176)', value: this.pointerText(msr.sysenterEip), memoryReference: hexValue(msr.sysenterEip) },
      { name: 'IA32_TIME_STAMP_COUNTER (0x10)', value: `0x${readTimeStampCounter(this.machine).toString(16).padStart(16, '0')}` },
    ];
  }

  /**
   * What is known of a caller frame's registers: its EIP, the ESP it had after the call returns,
   * and for the first frame below a trap frame the EFLAGS, CS and SS the CPU saved there.
   */
  callerRegisters(frames: readonly StackFrame[], index: number): VariableNode[] {
    const frame = frames[index];
    if (frame === undefined || frame.kind !== 'code') return [];
    const nodes: VariableNode[] = [{ name: 'eip', value: this.pointerText(frame.pc), type: 'return address', memoryReference: hexValue(frame.pc) }];
    const above = frames[index - 1];
    if (above?.kind === 'trap-frame') {
      const saved = (offset: number): number | undefined => readLinearDword(this.machine, above.trapFrame + offset);
      const esp = saved(KTRAP_FRAME_ESP);
      const eflags = saved(KTRAP_FRAME_EFLAGS);
      if (esp !== undefined) nodes.push({ name: 'esp', value: this.pointerText(esp), type: 'saved by the CPU in the trap frame', memoryReference: hexValue(esp) });
      if (eflags !== undefined) nodes.push({ name: 'eflags', value: hexValue(eflags), type: 'saved by the CPU in the trap frame' });
      const cs = saved(KTRAP_FRAME_CS);
      const ss = saved(KTRAP_FRAME_SS);
      if (cs !== undefined) nodes.push({ name: 'cs', value: hexValue(cs & 0xFFFF, 4), type: 'saved by the CPU in the trap frame' });
      if (ss !== undefined) nodes.push({ name: 'ss', value: hexValue(ss & 0xFFFF, 4), type: 'saved by the CPU in the trap frame' });
    } else if (frame.returnSlot !== undefined) {
      nodes.push({ name: 'esp', value: hexValue(frame.returnSlot + 4), type: 'after the return (stdcall callees pop more)', memoryReference: hexValue(frame.returnSlot + 4) });
    }
    return nodes;
  }

  /** A dword of guest memory as an editable leaf. */
  private memoryNode(name: string, address: number, type?: string): VariableNode {
    const value = readLinearDword(this.machine, address);
    return {
      name, value: value === undefined ? '(not mapped)' : this.pointerText(value), type,
      evaluateName: `dword [${hexValue(address)}]`, memoryReference: hexValue(address), storage: { address: address >>> 0, size: 4 },
      write: (text) => {
        const parsed = parseValueText(text, this.target.evaluation);
        if (typeof parsed === 'string') return parsed;
        return writeLinearBytes(this.machine, address, littleEndianBytes(parsed, 4)) === 4 ? undefined : `memory at ${hexValue(address)} is not mapped`;
      },
    };
  }

  /** The trap frame of the current kernel entry from ring 3, or KTHREAD.TrapFrame's. */
  currentTrapFrame(): number | undefined {
    if (this.machine.registers().cpl !== 0) return undefined;
    return this.target.userEntry()?.trapFrame;
  }

  private trapFrame(): VariableNode[] {
    const address = this.currentTrapFrame();
    if (address === undefined) return [{ name: '(none)', value: 'no trap frame: the CPU is not in the kernel on behalf of ring 3' }];
    const decoded = decodeTrapFrame(guestMemoryOf(this.machine), address);
    if (!decoded.ok) return [{ name: '(error)', value: decoded.error }];
    return [
      { name: 'address', value: hexValue(address), memoryReference: hexValue(address), type: '_KTRAP_FRAME *' },
      ...decoded.value.fields.map(({ field }) => this.memoryNode(`+0x${field.offset.toString(16).padStart(3, '0')} ${field.name}`, address + field.offset, field.typeName)),
    ];
  }

  private stack(): VariableNode[] {
    const esp = this.machine.registers().esp;
    const nodes: VariableNode[] = [];
    for (let slot = 0; slot < STACK_SLOTS; slot++) {
      const address = (esp + slot * 4) >>> 0;
      nodes.push(this.memoryNode(`[esp+${hexValue(slot * 4, 2)}] ${hexValue(address)}`, address));
    }
    return nodes;
  }
}
