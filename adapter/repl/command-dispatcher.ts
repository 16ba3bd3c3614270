// The Debug Console's WinDbg-style commands (`!idt 2e`, `!pcr`, `dt _KTRAP_FRAME addr`, `dps
// nt!KiServiceTable L8`, `rdmsr 176`, `u`, `db`/`dd`, `r`, `k`, `dg`, `?`): parses a line and calls the
// formatters. Text that is no command is left to the expression evaluator (answer undefined).
import type { CpuRegisterView } from '../../core/machine/cpu-state';
import type { Symbolizer } from '../../core/isa/syntax-common';
import { decodeKpcr, KPCR_ADDRESS } from '../../core/nt/decoders/kpcr';
import type { GdtView, IdtView } from '../../core/nt/decoders/shapes';
import { findStructureLayout, KNOWN_STRUCTURES } from '../../core/nt/decoders/structure-catalog';
import { decodeStructureAt } from '../../core/nt/decoders/structure-layout';
import type { DecodeResult, GuestMemoryReader } from '../../core/nt/guest-memory';
import type { EvaluationContext } from '../expression/evaluation-context';
import { evaluateExpression } from '../expression/expression-evaluator';
import { formatStructure, formatStructureLayout } from './dt-command';
import { formatDg } from './gdt-command';
import { formatIdtCommand } from './idt-command';
import { DB_DEFAULT_LENGTH, DD_DEFAULT_COUNT, DPS_DEFAULT_COUNT, formatBytes, formatDwords, formatPointersWithSymbols } from './memory-dump';
import { formatRdmsr, formatRdmsrFailure } from './msr-command';
import { formatPcr } from './pcr-command';
import { parseRangeArguments } from './range-arguments';
import { formatRegisters } from './register-command';
import { hex8 } from './windbg-numbers';

/** What the commands read from the paused machine. */
export interface ReplEnvironment {
  memory: GuestMemoryReader;
  context: EvaluationContext;
  symbolize: Symbolizer;
  registers(): CpuRegisterView;
  idt(): DecodeResult<IdtView>;
  gdt(): DecodeResult<GdtView>;
  /** An MSR's value, or undefined when the CPU has no such MSR. */
  readMsr(index: number): bigint | undefined;
  /** The trap frame `dt _KTRAP_FRAME` shows without an address (the current one), if any. */
  currentTrapFrame(): number | undefined;
  /** `k`: one line per frame. */
  stackLines(): string[];
  /** `u`: WinDbg disassembly lines (with `symbol:` headers) and the address after the last one. */
  disassemble(address: number, count: number): { lines: string[]; next: number };
}

export type ReplAnswer = { ok: true; text: string } | { ok: false; message: string };

export const REPL_COMMAND_NAMES: readonly string[] = ['!idt', '!pcr', 'dt', 'dps', 'dd', 'db', 'rdmsr', 'u', 'r', 'k', 'dg', '?'];
const U_DEFAULT_COUNT = 8;

function fail(message: string): ReplAnswer {
  return { ok: false, message };
}

function done(text: string): ReplAnswer {
  return { ok: true, text };
}

/** Runs one console line; undefined when the line is not a command (evaluate it as an expression). */
export function runReplCommand(line: string, environment: ReplEnvironment): ReplAnswer | undefined {
  const trimmed = line.trim();
  const match = /^(!?[A-Za-z?]+)(?:\s+(.*))?$/.exec(trimmed) ?? /^(\?)(.*)$/.exec(trimmed);
  if (!match) return undefined;
  const command = match[1].toLowerCase();
  const rest = (match[2] ?? '').trim();
  switch (command) {
    case '!idt': return idtCommand(rest, environment);
    case '!pcr': return pcrCommand(environment);
    case 'dt': return dtCommand(rest, environment);
    case 'dps': case 'dd': case 'db': return dumpCommand(command, rest, environment);
    case 'rdmsr': return rdmsrCommand(rest, environment);
    case 'u': return unassembleCommand(rest, environment);
    case 'r': return rest.length === 0 ? registersCommand(environment) : undefined;
    case 'k': return rest.length === 0 ? done(environment.stackLines().join('\n')) : undefined;
    case 'dg': return dgCommand(rest, environment);
    case '?': return evaluateCommand(rest, environment);
    default: return undefined;
  }
}

function evaluate(text: string, environment: ReplEnvironment): number | string {
  const result = evaluateExpression(text, environment.context);
  return result.ok ? result.value : result.message;
}

function idtCommand(rest: string, environment: ReplEnvironment): ReplAnswer {
  const idt = environment.idt();
  if (!idt.ok) return fail(idt.error);
  if (rest.length === 0) return done(formatIdtCommand(idt.value));
  const vector = evaluate(rest, environment);
  if (typeof vector === 'string') return fail(`!idt: bad vector '${rest}': ${vector}`);
  if (vector > 0xFF) return fail(`!idt: vector 0x${vector.toString(16)} is past 0xff`);
  return done(formatIdtCommand(idt.value, vector));
}

