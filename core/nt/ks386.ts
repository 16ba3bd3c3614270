// Structure offsets and selectors of the Windows XP SP3 x86 kernel, for the TypeScript side (boot,
// decoders, tests). samples/kernel/ks386.inc holds the same numbers under the kernel assembly's own
// names (TsEip, ThTrapFrame, PcPrcbData ...); KS386_INCLUDE_NAMES pairs them and a test keeps both
// files in step.

// ------------------------------------------------------------------ GDT selectors
export const KGDT_R0_CODE = 0x08;
export const KGDT_R0_DATA = 0x10;
export const KGDT_R3_CODE = 0x18;
export const KGDT_R3_DATA = 0x20;
export const KGDT_TSS = 0x28;
export const KGDT_R0_PCR = 0x30;
export const KGDT_R3_TEB = 0x38;
export const KGDT_VDM_TILE = 0x40;
export const KGDT_LDT = 0x48;
export const KGDT_DF_TSS = 0x50;
export const KGDT_NMI_TSS = 0x58;
export const RPL_MASK = 3;

// ------------------------------------------------------------------ _KTRAP_FRAME
export const KTRAP_FRAME_DBG_EBP = 0x00;
export const KTRAP_FRAME_DBG_EIP = 0x04;
export const KTRAP_FRAME_DBG_ARG_MARK = 0x08;
export const KTRAP_FRAME_DBG_ARG_POINTER = 0x0C;
export const KTRAP_FRAME_TEMP_SEGCS = 0x10;
export const KTRAP_FRAME_TEMP_ESP = 0x14;
export const KTRAP_FRAME_DR0 = 0x18;
export const KTRAP_FRAME_DR7 = 0x2C;
export const KTRAP_FRAME_GS = 0x30;
export const KTRAP_FRAME_ES = 0x34;
export const KTRAP_FRAME_DS = 0x38;
export const KTRAP_FRAME_EDX = 0x3C;
export const KTRAP_FRAME_ECX = 0x40;
export const KTRAP_FRAME_EAX = 0x44;
export const KTRAP_FRAME_PREVIOUS_MODE = 0x48;
export const KTRAP_FRAME_EXCEPTION_LIST = 0x4C;
export const KTRAP_FRAME_FS = 0x50;
export const KTRAP_FRAME_EDI = 0x54;
export const KTRAP_FRAME_ESI = 0x58;
export const KTRAP_FRAME_EBX = 0x5C;
export const KTRAP_FRAME_EBP = 0x60;
export const KTRAP_FRAME_ERROR_CODE = 0x64;
export const KTRAP_FRAME_EIP = 0x68;
export const KTRAP_FRAME_CS = 0x6C;
export const KTRAP_FRAME_EFLAGS = 0x70;
export const KTRAP_FRAME_ESP = 0x74;
export const KTRAP_FRAME_SS = 0x78;
export const KTRAP_FRAME_V86_ES = 0x7C;
export const KTRAP_FRAME_V86_GS = 0x88;
export const KTRAP_FRAME_LENGTH = 0x8C;
/** KTRAP_FRAME.DbgArgMark of a frame built by a system call. */
export const DBG_ARG_MARK = 0xBADB0D00;

// ------------------------------------------------------------------ _KTSS
export const KTSS_ESP0 = 0x04;
export const KTSS_SS0 = 0x08;
export const KTSS_CR3 = 0x1C;
export const KTSS_IOMAPBASE = 0x66;
export const KTSS_LENGTH = 0x20AC;

// ------------------------------------------------------------------ _KPCR / _KPRCB
export const KPCR_EXCEPTION_LIST = 0x00;
export const KPCR_TEB = 0x18;
export const KPCR_SELF_PCR = 0x1C;
export const KPCR_PRCB = 0x20;
export const KPCR_IRQL = 0x24;
export const KPCR_IDT = 0x38;
export const KPCR_GDT = 0x3C;
export const KPCR_TSS = 0x40;
export const KPCR_NUMBER = 0x51;
export const KPCR_PRCB_DATA = 0x120;
/** fs:[0x124] in ring 0: KPCR.PrcbData.CurrentThread. */
export const KPCR_CURRENT_THREAD = 0x124;
export const KPRCB_SYSTEM_CALLS = 0x518;

