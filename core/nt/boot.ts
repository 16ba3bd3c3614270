// The model's loader: what ntldr does before the kernel runs. It builds physical memory for a machine
// - a page directory at XP's System DirBase with the NT memory map (user/supervisor and read-only bits
// real, KUSER_SHARED_DATA one physical page seen at two addresses, the page-table self-map) - loads
// the linked modules at their bases, writes the NT_BOOT_BLOCK, and starts the CPU in ring 0 with
// paging on at nt!KiSystemStartup. Everything after that (GDT, IDT, TSS, MSRs, ring 3) is the
// kernel's own assembly.
import * as path from 'path';
import type { LinkedModule } from '../asm/linker';
import type { ModuleSpec } from '../asm/module';
import { CR0_PE, CR0_PG, CR0_WP, FLAG_RESERVED_1 } from '../cpu/constants';
import type { PortBus } from '../cpu/cpu';
import { Machine, type MachineOptions } from '../machine/machine';
import { PAGE_SIZE } from '../memory/physical-memory';
import { PTE_PRESENT, PTE_USER, PTE_WRITABLE } from '../memory/paging';
import { KTRAP_FRAME_LENGTH, KTSS_LENGTH } from './ks386';
import {
  KERNEL_DIRECT_MAP_SIZE, KERNEL_INITIAL_STACK, KERNEL_STACK_SIZE, KIP0PCRADDRESS, KI_GDT_ADDRESS, KI_TSS_ADDRESS, KI_USER_SHARED_DATA,
  MACHINE_BUGCHECK_PORT, MACHINE_EXIT_STATUS_PORT, MM_SHARED_USER_DATA_VA, MM_SYSTEM_RANGE_START,
  NT_BOOT_BLOCK_ADDRESS, NT_BOOT_BLOCK_DRIVER_ENTRY, NT_BOOT_BLOCK_IMAGE_BASE, NT_BOOT_BLOCK_KERNEL_STACK,
  NT_BOOT_BLOCK_KI_FAST_SYSTEM_CALL, NT_BOOT_BLOCK_KI_FAST_SYSTEM_CALL_RET, NT_BOOT_BLOCK_KI_INT_SYSTEM_CALL,
  NT_BOOT_BLOCK_KI_USER_CALLBACK_DISPATCHER, NT_BOOT_BLOCK_KI_USER_EXCEPTION_DISPATCHER, NT_BOOT_BLOCK_LENGTH,
  NT_BOOT_BLOCK_NUMBER_OF_PHYSICAL_PAGES, NT_BOOT_BLOCK_PEB, NT_BOOT_BLOCK_PROCESS_START_ADDRESS, NT_BOOT_BLOCK_PROGRAM_ENTRY, NT_BOOT_BLOCK_TEB,
  NT_BOOT_BLOCK_USER_STACK_BASE, NT_BOOT_BLOCK_USER_STACK_LIMIT, NPX_FRAME_LENGTH, NTDLL_BASE, NTOSKRNL_BASE,
  PAGE_DIRECTORY_PHYSICAL, PDE_BASE, PEB_ADDRESS, PHYSICAL_POOL_START, TEB_ADDRESS, USER_STACK_SIZE, USER_STACK_TOP,
} from './memory-map';
import { DEFAULT_WINDOWS_VERSION, type WindowsVersion } from './syscall-list';

export interface NtBootOptions {
  /**
   * The linked modules (from one or several linkModules calls: kernel-mode modules never import
   * user-mode names): 'nt' and 'ntdll' are required; the program and drivers are loaded too.
   */
  modules: readonly LinkedModule[];
  /** Where ring 3 starts: the program's entry, or a start thunk (ntdll!BaseProcessStartThunk) that calls it. */
  userEntry: number;
  /** The program's entry, handed to a start thunk in EAX (XP's convention); default: userEntry. */
  processStartAddress?: number;
  /** A driver's DriverEntry, called in ring 0 before ring 3 starts. */
  driverEntry?: number;
  machine?: MachineOptions;
}

