// core/nt/ks386.ts and memory-map.ts against samples/kernel/ks386.inc and boot-block.inc: the
// TypeScript side and the kernel's assembly must agree on every offset, selector and address.
import * as assert from 'assert';
import * as path from 'path';
import { assemble } from '../../core/asm/assembler';
import { KS386_INCLUDE_NAMES } from '../../core/nt/ks386';
import * as memoryMap from '../../core/nt/memory-map';
import { repositoryRoot } from '../support/oracle-tools';

/** The equ values an include file defines, read by assembling it with our assembler. */
function includeConstants(file: string): Record<string, number> {
  const fileName = path.join(repositoryRoot(), 'samples', 'kernel', file);
  const result = assemble({ fileName: path.join(path.dirname(fileName), 'constants-probe.asm'), source: `%include "${file}"\n` });
  assert.deepStrictEqual(result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error'), []);
  return result.constants;
}

describe('ks386: TypeScript and kernel assembly agree', () => {
  const ks386 = includeConstants('ks386.inc');
  const bootBlock = includeConstants('boot-block.inc');

  for (const [name, value] of KS386_INCLUDE_NAMES) {
    it(`${name} = 0x${value.toString(16)}`, () => {
      assert.ok(name in ks386, `ks386.inc does not define ${name}`);
      assert.strictEqual(ks386[name] >>> 0, value >>> 0);
    });
  }

  it('KTRAP_FRAME is 0x8C bytes and Esp0 leaves out the V86 fields', () => {
    assert.strictEqual(ks386.KTRAP_FRAME_LENGTH, 0x8C);
    assert.strictEqual(ks386.TsV86FieldsLength, 0x10);
    assert.strictEqual(ks386.NPX_FRAME_LENGTH + ks386.KTRAP_FRAME_LENGTH, 0x29C);
  });

  it('the memory map matches the kernel\'s fixed addresses', () => {
    const pairs: [string, number, number][] = [
      ['KIP0PCRADDRESS', ks386.KIP0PCRADDRESS, memoryMap.KIP0PCRADDRESS],
      ['KI_GDT_ADDRESS', ks386.KI_GDT_ADDRESS, memoryMap.KI_GDT_ADDRESS],
      ['KI_IDT_ADDRESS', ks386.KI_IDT_ADDRESS, memoryMap.KI_IDT_ADDRESS],
      ['KI_TSS_ADDRESS', ks386.KI_TSS_ADDRESS, memoryMap.KI_TSS_ADDRESS],
      ['KI_USER_SHARED_DATA', ks386.KI_USER_SHARED_DATA, memoryMap.KI_USER_SHARED_DATA],
      ['MM_SHARED_USER_DATA_VA', ks386.MM_SHARED_USER_DATA_VA, memoryMap.MM_SHARED_USER_DATA_VA],
      ['MM_USER_PROBE_ADDRESS', ks386.MM_USER_PROBE_ADDRESS, memoryMap.MM_USER_PROBE_ADDRESS],
      ['KERNEL_STACK_SIZE', ks386.KERNEL_STACK_SIZE, memoryMap.KERNEL_STACK_SIZE],
      ['NPX_FRAME_LENGTH', ks386.NPX_FRAME_LENGTH, memoryMap.NPX_FRAME_LENGTH],
      ['DEBUG_OUTPUT_PORT', ks386.DEBUG_OUTPUT_PORT, memoryMap.DEBUG_OUTPUT_PORT],
      ['MACHINE_EXIT_STATUS_PORT', ks386.MACHINE_EXIT_STATUS_PORT, memoryMap.MACHINE_EXIT_STATUS_PORT],
      ['MACHINE_BUGCHECK_PORT', ks386.MACHINE_BUGCHECK_PORT, memoryMap.MACHINE_BUGCHECK_PORT],
    ];
    for (const [name, inInclude, inTypeScript] of pairs) assert.strictEqual(inInclude >>> 0, inTypeScript >>> 0, name);
  });

  it('the boot block has the same layout on both sides', () => {
    const pairs: [string, number][] = [
      ['NT_BOOT_BLOCK_ADDRESS', memoryMap.NT_BOOT_BLOCK_ADDRESS],
      ['BbProgramEntry', memoryMap.NT_BOOT_BLOCK_PROGRAM_ENTRY],
      ['BbImageBase', memoryMap.NT_BOOT_BLOCK_IMAGE_BASE],
      ['BbUserStackBase', memoryMap.NT_BOOT_BLOCK_USER_STACK_BASE],
      ['BbUserStackLimit', memoryMap.NT_BOOT_BLOCK_USER_STACK_LIMIT],
      ['BbTeb', memoryMap.NT_BOOT_BLOCK_TEB],
      ['BbPeb', memoryMap.NT_BOOT_BLOCK_PEB],
      ['BbKiFastSystemCall', memoryMap.NT_BOOT_BLOCK_KI_FAST_SYSTEM_CALL],
      ['BbKiFastSystemCallRet', memoryMap.NT_BOOT_BLOCK_KI_FAST_SYSTEM_CALL_RET],
      ['BbKiIntSystemCall', memoryMap.NT_BOOT_BLOCK_KI_INT_SYSTEM_CALL],
      ['BbKernelStack', memoryMap.NT_BOOT_BLOCK_KERNEL_STACK],
      ['BbDriverEntry', memoryMap.NT_BOOT_BLOCK_DRIVER_ENTRY],
      ['BbKiUserExceptionDispatcher', memoryMap.NT_BOOT_BLOCK_KI_USER_EXCEPTION_DISPATCHER],
      ['BbNumberOfPhysicalPages', memoryMap.NT_BOOT_BLOCK_NUMBER_OF_PHYSICAL_PAGES],
      ['BbKiUserCallbackDispatcher', memoryMap.NT_BOOT_BLOCK_KI_USER_CALLBACK_DISPATCHER],
      ['BbProcessStartAddress', memoryMap.NT_BOOT_BLOCK_PROCESS_START_ADDRESS],
      ['NT_BOOT_BLOCK_LENGTH', memoryMap.NT_BOOT_BLOCK_LENGTH],
    ];
    for (const [name, value] of pairs) assert.strictEqual(bootBlock[name] >>> 0, value >>> 0, name);
  });
});