// ------------------------------------------------------------------ _KTHREAD (XP SP3)
export const KTHREAD_INITIAL_STACK = 0x18;
export const KTHREAD_STACK_LIMIT = 0x1C;
export const KTHREAD_TEB = 0x20;
export const KTHREAD_KERNEL_STACK = 0x28;
export const KTHREAD_SERVICE_TABLE = 0xE0;
export const KTHREAD_CALLBACK_STACK = 0x12C;
export const KTHREAD_TRAP_FRAME = 0x134;
export const KTHREAD_PREVIOUS_MODE = 0x140;

// ------------------------------------------------------------------ _KSERVICE_TABLE_DESCRIPTOR
export const SERVICE_DESCRIPTOR_BASE = 0x00;
export const SERVICE_DESCRIPTOR_COUNT = 0x04;
export const SERVICE_DESCRIPTOR_LIMIT = 0x08;
export const SERVICE_DESCRIPTOR_NUMBER = 0x0C;
export const SERVICE_DESCRIPTOR_LENGTH = 0x10;

// ------------------------------------------------------------------ KUSER_SHARED_DATA
export const KUSER_SHARED_DATA_TICK_COUNT_LOW = 0x000;
export const KUSER_SHARED_DATA_TICK_COUNT_MULTIPLIER = 0x004;
export const KUSER_SHARED_DATA_INTERRUPT_TIME = 0x008;
export const KUSER_SHARED_DATA_SYSTEM_TIME = 0x014;
export const KUSER_SHARED_DATA_TEST_RET_INSTRUCTION = 0x2F8;
export const KUSER_SHARED_DATA_SYSTEM_CALL = 0x300;
export const KUSER_SHARED_DATA_SYSTEM_CALL_RETURN = 0x304;
export const KUSER_SHARED_DATA_TICK_COUNT = 0x320;

// ------------------------------------------------------------------ TEB
export const TEB_EXCEPTION_LIST = 0x00;
export const TEB_STACK_BASE = 0x04;
export const TEB_STACK_LIMIT = 0x08;
export const TEB_SELF = 0x18;
export const TEB_PROCESS_ENVIRONMENT_BLOCK = 0x30;

