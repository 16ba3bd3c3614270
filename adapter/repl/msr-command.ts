// `rdmsr 176`: `msr[176] = 00000000`804de6f0` (the MSR number in hex, the value as two halves).
import { hex64 } from './windbg-numbers';

export function formatRdmsr(msr: number, value: bigint): string {
  return `msr[${(msr >>> 0).toString(16)}] = ${hex64(value)}`;
}

/** An MSR the CPU does not implement: WinDbg's wording when rdmsr faults. */
export function formatRdmsrFailure(msr: number): string {
  return `no data found for msr ${(msr >>> 0).toString(16)}`;
}
