// Workload (d), issue 7's "mix decoded from the kernel path": one NtClose round trip through sysenter and
// one through int 0x2e are stepped on the booted NT model, each ring-0 instruction decoded from guest
// memory with core/isa's decoder; the instructions that mean something in a flat ring-0 loop are written
// back as NASM text by core/isa's formatter, in the order and with the frequencies of the trace, and
// assembled into a loop on a flat machine with paging on. The rules, each counted in the report:
//   - memory operands other than [esp+disp] go to a data area: one data page per guest page the trace
//     touched, same offset in the page, same size and segment override (flat, base 0), pre-filled with
//     the bytes the kernel read there, so loads find the values the path found (a shift count, a mask);
//   - [esp+disp] operands are kept as they are (the loop has its own stack), lea keeps its address form
//     (it reads no memory);
//   - explicit writes of ESP (mov esp, [ecx+4]; mov esp, ebp; sub esp, 0x48 ...) write EBP instead, and
//     each iteration starts from a fresh ESP, so the loop's stack stays where it is;
//   - jcc and jmp rel keep their form and jump to the next instruction: a block still ends there, as on
//     the real path, taken or not;
//   - dropped: other control transfers (call, ret, int, iretd, sysenter, sysexit), segment register
//     loads and stores (mov ds, cx; push fs; pop fs), string instructions (rep movsd copies from the
//     caller's stack: (c) measures it) and CPL-0-only system instructions. cli/sti stay (legal at CPL 0).
// After assembling, the loop is decoded again and its instruction forms compared with the trace's, so
// the assembler cannot silently pick another encoding (mov eax, [abs] as A1 instead of 8B /r).
import { assemble } from '../core/asm/assembler';
import { formatDiagnostic } from '../core/asm/diagnostics';
import type { DecodedInstruction, DecodedMemory, DecodedOperand } from '../core/isa/decoded';
import { decodeBytes, decodeInstruction } from '../core/isa/decoder';
import { formatInstruction } from '../core/isa/disassembler';
import type { Machine } from '../core/machine/machine';
import type { LaunchedSyscallSystem, SyscallMechanism } from './syscall-system';

/** The loop's layout on the flat machine (identity-mapped below 12 MiB, code at 0x100000). */
export const MIX_STACK_TOP = 0x300000;
export const MIX_COUNTER = 0x3FF000;
export const MIX_DATA = 0x400000;
const MAXIMUM_DATA_PAGES = 64;
const REGISTER_ESP = 4;
/** Where explicit writes of ESP go: not EAX, whose mov-from-memory would assemble as A1 (moffs), another form. */
const REGISTER_EBP = 5;
/** mov esp, imm32 at the top; dec dword [counter] and jnz at the bottom. */
export const MIX_LOOP_CONTROL_INSTRUCTIONS = 3;
/** A round trip is a few hundred instructions: more means the trace lost its way. */
const MAXIMUM_TRACE_STEPS = 100_000;

export interface TracedInstruction {
  mechanism: SyscallMechanism;
  cpl: number;
  instruction: DecodedInstruction;
  /** The memory operand's linear address and the bytes there before the instruction ran. */
  memory?: { linear: number; bytes: number[] };
}

export type DropReason = 'control transfer' | 'segment register' | 'string' | 'CPL-0 system';

/** What the loop does with one traced instruction. */
export interface Treatment {
  dropped?: DropReason;
  memoryMoved: boolean;
  stackOperandKept: boolean;
  espRedirected: boolean;
  branchRetargeted: boolean;
}

export interface MnemonicShare {
  mnemonic: string;
  count: number;
  /** Of the traced ring-0 instructions, percent. */
  share: number;
  /** How many of them the loop keeps. */
  kept: number;
}

/** `instructions`: the distinct dropped instructions as the disassembler writes them. */
export interface DropSummary { reason: DropReason; count: number; share: number; instructions: string[] }

export interface KernelMix {
  traced: { mechanism: SyscallMechanism; ring0: number; ring3Skipped: number }[];
  ring0Instructions: number;
  /** Every mnemonic of the ring-0 trace, most frequent first. */
  histogram: MnemonicShare[];
  kept: number;
  keptShare: number;
  memoryOperandsMoved: number;
  stackOperandsKept: number;
  espWritesRedirected: number;
  branchesRetargeted: number;
  dropped: DropSummary[];
  /** Guest pages the moved memory operands touched (one data page each in the loop). */
  dataPages: number;
  /** Per iteration: the kept instructions plus MIX_LOOP_CONTROL_INSTRUCTIONS. */
  instructionsPerIteration: number;
}

export interface KernelMixLoop {
  mix: KernelMix;
  /** NASM source of the loop; the iteration count is in the counter's initial data. */
  source: (iterations: number) => string;
  /** Initial memory: the pre-filled data pages and the counter. */
  data: (iterations: number) => { address: number; bytes: Uint8Array }[];
}

