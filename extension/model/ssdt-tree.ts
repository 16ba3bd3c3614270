// The SSDT view: each service table with index, name, argument bytes and handler; hooks flagged.
import { hex0x, hex8, hexDigits } from './hex-format';
import type { ServiceEntryView, ServiceTableView, SsdtView } from './request-shapes';
import { ViewNode, groupNode, leafNode, messageNode } from './view-node';

const SERVICE_POINTER_SIZE = 4;

export function serviceIndexText(index: number): string {
  return hexDigits(index, 3);
}

function argumentText(entry: ServiceEntryView): string {
  if (entry.argumentBytes === null) return 'arguments unknown';
  const count = entry.argumentBytes / 4;
  return `${count} arg${count === 1 ? '' : 's'} (${hex0x(entry.argumentBytes, 2)} bytes)`;
}

function entryTooltip(table: ServiceTableView, entry: ServiceEntryView, slotAddress: number): string {
  const lines = [
    `${table.name}: service ${hex0x(entry.index, 3)} (table slot at ${hex0x(slotAddress)})`,
    `Handler:   ${entry.symbol ?? '(no symbol)'} at ${hex0x(entry.address)}`,
    entry.argumentBytes === null
      ? 'Arguments: the argument table is unreadable'
      : `Arguments: ${entry.argumentBytes / 4} — KiSystemService copies ${entry.argumentBytes} bytes from the caller's stack (rep movsd)`,
  ];
  if (entry.hooked) {
    lines.push('HOOKED: the handler lies outside the module that owns this table —',
      'something patched the SSDT, as rootkits did.');
  }
  return lines.join('\n');
}

export function buildServiceEntryNode(table: ServiceTableView, entry: ServiceEntryView, idPrefix: string): ViewNode {
  const slotAddress = (table.base + entry.index * SERVICE_POINTER_SIZE) >>> 0;
  const name = entry.symbol ?? hex0x(entry.address);
  const parts = [argumentText(entry), hex8(entry.address)];
  if (entry.hooked) parts.unshift('⚠ HOOKED');
  return leafNode({
    id: `${idPrefix}/${table.name}/${entry.index}`,
    label: `${serviceIndexText(entry.index)}  ${name}`,
    description: parts.join(' · '),
    tooltip: entryTooltip(table, entry, slotAddress),
    value: [entry.address, entry.symbol ?? '', entry.argumentBytes ?? '', entry.hooked].join('|'),
    contextWords: ['service', 'handler'],
    marks: entry.hooked ? ['hooked'] : [],
    address: slotAddress,
    target: { address: entry.address, symbol: entry.symbol },
    copyText: `${serviceIndexText(entry.index)} ${name} ${hex8(entry.address)}`,
    action: { kind: 'revealSource', address: entry.address, symbol: entry.symbol },
  });
}

function tableTooltip(table: ServiceTableView): string {
  return [
    `${table.name} (KSERVICE_TABLE_DESCRIPTOR)`,
    `Base:   ${hex0x(table.base)} — the handler addresses`,
    `Count:  ${hex0x(table.counterTable)} — per-service call counters (checked builds)`,
    `Limit:  ${table.count} services`,
    `Number: ${hex0x(table.argumentTable)} — argument bytes per service`,
  ].join('\n');
}

export function buildServiceTableNode(table: ServiceTableView, expanded: boolean): ViewNode {
  const children: ViewNode[] = [];
  const hooked = table.entries.filter((entry) => entry.hooked);
  if (hooked.length > 0) {
    children.push(groupNode(`ssdt-hooked/${table.name}`, `⚠ Hooked entries (${hooked.length})`, '',
      'Services whose handler lies outside the module that owns the table.',
      hooked.map((entry) => buildServiceEntryNode(table, entry, 'ssdt-hooked')), true));
  }
  if (table.error !== null) children.push(messageNode(`ssdt-error/${table.name}`, `⚠ ${table.error}`, true));
  for (const entry of table.entries) children.push(buildServiceEntryNode(table, entry, 'ssdt'));
  const parts = [`${table.count} services`, `base ${hex8(table.base)}`];
  if (hooked.length > 0) parts.push(`⚠ ${hooked.length} hooked`);
  return groupNode(`ssdt-table/${table.name}`, table.name, parts.join(' · '), tableTooltip(table), children, expanded);
}

/** One group per descriptor table; the first (ntoskrnl's) starts expanded. */
export function buildSsdtNodes(ssdt: SsdtView): ViewNode[] {
  if (ssdt.tables.length === 0) return [messageNode('ssdt-empty', 'No service descriptor table found', false)];
  return ssdt.tables.map((table, position) => buildServiceTableNode(table, position === 0));
}

export function ssdtSummary(ssdt: SsdtView): string {
  const hooked = ssdt.tables.reduce((sum, table) => sum + table.entries.filter((entry) => entry.hooked).length, 0);
  const services = ssdt.tables.reduce((sum, table) => sum + table.count, 0);
  return `${ssdt.tables.length} table${ssdt.tables.length === 1 ? '' : 's'} · ${services} services${hooked > 0 ? ` · ⚠ ${hooked} hooked` : ''}`;
}
