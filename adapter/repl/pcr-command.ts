// `!pcr`: the processor control region as WinDbg's kdexts prints it for an x86 target.
import { fieldValue, DecodedStructure } from '../../core/nt/decoders/structure-layout';
import { hex8 } from './windbg-numbers';

const NT_TIB_ROWS: readonly [string, string][] = [
  ['NtTib.ExceptionList', 'NtTib.ExceptionList'], ['NtTib.StackBase', 'NtTib.StackBase'], ['NtTib.StackLimit', 'NtTib.StackLimit'],
  ['NtTib.SubSystemTib', 'NtTib.SubSystemTib'], ['NtTib.Version', 'NtTib.Version'], ['NtTib.UserPointer', 'NtTib.ArbitraryUserPointer'],
  ['NtTib.SelfTib', 'NtTib.Self'],
];
const PCR_ROWS: readonly [string, string][] = [
  ['SelfPcr', 'SelfPcr'], ['Prcb', 'Prcb'], ['Irql', 'Irql'], ['IRR', 'IRR'], ['IDR', 'IDR'], ['InterruptMode', 'InterruptMode'],
  ['IDT', 'IDT'], ['GDT', 'GDT'], ['TSS', 'TSS'],
];
const THREAD_ROWS: readonly [string, string][] = [
  ['CurrentThread', 'PrcbData.CurrentThread'], ['NextThread', 'PrcbData.NextThread'], ['IdleThread', 'PrcbData.IdleThread'],
];
/** kdexts right-aligns the labels on a column ending here. */
const LABEL_WIDTH = 20;

function rows(pcr: DecodedStructure, table: readonly [string, string][]): string[] {
  return table.map(([label, field]) => `\t${label.padStart(LABEL_WIDTH)}: ${hex8(fieldValue(pcr, field) ?? 0)}`);
}

export function formatPcr(pcr: DecodedStructure): string {
  const number = fieldValue(pcr, 'Number') ?? 0;
  return [
    `KPCR for Processor ${number} at ${hex8(pcr.address)}:`,
    `    Major ${fieldValue(pcr, 'MajorVersion') ?? 0} Minor ${fieldValue(pcr, 'MinorVersion') ?? 0}`,
    ...rows(pcr, NT_TIB_ROWS),
    '',
    ...rows(pcr, PCR_ROWS),
    '',
    ...rows(pcr, THREAD_ROWS),
  ].join('\n');
}