/** What the guest told the host through the machine-control ports. */
export interface MachineControlState {
  /** NtTerminateProcess's ExitStatus (or the code of an exception no handler took). */
  exitStatus: number | undefined;
  /** KeBugCheckEx's code and four parameters, once all five arrived. */
  bugCheck: number[] | undefined;
}

export interface NtBootedMachine {
  machine: Machine;
  control: MachineControlState;
  /** Physical address of the page directory (CR3). */
  pageDirectory: number;
  /** ESP at KiSystemStartup's first instruction: [esp+4] is the boot block's address. */
  bootStack: number;
}

/** Thrown for a loader problem a person must fix (a missing module or symbol, an image that does not fit). */
export class NtBootError extends Error {}

const KERNEL_PAGE = PTE_PRESENT | PTE_WRITABLE;
const USER_PAGE = PTE_PRESENT | PTE_WRITABLE | PTE_USER;
const USER_READ_ONLY_PAGE = PTE_PRESENT | PTE_USER;

/** The %define that makes ntoskrnl.asm include another version's generated tables (none: XP SP3). */
const VERSION_DEFINES: Record<WindowsVersion, string | undefined> = {
  'nt4-sp6': 'WINDOWS_NT4_SP6', 'win2k-sp4': 'WINDOWS_WIN2K_SP4', 'xp-sp3': undefined,
  '2003-sp2': 'WINDOWS_2003_SP2', 'vista-sp2': 'WINDOWS_VISTA_SP2', '7-sp1': 'WINDOWS_7_SP1',
};

/**
 * The module spec of ntoskrnl (`nt`) with a version's service numbering. For a version other than
 * XP SP3 the entry is a two-line source beside ntoskrnl.asm (`%define WINDOWS_...` then
 * `%include "ntoskrnl.asm"`), so every line of code still maps to the real files.
 */
export function ntoskrnlModuleSpec(kernelDirectory: string, version: WindowsVersion = DEFAULT_WINDOWS_VERSION): ModuleSpec {
  const define = VERSION_DEFINES[version];
  const spec: ModuleSpec = { name: 'nt', entryFile: path.join(kernelDirectory, 'ntoskrnl.asm'), mode: 'kernel', base: NTOSKRNL_BASE };
  if (define === undefined) return spec;
  return { ...spec, entryFile: path.join(kernelDirectory, `ntoskrnl-${version}.asm`), source: `%define ${define}\n%include "ntoskrnl.asm"\n` };
}

/** The module spec of ntdll with a version's stubs, selected with the same define as the kernel's. */
export function ntdllModuleSpec(ntdllDirectory: string, version: WindowsVersion = DEFAULT_WINDOWS_VERSION): ModuleSpec {
  const define = VERSION_DEFINES[version];
  const spec: ModuleSpec = { name: 'ntdll', entryFile: path.join(ntdllDirectory, 'ntdll.asm'), mode: 'user', base: NTDLL_BASE };
  if (define === undefined) return spec;
  return { ...spec, entryFile: path.join(ntdllDirectory, `ntdll-${version}.asm`), source: `%define ${define}\n%include "ntdll.asm"\n` };
}

