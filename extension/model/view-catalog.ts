// The six NT views: which custom request feeds each, how its answer becomes rows and a summary.
import { buildGdtNodes, gdtSummary } from './gdt-tree';
import { buildIdtNodes, idtSummary } from './idt-tree';
import { buildKernelStackNodes, kernelStackSummary } from './kernel-stack-tree';
import { buildMsrNodes, msrSummary } from './msr-tree';
import type { GdtView, IdtView, KernelStackView, MsrView, SsdtView, TssView } from './request-shapes';
import { buildSsdtNodes, ssdtSummary } from './ssdt-tree';
import { buildTssNodes, tssSummary } from './tss-tree';
import { ViewNode, messageNode } from './view-node';

export interface RenderedView {
  readonly nodes: ViewNode[];
  /** Shown next to the view's title. */
  readonly summary: string;
}

export interface NtViewDefinition {
  /** The id under `contributes.views.debug`. */
  readonly viewId: string;
  readonly title: string;
  /** The custom request (SPEC 6) whose answer the view shows. */
  readonly request: string;
  /** Turns a response body into rows; a body of the wrong shape becomes an error row, never a throw. */
  render(body: unknown): RenderedView;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function hasArray(body: unknown, key: string): boolean {
  return isRecord(body) && Array.isArray(body[key]);
}

function defineView<Response>(viewId: string, title: string, request: string,
  looksRight: (body: unknown) => boolean, build: (response: Response) => ViewNode[], summary: (response: Response) => string): NtViewDefinition {
  return {
    viewId, title, request,
    render(body: unknown): RenderedView {
      if (!looksRight(body)) {
        return { nodes: [messageNode(`${viewId}/bad-response`, `The adapter's ${request} answer has an unexpected shape`, true)], summary: '' };
      }
      const response = body as Response;
      return { nodes: build(response), summary: summary(response) };
    },
  };
}

export const NT_VIEWS: readonly NtViewDefinition[] = [
  defineView<IdtView>('ntsyscall.idt', 'IDT', 'nt.idt', (body) => hasArray(body, 'entries'), buildIdtNodes, idtSummary),
  defineView<SsdtView>('ntsyscall.ssdt', 'SSDT', 'nt.ssdt', (body) => hasArray(body, 'tables'), buildSsdtNodes, ssdtSummary),
  defineView<TssView>('ntsyscall.tss', 'TSS', 'nt.tss', (body) => isRecord(body) && isRecord(body['fields']), buildTssNodes, tssSummary),
  defineView<KernelStackView>('ntsyscall.kernelStack', 'Kernel Stack', 'nt.kernelStack', (body) => hasArray(body, 'entries'), buildKernelStackNodes, kernelStackSummary),
  defineView<GdtView>('ntsyscall.gdt', 'GDT', 'nt.gdt', (body) => hasArray(body, 'entries'), buildGdtNodes, gdtSummary),
  defineView<MsrView>('ntsyscall.msr', 'MSRs', 'nt.msr', (body) => isRecord(body) && typeof body['sysenterEip'] === 'number', buildMsrNodes, msrSummary),
];

/** The row shown when the request itself failed (not stopped, bad state): the adapter's message. */
export function failedView(view: NtViewDefinition, message: string): RenderedView {
  return { nodes: [messageNode(`${view.viewId}/failed`, `${view.request} failed: ${message}`, true)], summary: '' };
}
