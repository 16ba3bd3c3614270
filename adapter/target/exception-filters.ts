// The exception filters of SPEC 6 and the sentences a filter stop shows:
// `int 0x2e from ring 3: IDT[0x2E] -> nt!KiSystemService (interrupt gate, DPL 3)`.
import type { InterruptEvent } from '../../core/cpu/interrupts';
import { exceptionMnemonic, exceptionName } from '../../core/cpu/constants';
import type { IdtEntryView } from '../../core/nt/decoders/shapes';

export type ExceptionFilterId = 'int2e' | 'sysenter' | 'interrupt' | 'exception' | 'hardware' | 'ring';

export interface ExceptionFilterDefinition {
  filter: ExceptionFilterId;
  label: string;
  description: string;
  supportsCondition: boolean;
  conditionDescription?: string;
}

export const EXCEPTION_FILTERS: readonly ExceptionFilterDefinition[] = [
  { filter: 'int2e', label: 'int 0x2e (KiSystemService)', description: 'Stop on the first instruction of the handler of IDT[0x2E], after the CPU switched stacks and pushed the frame.', supportsCondition: false },
  { filter: 'sysenter', label: 'sysenter (KiFastCallEntry)', description: 'Stop on the first instruction at IA32_SYSENTER_EIP after a sysenter.', supportsCondition: false },
  { filter: 'interrupt', label: 'Interrupt vectors', description: 'Stop when an interrupt is delivered; the condition lists the vectors (e.g. 0x2a, 0x2e). Without one: every non-exception vector.', supportsCondition: true, conditionDescription: 'vectors, e.g. 0x2a, 0x2e' },
  { filter: 'exception', label: 'CPU exceptions', description: 'Stop on the handler of a CPU fault or trap (#DE, #BP, #GP, #PF...).', supportsCondition: false },
  { filter: 'hardware', label: 'Hardware interrupts', description: 'Stop on the handler of a device interrupt (the clock at 0x30).', supportsCondition: false },
  { filter: 'ring', label: 'Privilege changes', description: 'Stop on the first instruction after any change of CPL (ring 3 <-> ring 0).', supportsCondition: false },
];

export function isExceptionFilterId(text: string): text is ExceptionFilterId {
  return EXCEPTION_FILTERS.some((definition) => definition.filter === text);
}

/** `0x2a, 0x2e` / `2e 30` / `42` (hex unless 0n) -> vectors; a message on anything else. */
export function parseVectorList(text: string): number[] | string {
  const parts = text.split(/[\s,;]+/).filter((part) => part.length > 0);
  if (parts.length === 0) return 'the interrupt filter condition lists vectors, e.g. 0x2a, 0x2e';
  const vectors: number[] = [];
  for (const part of parts) {
    const match = /^(?:0x)?([0-9a-f]+)h?$/i.exec(part);
    const decimal = /^0n([0-9]+)$/i.exec(part);
    const value = decimal ? Number(decimal[1]) : match ? parseInt(match[1], 16) : NaN;
    if (!Number.isInteger(value) || value < 0 || value > 0xFF) return `'${part}' is not an interrupt vector (0x00..0xFF)`;
    vectors.push(value);
  }
  return vectors;
}

const hex2 = (value: number): string => value.toString(16).toUpperCase().padStart(2, '0');

export function gateWords(gate: IdtEntryView | undefined): string {
  if (gate === undefined) return 'no gate';
  return `${gate.type === 'none' ? 'no' : gate.type} gate, DPL ${gate.dpl}`;
}

/** What a delivered interrupt was, in the words of the seeds: `int 0x2e`, `#PF page fault`, `hardware interrupt 0x30`. */
export function interruptCause(event: InterruptEvent): string {
  if (event.kind === 'software') return `int 0x${event.vector.toString(16)}`;
  if (event.kind === 'hardware') return `hardware interrupt 0x${event.vector.toString(16)}`;
  return `${exceptionMnemonic(event.vector)} ${exceptionName(event.vector)}`;
}

export function describeInterrupt(event: InterruptEvent, gate: IdtEntryView | undefined, handlerName: string): string {
  const error = event.errorCode === undefined ? '' : ` (error code 0x${event.errorCode.toString(16)})`;
  return `${interruptCause(event)}${error} from ring ${event.fromCpl}: IDT[0x${hex2(event.vector)}] -> ${handlerName} (${gateWords(gate)})`;
}

/** Which filter a delivered interrupt belongs to, most specific first. */
export function filtersMatching(event: InterruptEvent, enabled: ReadonlySet<ExceptionFilterId>, interruptVectors: readonly number[] | undefined): ExceptionFilterId | undefined {
  if (enabled.has('int2e') && event.vector === 0x2E && event.kind === 'software') return 'int2e';
  if (enabled.has('exception') && event.kind === 'exception') return 'exception';
  if (enabled.has('hardware') && event.kind === 'hardware') return 'hardware';
  if (enabled.has('interrupt')) {
    if (interruptVectors === undefined ? event.kind !== 'exception' : interruptVectors.includes(event.vector)) return 'interrupt';
  }
  return undefined;
}