/** Builds the machine, its memory and page tables, and leaves the CPU at nt!KiSystemStartup. */
export function bootNtMachine(options: NtBootOptions): NtBootedMachine {
  const { modules } = options;
  const kernel = requireModule(modules, 'nt');
  const ntdll = requireModule(modules, 'ntdll');
  const machine = new Machine(options.machine);
  const space = new AddressSpaceBuilder(machine);

  // Kernel space: XP's boot mapping of the low physical megabytes at 0x80000000 holds the GDT, IDT,
  // TSS, the boot block and the kernel-mode images, which therefore sit at physical (address - 0x80000000).
  space.mapRange('the kernel\'s direct map', MM_SYSTEM_RANGE_START, KERNEL_DIRECT_MAP_SIZE, KERNEL_PAGE, MM_SYSTEM_RANGE_START);
  const kernelRanges = [...KERNEL_RESERVED_RANGES];
  for (const module of modules) {
    if (module.mode === 'kernel') loadKernelImage(machine, module, kernelRanges);
    else space.loadUserImage(module);
  }
  space.mapRange('the kernel stack', KERNEL_INITIAL_STACK - KERNEL_STACK_SIZE, KERNEL_STACK_SIZE, KERNEL_PAGE);
  space.mapRange('the KPCR', KIP0PCRADDRESS, PAGE_SIZE, KERNEL_PAGE);
  // One physical page, two views: the kernel writes SystemCall at 0xFFDF0300, ntdll reads 0x7FFE0300.
  const sharedData = space.allocatePage();
  space.mapPage('KUSER_SHARED_DATA', KI_USER_SHARED_DATA, sharedData, KERNEL_PAGE);
  space.mapPage('KUSER_SHARED_DATA', MM_SHARED_USER_DATA_VA, sharedData, USER_READ_ONLY_PAGE);

  // User space beyond the images: stack, TEB, PEB.
  space.mapRange('the user stack', USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE, USER_PAGE);
  space.mapRange('the TEB', TEB_ADDRESS, PAGE_SIZE, USER_PAGE);
  space.mapRange('the PEB', PEB_ADDRESS, PAGE_SIZE, USER_PAGE);

  const bootBlock = new Uint8Array(NT_BOOT_BLOCK_LENGTH);
  const view = new DataView(bootBlock.buffer);
  const put = (offset: number, value: number): void => view.setUint32(offset, value >>> 0, true);
  put(NT_BOOT_BLOCK_PROGRAM_ENTRY, options.userEntry);
  put(NT_BOOT_BLOCK_PROCESS_START_ADDRESS, options.processStartAddress ?? options.userEntry);
  put(NT_BOOT_BLOCK_IMAGE_BASE, programImageBase(modules));
  put(NT_BOOT_BLOCK_USER_STACK_BASE, USER_STACK_TOP);
  put(NT_BOOT_BLOCK_USER_STACK_LIMIT, USER_STACK_TOP - USER_STACK_SIZE);
  put(NT_BOOT_BLOCK_TEB, TEB_ADDRESS);
  put(NT_BOOT_BLOCK_PEB, PEB_ADDRESS);
  put(NT_BOOT_BLOCK_KI_FAST_SYSTEM_CALL, requireExport(ntdll, 'KiFastSystemCall'));
  put(NT_BOOT_BLOCK_KI_FAST_SYSTEM_CALL_RET, requireExport(ntdll, 'KiFastSystemCallRet'));
  put(NT_BOOT_BLOCK_KI_INT_SYSTEM_CALL, requireExport(ntdll, 'KiIntSystemCall'));
  put(NT_BOOT_BLOCK_KERNEL_STACK, KERNEL_INITIAL_STACK);
  put(NT_BOOT_BLOCK_DRIVER_ENTRY, options.driverEntry ?? 0);
  put(NT_BOOT_BLOCK_NUMBER_OF_PHYSICAL_PAGES, machine.memory.pageCount);
  // Optional (samples/ntdll/kernel-interface.inc): without them the kernel ends the process on a
  // user-mode exception, and KeUserModeCallback fails.
  put(NT_BOOT_BLOCK_KI_USER_EXCEPTION_DISPATCHER, ntdll.exports.KiUserExceptionDispatcher ?? 0);
  put(NT_BOOT_BLOCK_KI_USER_CALLBACK_DISPATCHER, ntdll.exports.KiUserCallbackDispatcher ?? 0);
  space.writeVirtual(NT_BOOT_BLOCK_ADDRESS, bootBlock);

  // KiSystemStartup(BootBlock): a return address of 0, then the argument. The stack starts right
  // below where the thread's first trap frame will be built, so startup never overwrites it.
  const bootStack = KERNEL_INITIAL_STACK - NPX_FRAME_LENGTH - KTRAP_FRAME_LENGTH - 8;
  const startupFrame = new Uint8Array(8);
  new DataView(startupFrame.buffer).setUint32(4, NT_BOOT_BLOCK_ADDRESS, true);
  space.writeVirtual(bootStack, startupFrame);

  const control = attachMachineControl(machine);
  startProcessor(machine, requireExport(kernel, 'KiSystemStartup'), bootStack);
  return { machine, control, pageDirectory: PAGE_DIRECTORY_PHYSICAL, bootStack };
}

