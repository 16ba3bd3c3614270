// The custom requests' views (SPEC 6: nt.idt, nt.gdt, nt.tss, nt.ssdt, nt.kernelStack, nt.msr,
// nt.translate), each decoded from guest memory at the time of the request by the core decoders.
import type { Machine } from '../../core/machine/machine';
import { decodeGdt } from '../../core/nt/decoders/gdt';
import { decodeIdt } from '../../core/nt/decoders/idt';
import { decodeKernelStack } from '../../core/nt/decoders/kernel-stack';
import { decodeTss } from '../../core/nt/decoders/ktss';
import { translateLinear } from '../../core/nt/decoders/page-walk';
import { decodeServiceTables, descriptorTableRequests, type ModuleRange } from '../../core/nt/decoders/service-table';
import type { GdtView, IdtView, KernelStackView, MsrView, SsdtView, TranslationView, TssView } from '../../core/nt/decoders/shapes';
import { physicalMemoryFromBytes, type DecodeResult } from '../../core/nt/guest-memory';
import { KPCR_CURRENT_THREAD, KTHREAD_INITIAL_STACK, KTHREAD_TRAP_FRAME, KTRAP_FRAME_LENGTH } from '../../core/nt/ks386';
import { KERNEL_INITIAL_STACK, KIP0PCRADDRESS } from '../../core/nt/memory-map';
import { guestMemoryOf, readLinearDword, readTimeStampCounter } from './machine-access';
import type { SymbolIndex } from './symbol-index';

const CR0_PG = 0x80000000;
const CR4_PSE = 0x10;
const ESP0_TO_TRAP_FRAME = 0x7C;

export class SystemViews {
  constructor(private readonly machine: Machine, private readonly symbols: SymbolIndex) {}

  private readonly symbolize = (address: number): string | undefined => this.symbols.symbolize(address);

  idt(): DecodeResult<IdtView> {
    const registers = this.machine.registers();
    return decodeIdt(guestMemoryOf(this.machine), registers.idtr.base, registers.idtr.limit, this.symbolize);
  }

  gdt(): DecodeResult<GdtView> {
    const registers = this.machine.registers();
    return decodeGdt(guestMemoryOf(this.machine), registers.gdtr.base, registers.gdtr.limit);
  }

  tss(): DecodeResult<TssView> {
    const { tr } = this.machine.registers();
    if (tr.selector === 0) return { ok: false, error: 'TR is not loaded yet (the kernel has not run ltr)' };
    return decodeTss(guestMemoryOf(this.machine), tr.selector, tr.base, tr.limit);
  }

  ssdt(): DecodeResult<SsdtView> {
    const descriptor = this.symbols.findSymbol('nt!KeServiceDescriptorTable');
    if (descriptor === undefined) return { ok: false, error: 'ntoskrnl has no symbol KeServiceDescriptorTable' };
    const kernel = this.symbols.modules.find((module) => module.name === 'nt');
    const owner: ModuleRange | undefined = kernel === undefined ? undefined : { start: kernel.base, end: Math.max(kernel.end, kernel.base + kernel.image.length) };
    return decodeServiceTables(guestMemoryOf(this.machine), descriptorTableRequests('KeServiceDescriptorTable', descriptor.address, [owner]), this.symbolize);
  }

  /** The current thread's kernel stack from ESP (in ring 0) or from where the next trap frame goes (in ring 3). */
  kernelStack(): KernelStackView {
    const registers = this.machine.registers();
    const memory = guestMemoryOf(this.machine);
    const thread = readLinearDword(this.machine, KIP0PCRADDRESS + KPCR_CURRENT_THREAD);
    const initialStack = thread === undefined || thread === 0 ? undefined : readLinearDword(this.machine, thread + KTHREAD_INITIAL_STACK);
    const top = initialStack !== undefined && initialStack !== 0 ? initialStack : KERNEL_INITIAL_STACK;
    const esp0 = registers.tr.selector === 0 ? undefined : readLinearDword(this.machine, registers.tr.base + 4);
    const trapFrames: number[] = [];
    const threadTrapFrame = thread === undefined || thread === 0 ? undefined : readLinearDword(this.machine, thread + KTHREAD_TRAP_FRAME);
    if (threadTrapFrame !== undefined && threadTrapFrame !== 0) trapFrames.push(threadTrapFrame);
    if (esp0 !== undefined && !trapFrames.includes(esp0 - ESP0_TO_TRAP_FRAME)) trapFrames.push(esp0 - ESP0_TO_TRAP_FRAME);
    const inKernel = registers.cpl === 0 && registers.esp <= top && registers.esp >= top - 0x3000;
    const esp = inKernel ? registers.esp : (esp0 !== undefined ? esp0 - ESP0_TO_TRAP_FRAME : top - KTRAP_FRAME_LENGTH);
    const ebp = inKernel ? registers.ebp : esp;
    return decodeKernelStack(memory, { esp, ebp, top, trapFrames }, this.symbolize);
  }

  msr(): MsrView {
    const { msr } = this.machine.registers();
    const tsc = readTimeStampCounter(this.machine);
    return { sysenterCs: msr.sysenterCs, sysenterEsp: msr.sysenterEsp, sysenterEip: msr.sysenterEip, tsc: `0x${tsc.toString(16).padStart(16, '0')}` };
  }

  translate(linear: number): TranslationView {
    const registers = this.machine.registers();
    return translateLinear(physicalMemoryFromBytes(this.machine.memory.bytes), {
      pagingEnabled: (registers.cr0 & CR0_PG) !== 0, cr3: registers.cr3, pageSizeExtensions: (registers.cr4 & CR4_PSE) !== 0,
    }, linear);
  }
}
