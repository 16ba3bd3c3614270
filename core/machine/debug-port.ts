// The Bochs-style debug output port 0xE9: every byte written appears on the host (Debug Console / CLI).
// Reading it returns 0xE9, which is how guests detect that the port exists.

export const DEBUG_PORT = 0xE9;

export class DebugPort {
  /** Receives each byte written; set by whoever shows the output. */
  onByte: ((byte: number) => void) | null = null;
  private readonly pending: number[] = [];

  write(value: number): void {
    const byte = value & 0xFF;
    this.pending.push(byte);
    if (this.onByte !== null) this.onByte(byte);
  }

  /** Bytes written since the last call, as Latin-1 text (the guest writes ASCII). */
  takeText(): string {
    let text = '';
    for (const byte of this.pending) text += String.fromCharCode(byte);
    this.pending.length = 0;
    return text;
  }
}