// ------------------------------------------------------------------ tracing

/**
 * From the launched system's entry snapshot, runs to the loop head, then steps one NtClose round trip
 * (loop head to loop head) recording every instruction. Leaves the machine wherever the trace ended.
 */
export function traceRoundTrip(launched: LaunchedSyscallSystem): TracedInstruction[] {
  const { machine, loopHead, mechanism } = launched;
  if (launched.atEntry === undefined) throw new Error('kernel mix: launch the system with a snapshot at its entry');
  machine.restore(launched.atEntry);
  const cpu = machine.cpu;
  const linearEip = (): number => (cpu.segBase[1] + cpu.eip) >>> 0;
  const stepOnce = (): void => {
    const stop = machine.step();
    if (stop.reason !== 'step') throw new Error(`kernel mix (${mechanism}): stepping stopped with ${stop.reason}: ${stop.message}`);
  };
  for (let steps = 0; linearEip() !== loopHead; steps++) {
    if (steps > MAXIMUM_TRACE_STEPS) throw new Error(`kernel mix (${mechanism}): never reached the loop head`);
    stepOnce();
  }
  const trace: TracedInstruction[] = [];
  do {
    if (trace.length > MAXIMUM_TRACE_STEPS) throw new Error(`kernel mix (${mechanism}): the round trip did not come back to the loop head`);
    const linear = linearEip();
    const decoded = decodeInstruction((index) => machine.readLinear(linear + index, 1)[0] ?? -1, linear, 32);
    if (!decoded.ok) throw new Error(`kernel mix (${mechanism}): cannot decode at 0x${linear.toString(16)}: ${decoded.message}`);
    const instruction = decoded.instruction;
    const traced: TracedInstruction = { mechanism, cpl: cpu.segSelector[1] & 3, instruction };
    const memory = memoryOperandOf(instruction);
    if (memory !== undefined && memory.operand.size > 0) {
      const address = effectiveLinear(machine, memory.operand.memory);
      traced.memory = { linear: address, bytes: machine.readLinear(address, memory.operand.size).map((byte) => byte ?? 0) };
    }
    trace.push(traced);
    stepOnce();
  } while (linearEip() !== loopHead);
  return trace;
}

function memoryOperandOf(instruction: DecodedInstruction): { operand: Extract<DecodedOperand, { kind: 'mem' }>; slot: number } | undefined {
  const slot = instruction.operands.findIndex((operand) => operand.kind === 'mem');
  if (slot < 0) return undefined;
  return { operand: instruction.operands[slot] as Extract<DecodedOperand, { kind: 'mem' }>, slot };
}

function effectiveLinear(machine: Machine, memory: DecodedMemory): number {
  const registers = machine.cpu.r32;
  let offset = memory.displacement;
  if (memory.base >= 0) offset += registers[memory.base];
  if (memory.index >= 0) offset += registers[memory.index] * memory.scale;
  if (memory.addressSize === 16) offset &= 0xFFFF;
  return (machine.cpu.segBase[memory.segment] + offset) >>> 0;
}

// ------------------------------------------------------------------ rewriting

const WRITES_NO_DESTINATION = new Set(['cmp', 'test', 'push']);

export function treatmentOf(instruction: DecodedInstruction): Treatment {
  const { form, operands } = instruction;
  const treatment: Treatment = { memoryMoved: false, stackOperandKept: false, espRedirected: false, branchRetargeted: false };
  if (form.group === 'segment' || operands.some((operand) => operand.kind === 'sreg')) return { ...treatment, dropped: 'segment register' };
  if (form.mnemonic === 'sysenter' || form.mnemonic === 'sysexit') return { ...treatment, dropped: 'control transfer' };
  if (form.group === 'control') {
    const relative = operands.length === 1 && operands[0].kind === 'rel';
    if (relative && form.mnemonic !== 'call') return { ...treatment, branchRetargeted: true };
    return { ...treatment, dropped: 'control transfer' };
  }
  // leave reloads ESP from EBP, which in the loop holds no stack address.
  if (form.mnemonic === 'leave') return { ...treatment, dropped: 'control transfer' };
  if (form.group === 'string') return { ...treatment, dropped: 'string' };
  if (form.privilege === 'cpl0' || form.privilege === 'io') return { ...treatment, dropped: 'CPL-0 system' };
  const memory = memoryOperandOf(instruction);
  if (memory !== undefined && form.mnemonic !== 'lea') {
    const { memory: address } = memory.operand;
    if (address.base === REGISTER_ESP && address.index < 0) treatment.stackOperandKept = true;
    else treatment.memoryMoved = true;
  }
  const destination = operands[0];
  if (destination?.kind === 'reg' && destination.size !== 1 && destination.reg === REGISTER_ESP && !WRITES_NO_DESTINATION.has(form.mnemonic)) {
    treatment.espRedirected = true;
  }
  return treatment;
}

