// KSERVICE_TABLE_DESCRIPTOR (16 bytes: Base, Count, Limit, Number) and the service tables it points to.
import type { Symbolizer } from '../../isa/syntax-common';
import { DecodeResult, GuestMemoryReader, decodeFailure, decoded, dwordAt, hex32, readGuestByte, readGuestDword } from '../guest-memory';
import type { ServiceEntryView, ServiceTableView, SsdtView } from './shapes';
import {
  SERVICE_DESCRIPTOR_BASE, SERVICE_DESCRIPTOR_COUNT, SERVICE_DESCRIPTOR_LENGTH, SERVICE_DESCRIPTOR_LIMIT,
  SERVICE_DESCRIPTOR_NUMBER
} from '../ks386';

/** EAX bits 0..11 index a table, so no table can usefully hold more. */
export const SERVICE_INDEX_LIMIT = 0x1000;

export interface ServiceTableDescriptor {
  base: number;
  counterTable: number;
  limit: number;
  argumentTable: number;
}

/** Linear address range [start, end) of the module that owns a table's services. */
export interface ModuleRange {
  start: number;
  end: number;
}

export interface ServiceTableRequest {
  /** As shown: "KeServiceDescriptorTable[0]", "KeServiceDescriptorTableShadow[1]". */
  name: string;
  descriptorAddress: number;
  /** Handlers outside it are flagged `hooked`; without it nothing is. */
  owner?: ModuleRange;
}

export function decodeServiceTableDescriptor(memory: GuestMemoryReader, address: number): DecodeResult<ServiceTableDescriptor> {
  const bytes = memory.readLinear(address >>> 0, SERVICE_DESCRIPTOR_LENGTH);
  if (bytes === undefined) return decodeFailure(`the KSERVICE_TABLE_DESCRIPTOR at ${hex32(address)} is not mapped`);
  return decoded({
    base: dwordAt(bytes, SERVICE_DESCRIPTOR_BASE),
    counterTable: dwordAt(bytes, SERVICE_DESCRIPTOR_COUNT),
    limit: dwordAt(bytes, SERVICE_DESCRIPTOR_LIMIT),
    argumentTable: dwordAt(bytes, SERVICE_DESCRIPTOR_NUMBER),
  });
}

function isInside(address: number, range: ModuleRange): boolean {
  return address >= (range.start >>> 0) && address < (range.end >>> 0);
}

/** Reads one table's handlers and argument sizes; stops with an `error` at the first unmapped slot. */
export function decodeServiceTable(memory: GuestMemoryReader, request: ServiceTableRequest, symbolize?: Symbolizer): DecodeResult<ServiceTableView> {
  const descriptor = decodeServiceTableDescriptor(memory, request.descriptorAddress);
  if (!descriptor.ok) return descriptor;
  const { base, counterTable, limit, argumentTable } = descriptor.value;
  const entries: ServiceEntryView[] = [];
  let error: string | null = null;
  const readable = Math.min(limit, SERVICE_INDEX_LIMIT);
  if (limit > SERVICE_INDEX_LIMIT) error = `Limit 0x${limit.toString(16)} exceeds the 0x${SERVICE_INDEX_LIMIT.toString(16)} services EAX can index; showing the first 0x${SERVICE_INDEX_LIMIT.toString(16)}`;
  for (let index = 0; index < readable; index++) {
    const address = readGuestDword(memory, base + index * 4);
    if (address === undefined) {
      const unmapped = `service ${index} of ${request.name}: the table slot at ${hex32(base + index * 4)} is not mapped`;
      error = error === null ? unmapped : `${error}; ${unmapped}`;
      break;
    }
    const argumentBytes = argumentTable === 0 ? null : readGuestByte(memory, argumentTable + index) ?? null;
    entries.push({
      index,
      address,
      symbol: symbolize?.(address) ?? null,
      argumentBytes,
      hooked: request.owner !== undefined && !isInside(address, request.owner),
    });
  }
  return decoded({ name: request.name, base, count: limit, argumentTable, counterTable, entries, error });
}

/** The `nt.ssdt` view: every requested table, in order. */
export function decodeServiceTables(memory: GuestMemoryReader, requests: readonly ServiceTableRequest[], symbolize?: Symbolizer): DecodeResult<SsdtView> {
  const tables: ServiceTableView[] = [];
  for (const request of requests) {
    const table = decodeServiceTable(memory, request, symbolize);
    if (!table.ok) return decodeFailure(`${request.name}: ${table.error}`);
    tables.push(table.value);
  }
  return decoded({ tables });
}

/** The descriptor requests of KeServiceDescriptorTable (one table) or its shadow (ntoskrnl + win32k). */
export function descriptorTableRequests(tableName: string, address: number, owners: readonly (ModuleRange | undefined)[]): ServiceTableRequest[] {
  return owners.map((owner, slot) => ({
    name: `${tableName}[${slot}]`,
    descriptorAddress: (address + slot * SERVICE_DESCRIPTOR_LENGTH) >>> 0,
    owner,
  }));
}
