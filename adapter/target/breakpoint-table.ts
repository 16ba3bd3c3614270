// The user's breakpoints (source lines, functions, instructions, data) with their conditions, hit
// counts and log messages, and the reference-counted linear-address breakpoints they arm on the machine.
import type { Machine, WatchAccess } from '../../core/machine/machine';
import type { EvaluationContext } from '../expression/evaluation-context';
import { evaluateExpression } from '../expression/expression-evaluator';

export type BreakpointKind = 'source' | 'function' | 'instruction' | 'data';

export interface BreakpointOptions {
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface BreakpointRecord extends BreakpointOptions {
  id: number;
  kind: BreakpointKind;
  /** Which file (source), name (function) or address text (instruction/data) set it. */
  owner: string;
  addresses: number[];
  hits: number;
  verified: boolean;
  message?: string;
  /** Data breakpoints: the watched range and the machine's watchpoint id. */
  watch?: { start: number; length: number; access: WatchAccess; watchpointId: number };
}

/** What a breakpoint decided at a hit. */
export type BreakpointVerdict = { action: 'stop' } | { action: 'log'; text: string } | { action: 'ignore' } | { action: 'stop-with-error'; text: string };

type HitTest = (hits: number) => boolean;

/** `5`, `==5`, `>5`, `>=5`, `<5`, `<=5`, `%5` (every 5th) -> a test of the hit count, or an error message. */
export function parseHitCondition(text: string): HitTest | string {
  const match = /^\s*(==|>=|<=|>|<|%|=)?\s*(0x[0-9a-f]+|[0-9]+)\s*$/i.exec(text);
  if (!match) return `hit count '${text}' is not understood: write a number (5), or >5, >=5, ==5, %5`;
  const value = Number(match[2]);
  switch (match[1]) {
    case '>': return (hits) => hits > value;
    case '>=': return (hits) => hits >= value;
    case '<': return (hits) => hits < value;
    case '<=': return (hits) => hits <= value;
    case '%': return value === 0 ? 'a hit count of %0 would never stop' : (hits) => hits % value === 0;
    default: return (hits) => hits === value;
  }
}

/** Log points: `{expression}` parts replaced by their values (hex), `{{` and `}}` as braces. */
export function interpolateLogMessage(message: string, context: EvaluationContext): string {
  return message.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, expression: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const result = evaluateExpression(expression ?? '', context);
    return result.ok ? `0x${result.value.toString(16)}` : `<${result.message}>`;
  });
}

export class BreakpointTable {
  private nextId = 1;
  private readonly records = new Map<number, BreakpointRecord>();
  private readonly addressUsers = new Map<number, number>();

  constructor(private readonly machine: Machine) {}

  /** Arms a linear-address breakpoint on the machine for one more user (internal stops share it). */
  armAddress(address: number): void {
    const linear = address >>> 0;
    const users = this.addressUsers.get(linear) ?? 0;
    this.addressUsers.set(linear, users + 1);
    if (users === 0) this.machine.addBreakpoint(linear);
  }

  disarmAddress(address: number): void {
    const linear = address >>> 0;
    const users = this.addressUsers.get(linear) ?? 0;
    if (users <= 1) {
      this.addressUsers.delete(linear);
      if (users === 1) this.machine.removeBreakpoint(linear);
    } else this.addressUsers.set(linear, users - 1);
  }

  /** Replaces every breakpoint of `kind` set by `owner` (all of that kind when owner is undefined). */
  clear(kind: BreakpointKind, owner?: string): void {
    for (const record of [...this.records.values()]) {
      if (record.kind !== kind || (owner !== undefined && record.owner !== owner)) continue;
      if (record.watch) this.machine.removeWatchpoint(record.watch.watchpointId);
      else for (const address of record.addresses) this.disarmAddress(address);
      this.records.delete(record.id);
    }
  }

  add(kind: BreakpointKind, owner: string, addresses: number[], options: BreakpointOptions, message?: string): BreakpointRecord {
    const record: BreakpointRecord = { id: this.nextId++, kind, owner, addresses, hits: 0, verified: addresses.length > 0, message, ...options };
    if (options.hitCondition !== undefined && options.hitCondition.trim() !== '') {
      const parsed = parseHitCondition(options.hitCondition);
      if (typeof parsed === 'string') { record.verified = false; record.message = parsed; record.addresses = []; }
    }
    if (record.verified) for (const address of record.addresses) this.armAddress(address);
    this.records.set(record.id, record);
    return record;
  }

  addWatch(owner: string, start: number, length: number, access: WatchAccess, options: BreakpointOptions): BreakpointRecord {
    const id = this.machine.addWatchpoint(start, length, access);
    if (typeof id === 'string') {
      const failed: BreakpointRecord = { id: this.nextId++, kind: 'data', owner, addresses: [], hits: 0, verified: false, message: id, ...options };
      return failed;
    }
    const record: BreakpointRecord = {
      id: this.nextId++, kind: 'data', owner, addresses: [start >>> 0], hits: 0, verified: true, ...options,
      watch: { start: start >>> 0, length, access, watchpointId: id },
    };
    this.records.set(record.id, record);
    return record;
  }

  at(address: number): BreakpointRecord[] {
    const linear = address >>> 0;
    return [...this.records.values()].filter((record) => record.verified && !record.watch && record.addresses.includes(linear));
  }

  watchesCovering(address: number | undefined): BreakpointRecord[] {
    return [...this.records.values()].filter((record) => record.watch !== undefined
      && (address === undefined || ((address >>> 0) >= record.watch.start && (address >>> 0) < record.watch.start + record.watch.length)));
  }

  all(): BreakpointRecord[] {
    return [...this.records.values()];
  }

  /** Counts the hit and decides: conditions first (a false one does not count), then the hit count, then log points. */
  judge(record: BreakpointRecord, context: EvaluationContext): BreakpointVerdict {
    if (record.condition !== undefined && record.condition.trim() !== '') {
      const result = evaluateExpression(record.condition, context);
      if (!result.ok) return { action: 'stop-with-error', text: `breakpoint condition '${record.condition}': ${result.message}` };
      if (result.value === 0) return { action: 'ignore' };
    }
    record.hits++;
    if (record.hitCondition !== undefined && record.hitCondition.trim() !== '') {
      const test = parseHitCondition(record.hitCondition);
      if (typeof test === 'string' || !test(record.hits)) return { action: 'ignore' };
    }
    if (record.logMessage !== undefined && record.logMessage.length > 0) return { action: 'log', text: interpolateLogMessage(record.logMessage, context) };
    return { action: 'stop' };
  }
}