/** Guest linear page -> data page index, in order of first touch. */
class DataPages {
  readonly pages = new Map<number, number>();
  /** Data address -> byte, first write wins (what the path read first). */
  readonly bytes = new Map<number, number>();

  addressOf(linear: number): number {
    const page = linear >>> 12;
    let index = this.pages.get(page);
    if (index === undefined) {
      index = this.pages.size;
      if (index >= MAXIMUM_DATA_PAGES) throw new Error(`kernel mix: the trace touches more than ${MAXIMUM_DATA_PAGES} pages`);
      this.pages.set(page, index);
    }
    return MIX_DATA + index * 4096 + (linear & 0xFFF);
  }

  prefill(address: number, bytes: readonly number[]): void {
    bytes.forEach((byte, i) => { if (!this.bytes.has(address + i)) this.bytes.set(address + i, byte); });
  }
}

/** The kept traced instruction as the loop runs it: same form, operands moved as the treatment says. */
function rewrite(traced: TracedInstruction, treatment: Treatment, data: DataPages): DecodedInstruction {
  const operands = traced.instruction.operands.map((operand, slot): DecodedOperand => {
    if (operand.kind === 'mem' && treatment.memoryMoved && traced.memory !== undefined) {
      const address = data.addressOf(traced.memory.linear);
      data.prefill(address, traced.memory.bytes);
      const memory: DecodedMemory = { ...operand.memory, base: -1, index: -1, scale: 1, displacement: address, displacementBytes: 4, addressSize: 32 };
      return { ...operand, memory };
    }
    if (slot === 0 && treatment.espRedirected && operand.kind === 'reg') return { ...operand, reg: REGISTER_EBP };
    return operand;
  });
  return { ...traced.instruction, operands };
}

export function buildKernelMixLoop(traces: readonly TracedInstruction[][]): KernelMixLoop {
  const data = new DataPages();
  const body: string[] = [];
  const expectedForms: { formIndex: number; text: string }[] = [];
  const histogram = new Map<string, MnemonicShare>();
  const drops = new Map<DropReason, DropSummary>();
  let ring0 = 0;
  let kept = 0;
  let memoryOperandsMoved = 0;
  let stackOperandsKept = 0;
  let espWritesRedirected = 0;
  let branchesRetargeted = 0;
  const traced: KernelMix['traced'] = [];
  for (const trace of traces) {
    const ring0Part = trace.filter((entry) => entry.cpl === 0);
    traced.push({ mechanism: trace[0].mechanism, ring0: ring0Part.length, ring3Skipped: trace.length - ring0Part.length });
    for (const entry of ring0Part) {
      ring0++;
      const mnemonic = entry.instruction.form.mnemonic;
      const share = histogram.get(mnemonic) ?? { mnemonic, count: 0, share: 0, kept: 0 };
      histogram.set(mnemonic, share);
      share.count++;
      const treatment = treatmentOf(entry.instruction);
      if (treatment.dropped !== undefined) {
        const drop = drops.get(treatment.dropped) ?? { reason: treatment.dropped, count: 0, share: 0, instructions: [] };
        drops.set(treatment.dropped, drop);
        drop.count++;
        // As the disassembler writes it (`pop fs`, `mov ds, cx`, `ret 0x4`): the mnemonic alone hides which form went.
        const text = formatInstruction(entry.instruction, { style: 'nasm', bits: 32 });
        if (!drop.instructions.includes(text)) drop.instructions.push(text);
        continue;
      }
      kept++;
      share.kept++;
      if (treatment.memoryMoved) memoryOperandsMoved++;
      if (treatment.stackOperandKept) stackOperandsKept++;
      if (treatment.espRedirected) espWritesRedirected++;
      const instruction = rewrite(entry, treatment, data);
      if (treatment.branchRetargeted) {
        branchesRetargeted++;
        const operand = instruction.operands[0];
        const label = `.next${branchesRetargeted}`;
        const text = `${mnemonic} ${operand.kind === 'rel' && operand.size === 1 ? 'short' : 'near'} ${label}`;
        body.push(`        ${text}`, `${label}:`);
        expectedForms.push({ formIndex: instruction.formIndex, text });
        continue;
      }
      const text = formatInstruction(instruction, { style: 'nasm', bits: 32 });
      body.push(`        ${text}`);
      expectedForms.push({ formIndex: instruction.formIndex, text });
    }
  }
  const percent = (count: number): number => (ring0 === 0 ? 0 : (count / ring0) * 100);
  for (const share of histogram.values()) share.share = percent(share.count);
  for (const drop of drops.values()) drop.share = percent(drop.count);
  const mix: KernelMix = {
    traced, ring0Instructions: ring0,
    histogram: [...histogram.values()].sort((a, b) => b.count - a.count || a.mnemonic.localeCompare(b.mnemonic)),
    kept, keptShare: percent(kept), memoryOperandsMoved, stackOperandsKept, espWritesRedirected, branchesRetargeted,
    dropped: [...drops.values()].sort((a, b) => b.count - a.count),
    dataPages: data.pages.size,
    instructionsPerIteration: kept + MIX_LOOP_CONTROL_INSTRUCTIONS,
  };
  const source = (iterations: number): string => [
    `; (d) the ring-0 instructions of one NtClose round trip per path, ${iterations} times (bench/kernel-mix.ts)`,
    'bits 32',
    'org 0x100000',
    `top:    mov esp, 0x${MIX_STACK_TOP.toString(16)}`,
    'body:',
    ...body,
    `        dec dword [0x${MIX_COUNTER.toString(16)}]`,
    '        jnz top',
    '        hlt',
    '',
  ].join('\n');
  const initialData = (iterations: number): { address: number; bytes: Uint8Array }[] => {
    const pages = new Uint8Array(data.pages.size * 4096);
    for (const [address, byte] of data.bytes) pages[address - MIX_DATA] = byte;
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, iterations, true);
    return [{ address: MIX_DATA, bytes: pages }, { address: MIX_COUNTER, bytes: counter }];
  };
  verifyForms(source(1), expectedForms);
  return { mix, source, data: initialData };
}

