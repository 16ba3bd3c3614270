// Which SSDT row a system call is about to dispatch: at KiSystemService / KiFastCallEntry, EAX holds
// the service number (bits 0..11 the index, bits 12..13 the descriptor table, as XP decodes it).
import { functionOfSymbol } from './frame-function';
import { ViewNode } from './view-node';

const SYSTEM_SERVICE_ENTRY_POINTS: ReadonlySet<string> = new Set(['KiSystemService', 'KiFastCallEntry']);
const SERVICE_INDEX_MASK = 0xFFF;
const SERVICE_TABLE_SHIFT = 12;
const SERVICE_TABLE_MASK = 0x3;

/** Whether the machine stopped where EAX still holds the service number about to be dispatched. */
export function isSystemServiceEntry(frameName: string): boolean {
  return SYSTEM_SERVICE_ENTRY_POINTS.has(functionOfSymbol(frameName));
}

/** An evaluate result as a number: `0xB7`, `000000B7` (WinDbg's eight digits), or decimal `183`. */
export function parseEvaluatedNumber(result: string): number | undefined {
  const prefixed = /0x([0-9a-f]{1,8})\b/i.exec(result);
  if (prefixed) return parseInt(prefixed[1]!, 16) >>> 0;
  const trimmed = result.trim();
  if (/^[0-9a-f]{8}$/i.test(trimmed)) return parseInt(trimmed, 16) >>> 0;
  if (/^\d+$/.test(trimmed) && Number(trimmed) <= 0xFFFFFFFF) return Number(trimmed);
  return undefined;
}

/** The SSDT view's row for service number `eax`: table `[n]` by bits 12..13, then the index (not the hooked copy). */
export function serviceRowFor(ssdtRows: readonly ViewNode[], eax: number): ViewNode | undefined {
  const tableNumber = (eax >>> SERVICE_TABLE_SHIFT) & SERVICE_TABLE_MASK;
  const index = eax & SERVICE_INDEX_MASK;
  const table = ssdtRows.find((row) => row.label.endsWith(`[${tableNumber}]`)) ?? (tableNumber === 0 ? ssdtRows[0] : undefined);
  return table?.children.find((row) => row.id.startsWith('ssdt/') && row.id.endsWith(`/${index}`));
}