/** Each TypeScript constant above that ks386.inc also defines, with the .inc's name. */
export const KS386_INCLUDE_NAMES: readonly (readonly [string, number])[] = [
  ['KGDT_R0_CODE', KGDT_R0_CODE], ['KGDT_R0_DATA', KGDT_R0_DATA], ['KGDT_R3_CODE', KGDT_R3_CODE],
  ['KGDT_R3_DATA', KGDT_R3_DATA], ['KGDT_TSS', KGDT_TSS], ['KGDT_R0_PCR', KGDT_R0_PCR], ['KGDT_R3_TEB', KGDT_R3_TEB],
  ['KGDT_VDM_TILE', KGDT_VDM_TILE], ['KGDT_LDT', KGDT_LDT], ['KGDT_DF_TSS', KGDT_DF_TSS], ['KGDT_NMI_TSS', KGDT_NMI_TSS],
  ['TsDbgEbp', KTRAP_FRAME_DBG_EBP], ['TsDbgEip', KTRAP_FRAME_DBG_EIP], ['TsDbgArgMark', KTRAP_FRAME_DBG_ARG_MARK],
  ['TsDbgArgPointer', KTRAP_FRAME_DBG_ARG_POINTER], ['TsTempSegCs', KTRAP_FRAME_TEMP_SEGCS], ['TsTempEsp', KTRAP_FRAME_TEMP_ESP],
  ['TsDr0', KTRAP_FRAME_DR0], ['TsDr7', KTRAP_FRAME_DR7], ['TsSegGs', KTRAP_FRAME_GS], ['TsSegEs', KTRAP_FRAME_ES],
  ['TsSegDs', KTRAP_FRAME_DS], ['TsEdx', KTRAP_FRAME_EDX], ['TsEcx', KTRAP_FRAME_ECX], ['TsEax', KTRAP_FRAME_EAX],
  ['TsPreviousPreviousMode', KTRAP_FRAME_PREVIOUS_MODE], ['TsExceptionList', KTRAP_FRAME_EXCEPTION_LIST],
  ['TsSegFs', KTRAP_FRAME_FS], ['TsEdi', KTRAP_FRAME_EDI], ['TsEsi', KTRAP_FRAME_ESI], ['TsEbx', KTRAP_FRAME_EBX],
  ['TsEbp', KTRAP_FRAME_EBP], ['TsErrCode', KTRAP_FRAME_ERROR_CODE], ['TsEip', KTRAP_FRAME_EIP], ['TsSegCs', KTRAP_FRAME_CS],
  ['TsEFlags', KTRAP_FRAME_EFLAGS], ['TsHardwareEsp', KTRAP_FRAME_ESP], ['TsHardwareSegSs', KTRAP_FRAME_SS],
  ['TsV86Es', KTRAP_FRAME_V86_ES], ['TsV86Gs', KTRAP_FRAME_V86_GS], ['KTRAP_FRAME_LENGTH', KTRAP_FRAME_LENGTH],
  ['DBG_ARG_MARK', DBG_ARG_MARK],
  ['TssEsp0', KTSS_ESP0], ['TssSs0', KTSS_SS0], ['TssCR3', KTSS_CR3], ['TssIoMapBase', KTSS_IOMAPBASE], ['KTSS_LENGTH', KTSS_LENGTH],
  ['PcExceptionList', KPCR_EXCEPTION_LIST], ['PcTeb', KPCR_TEB], ['PcSelfPcr', KPCR_SELF_PCR], ['PcPrcb', KPCR_PRCB],
  ['PcIrql', KPCR_IRQL], ['PcIDT', KPCR_IDT], ['PcGDT', KPCR_GDT], ['PcTss', KPCR_TSS], ['PcNumber', KPCR_NUMBER],
  ['PcPrcbData', KPCR_PRCB_DATA], ['PbSystemCalls', KPRCB_SYSTEM_CALLS],
  ['ThInitialStack', KTHREAD_INITIAL_STACK], ['ThStackLimit', KTHREAD_STACK_LIMIT], ['ThTeb', KTHREAD_TEB],
  ['ThKernelStack', KTHREAD_KERNEL_STACK], ['ThServiceTable', KTHREAD_SERVICE_TABLE], ['ThCallbackStack', KTHREAD_CALLBACK_STACK],
  ['ThTrapFrame', KTHREAD_TRAP_FRAME], ['ThPreviousMode', KTHREAD_PREVIOUS_MODE],
  ['SdBase', SERVICE_DESCRIPTOR_BASE], ['SdCount', SERVICE_DESCRIPTOR_COUNT], ['SdLimit', SERVICE_DESCRIPTOR_LIMIT],
  ['SdNumber', SERVICE_DESCRIPTOR_NUMBER], ['SERVICE_DESCRIPTOR_LENGTH', SERVICE_DESCRIPTOR_LENGTH],
  ['UsTickCountLow', KUSER_SHARED_DATA_TICK_COUNT_LOW], ['UsTickCountMultiplier', KUSER_SHARED_DATA_TICK_COUNT_MULTIPLIER],
  ['UsInterruptTime', KUSER_SHARED_DATA_INTERRUPT_TIME], ['UsSystemTime', KUSER_SHARED_DATA_SYSTEM_TIME],
  ['UsTestRetInstruction', KUSER_SHARED_DATA_TEST_RET_INSTRUCTION], ['UsSystemCall', KUSER_SHARED_DATA_SYSTEM_CALL],
  ['UsSystemCallReturn', KUSER_SHARED_DATA_SYSTEM_CALL_RETURN], ['UsTickCount', KUSER_SHARED_DATA_TICK_COUNT],
  ['TbExceptionList', TEB_EXCEPTION_LIST], ['TbStackBase', TEB_STACK_BASE], ['TbStackLimit', TEB_STACK_LIMIT],
  ['TbSelf', TEB_SELF], ['TeProcessEnvironmentBlock', TEB_PROCESS_ENVIRONMENT_BLOCK],
];
