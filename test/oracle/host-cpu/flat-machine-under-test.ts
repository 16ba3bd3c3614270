// The emulator the oracle checks: the project's flat ring-0 machine, with a reader for the records.
import { FlatMachine } from '../../../core/machine/flat-machine';
import { FlatMachineUnderTest, ReadGuestMemory } from './emulator-side';

export function createFlatMachineUnderTest(memoryBytes: number): { machine: FlatMachineUnderTest; readMemory: ReadGuestMemory } {
  const machine = new FlatMachine({ memoryBytes });
  const readMemory: ReadGuestMemory = (address, length) => machine.memory.bytes.slice(address, address + length);
  return { machine, readMemory };
}
