// The MSRs view: the three SYSENTER MSRs sysenter reads, and the time-stamp counter.
import { hex0x } from './hex-format';
import type { MsrView } from './request-shapes';
import { ViewNode, leafNode } from './view-node';

export const IA32_SYSENTER_CS = 0x174;
export const IA32_SYSENTER_ESP = 0x175;
export const IA32_SYSENTER_EIP = 0x176;
export const IA32_TIME_STAMP_COUNTER = 0x10;

function msrLabel(name: string, index: number): string {
  return `${name} (${index.toString(16).toUpperCase()})`;
}

export function buildMsrNodes(msr: MsrView): ViewNode[] {
  return [
    leafNode({
      id: 'msr/sysenterCs', label: msrLabel('IA32_SYSENTER_CS', IA32_SYSENTER_CS), description: hex0x(msr.sysenterCs, 4),
      tooltip: `rdmsr 174 = ${hex0x(msr.sysenterCs, 4)}\nsysenter loads CS = this, SS = this + 8;\nsysexit loads CS = this + 16 | 3, SS = this + 24 | 3.`,
      value: String(msr.sysenterCs), contextWords: ['msr'], copyText: hex0x(msr.sysenterCs, 4),
    }),
    leafNode({
      id: 'msr/sysenterEsp', label: msrLabel('IA32_SYSENTER_ESP', IA32_SYSENTER_ESP), description: hex0x(msr.sysenterEsp),
      tooltip: `rdmsr 175 = ${hex0x(msr.sysenterEsp)}\nThe stack sysenter switches to; KiFastCallEntry moves to TSS.Esp0 at once.`,
      value: String(msr.sysenterEsp), contextWords: ['msr'], copyText: hex0x(msr.sysenterEsp),
      action: { kind: 'openMemory', address: msr.sysenterEsp },
    }),
    leafNode({
      id: 'msr/sysenterEip', label: msrLabel('IA32_SYSENTER_EIP', IA32_SYSENTER_EIP), description: hex0x(msr.sysenterEip),
      tooltip: `rdmsr 176 = ${hex0x(msr.sysenterEip)}\nWhere sysenter jumps: nt!KiFastCallEntry.`,
      value: String(msr.sysenterEip), contextWords: ['msr', 'handler'], copyText: hex0x(msr.sysenterEip),
      target: { address: msr.sysenterEip, symbol: null },
      action: { kind: 'revealSource', address: msr.sysenterEip, symbol: null },
    }),
    leafNode({
      id: 'msr/tsc', label: msrLabel('IA32_TIME_STAMP_COUNTER', IA32_TIME_STAMP_COUNTER), description: msr.tsc,
      tooltip: `rdtsc = ${msr.tsc}\nThe time-stamp counter rdtsc reads (64 bits, so a string).`,
      value: msr.tsc, contextWords: ['msr'], copyText: msr.tsc,
    }),
  ];
}

export function msrSummary(msr: MsrView): string {
  return `sysenter -> ${hex0x(msr.sysenterCs, 4)}:${hex0x(msr.sysenterEip)}`;
}
