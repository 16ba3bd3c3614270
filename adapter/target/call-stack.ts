// The call stack of the one NT thread, read from guest memory: return addresses found on the stack
// (each checked to follow a call instruction), and across a ring change a label for the trap frame the
// CPU (or KiFastCallEntry) built at TSS.Esp0, with the user-mode frames continuing below it.
import type { InterruptEvent } from '../../core/cpu/interrupts';
import { decodeBytes } from '../../core/isa/decoder';
import type { Machine } from '../../core/machine/machine';
import { KTRAP_FRAME_EIP, KTSS_ESP0, KUSER_SHARED_DATA_SYSTEM_CALL_RETURN } from '../../core/nt/ks386';
import { KERNEL_STACK_SIZE, MM_SHARED_USER_DATA_VA, USER_STACK_TOP } from '../../core/nt/memory-map';
import { interruptCause } from './exception-filters';
import { readLinearBytes, readLinearDword } from './machine-access';
import type { SourceLocation, SymbolIndex } from './symbol-index';

export const MAX_FRAMES = 64;
/** How far above ESP a scan looks when the stack's top is not known. */
const UNKNOWN_STACK_SCAN = 0x400;
/** The five dwords int n / KiFastCallEntry put at Esp0 on entry from ring 3: EIP, CS, EFLAGS, ESP, SS. */
const HARDWARE_FRAME_LENGTH = 0x14;
const CALL_LENGTHS = [2, 3, 5, 6, 7];

export interface CodeFrame {
  kind: 'code';
  pc: number;
  name: string;
  source: SourceLocation | undefined;
  cpl: number;
  /** The stack slot that held this frame's pc (absent for the innermost frame and a trap frame's return). */
  returnSlot?: number;
}

export interface TrapFrameLabel {
  kind: 'trap-frame';
  name: string;
  /** The _KTRAP_FRAME's address (Esp0 - 0x7C). */
  trapFrame: number;
  /** The user instruction the trap returns to. */
  returnPc: number;
}

export type StackFrame = CodeFrame | TrapFrameLabel;

export interface UserEntryFrame {
  trapFrame: number;
  userPc: number;
  userEsp: number;
  via: string;
}

export class CallStackWalker {
  constructor(private readonly machine: Machine, private readonly symbols: SymbolIndex) {}

  private codeFrame(pc: number, cpl: number, returnSlot?: number): CodeFrame {
    const name = this.symbols.symbolize(pc) ?? `0x${(pc >>> 0).toString(16).padStart(8, '0')}`;
    return { kind: 'code', pc: pc >>> 0, name, source: this.symbols.lineOf(pc), cpl, returnSlot };
  }

  /** The instruction ending at `value` is a call (direct calls must target the callee's function). */
  isReturnAddress(value: number, callee: number | undefined): boolean {
    const module = this.symbols.moduleAt(value);
    if (!module || this.symbols.lineOf(value - 1) === undefined) return false;
    const bytes = readLinearBytes(this.machine, value - 7, 7);
    if (bytes === undefined) return false;
    for (const length of CALL_LENGTHS) {
      const decoded = decodeBytes(bytes, 7 - length, (value - length) >>> 0, 32);
      if (!decoded.ok || decoded.instruction.length !== length || decoded.instruction.form.mnemonic !== 'call') continue;
      if (length === 5 && bytes[2] === 0xE8 && callee !== undefined) {
        const target = ((value + (bytes[3] | (bytes[4] << 8) | (bytes[5] << 16) | (bytes[6] << 24))) >>> 0);
        const calleeFunction = this.symbols.functionAt(callee);
        if (calleeFunction !== undefined && this.symbols.functionAt(target)?.address !== calleeFunction.address) continue;
      }
      return true;
    }
    return false;
  }

  /** Scans [from, to) for return addresses, appending caller frames. */
  private scan(frames: StackFrame[], from: number, to: number, cpl: number): void {
    let callee = (frames[frames.length - 1] as CodeFrame | undefined)?.pc;
    for (let slot = from >>> 0; slot + 4 <= to && frames.length < MAX_FRAMES; slot += 4) {
      const value = readLinearDword(this.machine, slot);
      if (value === undefined) return;
      if (!this.isReturnAddress(value, callee)) continue;
      frames.push(this.codeFrame(value, cpl, slot));
      callee = value;
    }
  }

  /** The trap frame a ring 3 -> ring 0 entry left at the top of the kernel stack, when ESP lies below it. */
  userEntry(lastUserInterrupt: InterruptEvent | undefined): UserEntryFrame | undefined {
    const registers = this.machine.registers();
    if (registers.cpl !== 0) return undefined;
    const esp0 = readLinearDword(this.machine, registers.tr.base + KTSS_ESP0);
    if (esp0 === undefined || esp0 === 0) return undefined;
    const hardwareFrame = esp0 - HARDWARE_FRAME_LENGTH;
    if (registers.esp > hardwareFrame || registers.esp < esp0 - KERNEL_STACK_SIZE) return undefined;
    const savedCs = readLinearDword(this.machine, hardwareFrame + 4);
    const userPc = readLinearDword(this.machine, hardwareFrame);
    const userEsp = readLinearDword(this.machine, hardwareFrame + 12);
    if (savedCs === undefined || userPc === undefined || userEsp === undefined || (savedCs & 3) !== 3) return undefined;
    const systemCallReturn = readLinearDword(this.machine, MM_SHARED_USER_DATA_VA + KUSER_SHARED_DATA_SYSTEM_CALL_RETURN);
    let via = 'trap';
    if (lastUserInterrupt !== undefined && lastUserInterrupt.fromCpl === 3 && lastUserInterrupt.returnEip === userPc) via = interruptCause(lastUserInterrupt);
    else if (systemCallReturn !== undefined && userPc === systemCallReturn) via = 'sysenter';
    return { trapFrame: (hardwareFrame - KTRAP_FRAME_EIP) >>> 0, userPc, userEsp, via };
  }

  walk(lastUserInterrupt: InterruptEvent | undefined): StackFrame[] {
    const registers = this.machine.registers();
    const frames: StackFrame[] = [this.codeFrame(registers.eip, registers.cpl)];
    if (registers.cpl === 3) {
      this.scan(frames, registers.esp, registers.esp < USER_STACK_TOP ? USER_STACK_TOP : registers.esp + UNKNOWN_STACK_SCAN, 3);
      return frames;
    }
    const entry = this.userEntry(lastUserInterrupt);
    if (entry === undefined) {
      this.scan(frames, registers.esp, registers.esp + UNKNOWN_STACK_SCAN, registers.cpl);
      return frames;
    }
    this.scan(frames, registers.esp, entry.trapFrame + KTRAP_FRAME_EIP, 0);
    const address = `0x${entry.trapFrame.toString(16).toUpperCase().padStart(8, '0')}`;
    frames.push({ kind: 'trap-frame', name: `-- trap frame @ ${address}: ${entry.via} from ring 3 --`, trapFrame: entry.trapFrame, returnPc: entry.userPc });
    frames.push(this.codeFrame(entry.userPc, 3));
    this.scan(frames, entry.userEsp, entry.userEsp < USER_STACK_TOP ? USER_STACK_TOP : entry.userEsp + UNKNOWN_STACK_SCAN, 3);
    return frames;
  }
}