/** Ring 0, flat segments (the loader's, until lgdt), paging on with CR0.WP as XP runs, IF = 0. */
function startProcessor(machine: Machine, entry: number, stack: number): void {
  const cpu = machine.cpu;
  cpu.setFlatSegments(0);
  cpu.setCr3(PAGE_DIRECTORY_PHYSICAL);
  cpu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
  cpu.flags = FLAG_RESERVED_1;
  cpu.lazyFlags = 0;
  cpu.r32.fill(0);
  cpu.r32[4] = stack;
  cpu.jumpTo(entry);
}

/** Records the exit status and bug checks the guest writes, and passes every port on to the machine. */
function attachMachineControl(machine: Machine): MachineControlState {
  const state: MachineControlState = { exitStatus: undefined, bugCheck: undefined };
  const pendingBugCheck: number[] = [];
  const machinePorts: PortBus = machine;
  machine.cpu.ports = {
    readPort: (port, size) => machinePorts.readPort(port, size),
    writePort: (port, size, value) => {
      if (port === MACHINE_EXIT_STATUS_PORT && size === 4) state.exitStatus = value >>> 0;
      if (port === MACHINE_BUGCHECK_PORT && size === 4) {
        pendingBugCheck.push(value >>> 0);
        if (pendingBugCheck.length === 5) state.bugCheck = pendingBugCheck.splice(0);
      }
      machinePorts.writePort(port, size, value);
    },
  };
  return state;
}

function requireModule(modules: readonly LinkedModule[], name: string): LinkedModule {
  const module = modules.find((candidate) => candidate.name === name);
  if (!module) throw new NtBootError(`the boot needs a module named '${name}'`);
  return module;
}

function requireExport(module: LinkedModule, name: string): number {
  const address = module.exports[name];
  if (address === undefined) throw new NtBootError(`module '${module.name}' does not export '${name}' (declare it global)`);
  return address;
}

/** The user-mode image that is neither ntdll: the program (PEB.ImageBaseAddress). */
function programImageBase(modules: readonly LinkedModule[]): number {
  return modules.find((module) => module.mode === 'user' && module.name !== 'ntdll')?.base ?? 0;
}

interface KernelRange {
  name: string;
  start: number;
  end: number;
}

/** What the direct map already holds before any image: the page directory, GDT, IDT, boot block, TSS. */
const KERNEL_RESERVED_RANGES: readonly KernelRange[] = [
  { name: 'the page directory', start: MM_SYSTEM_RANGE_START + PAGE_DIRECTORY_PHYSICAL, end: MM_SYSTEM_RANGE_START + PAGE_DIRECTORY_PHYSICAL + PAGE_SIZE },
  { name: 'the GDT, IDT, boot block and TSS', start: KI_GDT_ADDRESS, end: KI_TSS_ADDRESS + KTSS_LENGTH },
];

function loadKernelImage(machine: Machine, module: LinkedModule, occupied: KernelRange[]): void {
  const start = module.base >>> 0;
  const end = Math.max(module.end, module.base + module.image.length);
  if (start < MM_SYSTEM_RANGE_START || end > MM_SYSTEM_RANGE_START + KERNEL_DIRECT_MAP_SIZE) {
    throw new NtBootError(`kernel module '${module.name}' at 0x${start.toString(16)} lies outside 0x80000000-0x${(MM_SYSTEM_RANGE_START + KERNEL_DIRECT_MAP_SIZE).toString(16)}`);
  }
  const clash = occupied.find((range) => start < range.end && range.start < end);
  if (clash) throw new NtBootError(`kernel module '${module.name}' (0x${start.toString(16)}-0x${end.toString(16)}) overlaps ${clash.name}`);
  occupied.push({ name: `module '${module.name}'`, start, end });
  machine.writePhysical(start - MM_SYSTEM_RANGE_START, module.image);
}

/**
 * Page directory and tables in guest memory, and the allocator of physical pages behind them. Pages
 * come zeroed (fresh RAM). Page tables themselves are reachable through the self-map at 0xC0000000.
 */
