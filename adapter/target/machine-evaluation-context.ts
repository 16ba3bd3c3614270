// The expression evaluator's view of a paused NT machine: registers, guest memory, module symbols.
import type { Machine } from '../../core/machine/machine';
import type { BaseRegisterName, EvaluationContext, MemoryAccessSize, SegmentRegisterName } from '../expression/evaluation-context';
import { readLinearBytes } from './machine-access';
import type { SymbolIndex } from './symbol-index';

export function machineEvaluationContext(machine: Machine, symbols: SymbolIndex): EvaluationContext {
  return {
    register(name: BaseRegisterName): number | undefined {
      const registers = machine.registers();
      switch (name) {
        case 'cs': case 'ds': case 'es': case 'fs': case 'gs': case 'ss': return registers[name].selector;
        default: return registers[name];
      }
    },
    readMemory(address: number, size: MemoryAccessSize): number | undefined {
      const bytes = readLinearBytes(machine, address, size);
      if (bytes === undefined) return undefined;
      let value = 0;
      for (let index = size - 1; index >= 0; index--) value = (value * 256) + bytes[index];
      return value >>> 0;
    },
    symbol(name: string): number | undefined {
      return symbols.findSymbol(name)?.address;
    },
    segmentBase(segment: SegmentRegisterName): number | undefined {
      return machine.registers()[segment].base;
    },
    symbolNames: () => symbols.symbolNames(),
  };
}