function pcrCommand(environment: ReplEnvironment): ReplAnswer {
  const pcr = decodeKpcr(environment.memory, KPCR_ADDRESS);
  return pcr.ok ? done(formatPcr(pcr.value)) : fail(`!pcr: ${pcr.error}`);
}

function dtCommand(rest: string, environment: ReplEnvironment): ReplAnswer {
  const [typeName, ...addressParts] = rest.split(/\s+/).filter((part) => part.length > 0);
  if (typeName === undefined) return fail(`dt needs a type: ${KNOWN_STRUCTURES.map((layout) => layout.name).join(', ')}`);
  const layout = findStructureLayout(typeName);
  if (layout === undefined) return fail(`dt: unknown type '${typeName}' (known: ${KNOWN_STRUCTURES.map((layout) => layout.name).join(', ')})`);
  let address: number | undefined;
  if (addressParts.length > 0) {
    const value = evaluate(addressParts.join(' '), environment);
    if (typeof value === 'string') return fail(`dt: bad address '${addressParts.join(' ')}': ${value}`);
    address = value;
  } else if (layout.name === '_KTSS') {
    const tr = environment.registers().tr;
    address = tr.selector === 0 ? undefined : tr.base;
  } else if (layout.name === '_KPCR') address = KPCR_ADDRESS;
  else if (layout.name === '_KTRAP_FRAME') address = environment.currentTrapFrame();
  if (address === undefined) return done(formatStructureLayout(layout));
  const structure = decodeStructureAt(environment.memory, layout, address);
  return structure.ok ? done(formatStructure(structure.value)) : fail(`dt: ${structure.error}`);
}

function dumpCommand(command: 'dps' | 'dd' | 'db', rest: string, environment: ReplEnvironment): ReplAnswer {
  const range = parseRangeArguments(rest, environment.context);
  if (!range.ok) return fail(`${command}: ${range.message}`);
  const address = range.address ?? environment.registers().esp;
  switch (command) {
    case 'db': return done(formatBytes(environment.memory, address, range.count ?? DB_DEFAULT_LENGTH));
    case 'dd': return done(formatDwords(environment.memory, address, range.count ?? DD_DEFAULT_COUNT));
    default: return done(formatPointersWithSymbols(environment.memory, address, range.count ?? DPS_DEFAULT_COUNT, environment.symbolize));
  }
}

function rdmsrCommand(rest: string, environment: ReplEnvironment): ReplAnswer {
  if (rest.length === 0) return fail('rdmsr needs an MSR number, e.g. rdmsr 176');
  const index = evaluate(rest, environment);
  if (typeof index === 'string') return fail(`rdmsr: bad MSR number '${rest}': ${index}`);
  const value = environment.readMsr(index);
  return value === undefined ? done(formatRdmsrFailure(index)) : done(formatRdmsr(index, value));
}

function unassembleCommand(rest: string, environment: ReplEnvironment): ReplAnswer {
  const range = parseRangeArguments(rest, environment.context);
  if (!range.ok) return fail(`u: ${range.message}`);
  const address = range.address ?? environment.registers().eip;
  return done(environment.disassemble(address, Math.min(range.count ?? U_DEFAULT_COUNT, 0x400)).lines.join('\n'));
}

function registersCommand(environment: ReplEnvironment): ReplAnswer {
  const r = environment.registers();
  const dump = {
    eax: r.eax, ebx: r.ebx, ecx: r.ecx, edx: r.edx, esi: r.esi, edi: r.edi, eip: r.eip, esp: r.esp, ebp: r.ebp, eflags: r.eflags,
    cs: r.cs.selector, ss: r.ss.selector, ds: r.ds.selector, es: r.es.selector, fs: r.fs.selector, gs: r.gs.selector,
  };
  const current = environment.disassemble(r.eip, 1).lines;
  return done([formatRegisters(dump), ...current].join('\n'));
}

function dgCommand(rest: string, environment: ReplEnvironment): ReplAnswer {
  const gdt = environment.gdt();
  if (!gdt.ok) return fail(`dg: ${gdt.error}`);
  const parts = rest.split(/\s+/).filter((part) => part.length > 0);
  let first = 0;
  let last = gdt.value.limit;
  if (parts.length > 0) {
    const from = evaluate(parts[0], environment);
    if (typeof from === 'string') return fail(`dg: bad selector '${parts[0]}': ${from}`);
    first = from & 0xFFF8;
    last = first;
    if (parts.length > 1) {
      const to = evaluate(parts[1], environment);
      if (typeof to === 'string') return fail(`dg: bad selector '${parts[1]}': ${to}`);
      last = to & 0xFFF8;
    }
  }
  const entries = gdt.value.entries.filter((entry) => entry.selector >= first && entry.selector <= last);
  if (entries.length === 0) return fail(`dg: no descriptor between 0x${first.toString(16)} and 0x${last.toString(16)} (GDT limit 0x${gdt.value.limit.toString(16)})`);
  return done(formatDg(entries));
}

function evaluateCommand(rest: string, environment: ReplEnvironment): ReplAnswer {
  const value = evaluate(rest, environment);
  if (typeof value === 'string') return fail(value);
  return done(`Evaluate expression: ${value} = ${hex8(value)}`);
}