class AddressSpaceBuilder {
  private nextFreePage = PHYSICAL_POOL_START;
  private readonly physicalOfPage = new Map<number, number>();
  private readonly ownerOfPage = new Map<number, string>();

  constructor(private readonly machine: Machine) {
    // The self-map: PDE[0x300] is the directory itself, so PTEs appear at 0xC0000000 and the PDEs at 0xC0300000.
    this.writeEntry(PAGE_DIRECTORY_PHYSICAL + (PDE_BASE >>> 22) * 4, PAGE_DIRECTORY_PHYSICAL | KERNEL_PAGE);
  }

  allocatePage(): number {
    const page = this.nextFreePage;
    if (page + PAGE_SIZE > this.machine.memory.size) throw new NtBootError('the machine has too little RAM for the memory map');
    this.nextFreePage += PAGE_SIZE;
    return page;
  }

  /**
   * Maps [virtual, virtual + length) page by page: onto (page - physicalOrigin) when given, else onto
   * fresh pages. `what` names the range for the error when a page is already taken.
   */
  mapRange(what: string, virtual: number, length: number, flags: number, physicalOrigin?: number): void {
    for (let offset = 0; offset < length; offset += PAGE_SIZE) {
      const page = (virtual + offset) >>> 0;
      const physical = physicalOrigin === undefined ? this.allocatePage() : page - physicalOrigin;
      this.mapPage(what, page, physical, flags);
    }
  }

  /** Maps one page; `what` names it for the error when the page is already taken. */
  mapPage(what: string, virtual: number, physical: number, flags: number): void {
    const page = (virtual & ~(PAGE_SIZE - 1)) >>> 0;
    const owner = this.ownerOfPage.get(page);
    if (owner !== undefined) throw new NtBootError(`${what} at 0x${page.toString(16)} overlaps ${owner}`);
    this.ownerOfPage.set(page, what);
    const directoryIndex = page >>> 22;
    const directoryEntryAddress = PAGE_DIRECTORY_PHYSICAL + directoryIndex * 4;
    let directoryEntry = this.machine.memory.read32(directoryEntryAddress);
    if ((directoryEntry & PTE_PRESENT) === 0) {
      // Both levels must allow an access: user-space tables carry the user bit in their PDE.
      directoryEntry = this.allocatePage() | (page < MM_SYSTEM_RANGE_START ? USER_PAGE : KERNEL_PAGE);
      this.writeEntry(directoryEntryAddress, directoryEntry);
    }
    const tableEntryAddress = (directoryEntry & ~(PAGE_SIZE - 1)) + ((page >>> 12) & 0x3FF) * 4;
    this.writeEntry(tableEntryAddress, (physical | flags) >>> 0);
    this.physicalOfPage.set(page, physical);
  }

  /** Maps a user-mode image's pages (writable: the model does not split .text from .data) and copies it in. */
  loadUserImage(module: LinkedModule): void {
    const start = module.base & ~(PAGE_SIZE - 1);
    const end = Math.max(module.end, module.base + module.image.length);
    if (module.base < 0x10000 || end > MM_SYSTEM_RANGE_START) {
      throw new NtBootError(`user module '${module.name}' at 0x${module.base.toString(16)} lies outside user space`);
    }
    this.mapRange(`module '${module.name}'`, start, end - start, USER_PAGE);
    this.writeVirtual(module.base, module.image);
  }

  /** Writes through the mappings made so far (the host's view: no protection checks). */
  writeVirtual(virtual: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const address = (virtual + done) >>> 0;
      const page = (address & ~(PAGE_SIZE - 1)) >>> 0;
      const physical = this.physicalOfPage.get(page);
      if (physical === undefined) throw new NtBootError(`the loader wrote to unmapped address 0x${address.toString(16)}`);
      const chunk = Math.min(bytes.length - done, PAGE_SIZE - (address - page));
      this.machine.writePhysical(physical + (address - page), bytes.subarray(done, done + chunk));
      done += chunk;
    }
  }

  private writeEntry(address: number, value: number): void {
    this.machine.memory.write32(address, value);
  }
}