/** Decodes the assembled loop body and checks that each instruction has the form the trace had. */
function verifyForms(source: string, expected: readonly { formIndex: number; text: string }[]): void {
  const assembled = assemble({ fileName: 'kernel-mix.asm', source });
  if (!assembled.ok) throw new Error(`kernel mix: the loop does not assemble:\n${assembled.diagnostics.map(formatDiagnostic).join('\n')}`);
  const body = assembled.symbols.find((symbol) => symbol.name === 'body');
  if (body === undefined) throw new Error('kernel mix: no body label in the assembled loop');
  let offset = body.address - assembled.origin;
  for (const { formIndex, text } of expected) {
    const decoded = decodeBytes(assembled.image, offset, assembled.origin + offset, 32);
    if (!decoded.ok) throw new Error(`kernel mix: \`${text}\` assembled to bytes that do not decode: ${decoded.message}`);
    if (decoded.instruction.formIndex !== formIndex) {
      throw new Error(`kernel mix: \`${text}\` assembled as ${decoded.instruction.form.mnemonic} ${decoded.instruction.form.operands.join(', ')}, another form than the trace's`);
    }
    offset += decoded.instruction.length;
  }
}

/** `mov 27.4%  push 12.1% ...`: the most frequent mnemonics of the trace, dropped ones marked. */
export function formatKernelMix(mix: KernelMix, top = 14): string[] {
  const traced = mix.traced.map((part) => `${part.mechanism} ${part.ring0}`).join(', ');
  const skipped = mix.traced.reduce((sum, part) => sum + part.ring3Skipped, 0);
  const entries = mix.histogram.slice(0, top).map((entry) => `${entry.mnemonic}${entry.kept === 0 ? '*' : ''} ${entry.share.toFixed(1)}%`);
  const rest = mix.histogram.slice(top).reduce((sum, entry) => sum + entry.share, 0);
  const lines = [
    `(d) kernel-path mix: the ${mix.ring0Instructions} ring-0 instructions of one NtClose round trip per path (${traced}; the ${skipped} ring-3 ones not counted)`,
    `    ${entries.join('  ')}${rest > 0 ? `  other ${rest.toFixed(1)}%` : ''}   (* dropped)`,
    `    kept ${mix.kept} (${mix.keptShare.toFixed(1)}%): ${mix.memoryOperandsMoved} memory operands moved to ${mix.dataPages} data pages (same page offset, size, prefix),` +
      ` ${mix.stackOperandsKept} [esp+disp] kept, ${mix.espWritesRedirected} writes of ESP sent to EBP, ${mix.branchesRetargeted} jcc/jmp aimed at the next instruction`,
    `    dropped ${mix.ring0Instructions - mix.kept} (${(100 - mix.keptShare).toFixed(1)}%): ` +
      mix.dropped.map((drop) => `${drop.reason} ${drop.count} (${drop.share.toFixed(1)}%: ${drop.instructions.join(', ')})`).join('; '),
    `    loop: ${mix.instructionsPerIteration} instructions per iteration (${MIX_LOOP_CONTROL_INSTRUCTIONS} of them loop control); MIPS(cpu) of the real path: the system-call rows`,
  ];
  return lines;
}
