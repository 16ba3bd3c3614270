// The REPL commands' view of the target: memory, registers, tables, MSRs, the call stack and `u`.
import { MSR_SYSENTER_CS, MSR_SYSENTER_EIP, MSR_SYSENTER_ESP, MSR_TSC } from '../../core/cpu/constants';
import type { ReplEnvironment } from '../repl/command-dispatcher';
import type { NtDebugTarget } from './debug-target';
import { Disassembler } from './disassembly';
import { guestMemoryOf, readTimeStampCounter } from './machine-access';
import { SystemViews } from './system-views';
import { VariableTreeBuilder } from './variable-tree';

export function replEnvironmentOf(target: NtDebugTarget): ReplEnvironment {
  const machine = target.machine;
  const views = new SystemViews(machine, target.symbols);
  const disassembler = new Disassembler(machine, target.symbols);
  return {
    memory: guestMemoryOf(machine),
    context: target.evaluation,
    symbolize: (address) => target.symbols.symbolize(address),
    registers: () => machine.registers(),
    idt: () => views.idt(),
    gdt: () => views.gdt(),
    readMsr: (index) => {
      const { msr } = machine.registers();
      switch (index) {
        case MSR_SYSENTER_CS: return BigInt(msr.sysenterCs);
        case MSR_SYSENTER_ESP: return BigInt(msr.sysenterEsp);
        case MSR_SYSENTER_EIP: return BigInt(msr.sysenterEip);
        case MSR_TSC: return readTimeStampCounter(machine);
        default: return undefined;
      }
    },
    currentTrapFrame: () => new VariableTreeBuilder(target).currentTrapFrame(),
    stackLines: () => target.callStack().map((frame, index) => {
      if (frame.kind === 'trap-frame') return `   ${frame.name}`;
      const where = frame.source === undefined ? '' : `  [${frame.source.file} @ ${frame.source.line}]`;
      return `${index.toString(16).padStart(2, '0')} ${frame.pc.toString(16).padStart(8, '0')} ${frame.name}${where}`;
    }),
    disassemble: (address, count) => disassembler.windbgLines(address, count),
  };
}
