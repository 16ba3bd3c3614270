// The NT model's memory map (NT-MODEL.md): Windows XP SP3, x86, uniprocessor, non-PAE. Virtual
// addresses are the ones WinDbg shows on a real XP machine; the physical layout is the model's own.

// ------------------------------------------------------------------ user space
export const PROGRAM_IMAGE_BASE = 0x00400000;
/** Top of the user stack (TEB.NtTib.StackBase); the stack is USER_STACK_SIZE below it. */
export const USER_STACK_TOP = 0x00130000;
export const USER_STACK_SIZE = 0x10000;
export const NTDLL_BASE = 0x7C900000;
export const TEB_ADDRESS = 0x7FFDE000;
export const PEB_ADDRESS = 0x7FFDF000;
/** KUSER_SHARED_DATA as ring 3 sees it: read-only, the same physical page as the kernel view. */
export const MM_SHARED_USER_DATA_VA = 0x7FFE0000;
/** MmUserProbeAddress: system-call arguments at or above it are refused (STATUS_ACCESS_VIOLATION). */
export const MM_USER_PROBE_ADDRESS = 0x7FFF0000;

// ------------------------------------------------------------------ kernel space
export const MM_SYSTEM_RANGE_START = 0x80000000;
export const NTOSKRNL_BASE = 0x804D7000;
export const KI_GDT_ADDRESS = 0x8003F000;
export const KI_IDT_ADDRESS = 0x8003F400;
export const KI_TSS_ADDRESS = 0x80042000;
/** Where the loader writes the NT_BOOT_BLOCK (samples/kernel/boot-block.inc). */
export const NT_BOOT_BLOCK_ADDRESS = 0x80041000;
/** The page-table self-map: PTEs at 0xC0000000, the page directory at 0xC0300000. */
export const PTE_BASE = 0xC0000000;
export const PDE_BASE = 0xC0300000;
/** The thread's kernel stack: InitialStack, KERNEL_STACK_SIZE (12 KiB) below it. */
export const KERNEL_INITIAL_STACK = 0xF8A3E000;
export const KERNEL_STACK_SIZE = 0x3000;
/** FX_SAVE_AREA at the top of every kernel stack. */
export const NPX_FRAME_LENGTH = 0x210;
/** KUSER_SHARED_DATA as the kernel sees it: writable. */
export const KI_USER_SHARED_DATA = 0xFFDF0000;
/** The KPCR (fs:0 in ring 0); the KPRCB is at +0x120. */
export const KIP0PCRADDRESS = 0xFFDFF000;

/**
 * The region mapped like XP's boot-time KSEG0: virtual MM_SYSTEM_RANGE_START + n is physical n.
 * It holds the GDT, IDT, TSS, boot block and ntoskrnl (and drivers loaded above it).
 */
export const KERNEL_DIRECT_MAP_SIZE = 0x00800000;

// ------------------------------------------------------------------ physical layout (the model's)
/** XP's System process has its page directory at physical 0x39000 (`!process 0 0 System`: DirBase). */
export const PAGE_DIRECTORY_PHYSICAL = 0x00039000;
/** Pages for page tables, user images, stacks, TEB/PEB, KPCR... are taken from here upwards. */
export const PHYSICAL_POOL_START = KERNEL_DIRECT_MAP_SIZE;

// ------------------------------------------------------------------ the boot block (boot-block.inc)
export const NT_BOOT_BLOCK_PROGRAM_ENTRY = 0x00;
export const NT_BOOT_BLOCK_IMAGE_BASE = 0x04;
export const NT_BOOT_BLOCK_USER_STACK_BASE = 0x08;
export const NT_BOOT_BLOCK_USER_STACK_LIMIT = 0x0C;
export const NT_BOOT_BLOCK_TEB = 0x10;
export const NT_BOOT_BLOCK_PEB = 0x14;
export const NT_BOOT_BLOCK_KI_FAST_SYSTEM_CALL = 0x18;
export const NT_BOOT_BLOCK_KI_FAST_SYSTEM_CALL_RET = 0x1C;
export const NT_BOOT_BLOCK_KI_INT_SYSTEM_CALL = 0x20;
export const NT_BOOT_BLOCK_KERNEL_STACK = 0x24;
export const NT_BOOT_BLOCK_DRIVER_ENTRY = 0x28;
export const NT_BOOT_BLOCK_KI_USER_EXCEPTION_DISPATCHER = 0x2C;
export const NT_BOOT_BLOCK_NUMBER_OF_PHYSICAL_PAGES = 0x30;
export const NT_BOOT_BLOCK_KI_USER_CALLBACK_DISPATCHER = 0x34;
export const NT_BOOT_BLOCK_PROCESS_START_ADDRESS = 0x38;
export const NT_BOOT_BLOCK_LENGTH = 0x3C;

// ------------------------------------------------------------------ machine-control ports
/** Bochs's debug console: each byte the guest writes is program or kernel output. */
export const DEBUG_OUTPUT_PORT = 0xE9;
/** QEMU's isa-debug-exit address: a dword written here is the process exit status (NtTerminateProcess). */
export const MACHINE_EXIT_STATUS_PORT = 0xF4;
/** KeBugCheckEx writes the bug-check code and its four parameters here, five dwords in a row. */
export const MACHINE_BUGCHECK_PORT = 0xF5;
