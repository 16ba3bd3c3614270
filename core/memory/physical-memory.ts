// Guest physical memory: one byte array with aligned views. Addresses past the end read as 0xFF
// (an open bus) and ignore writes, as on a PC with nothing decoding them.

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

export class PhysicalMemory {
  readonly size: number;
  readonly bytes: Uint8Array;
  /** Aligned dword view of `bytes` (index = address >> 2). */
  readonly dwords: Int32Array;
  /** Aligned word view of `bytes` (index = address >> 1). */
  readonly words: Uint16Array;
  readonly pageCount: number;

  constructor(sizeInBytes: number) {
    const pages = Math.max(1, Math.ceil(sizeInBytes / PAGE_SIZE));
    this.size = pages * PAGE_SIZE;
    this.pageCount = pages;
    this.bytes = new Uint8Array(this.size);
    this.dwords = new Int32Array(this.bytes.buffer);
    this.words = new Uint16Array(this.bytes.buffer);
  }

  /** True when [address, address + length) is backed by RAM. */
  contains(address: number, length = 1): boolean {
    return address >= 0 && address + length <= this.size;
  }

  read8(address: number): number {
    return address >= 0 && address < this.size ? this.bytes[address] : 0xFF;
  }

  read16(address: number): number {
    return this.read8(address) | (this.read8(address + 1) << 8);
  }

  /** Unsigned 32-bit read. */
  read32(address: number): number {
    if ((address & 3) === 0 && address >= 0 && address + 4 <= this.size) return this.dwords[address >>> 2] >>> 0;
    return (this.read8(address) | (this.read8(address + 1) << 8) | (this.read8(address + 2) << 16) | (this.read8(address + 3) << 24)) >>> 0;
  }

  write8(address: number, value: number): void {
    if (address >= 0 && address < this.size) this.bytes[address] = value;
  }

  write16(address: number, value: number): void {
    this.write8(address, value & 0xFF);
    this.write8(address + 1, (value >>> 8) & 0xFF);
  }

  write32(address: number, value: number): void {
    if ((address & 3) === 0 && address >= 0 && address + 4 <= this.size) {
      this.dwords[address >>> 2] = value;
      return;
    }
    this.write8(address, value & 0xFF);
    this.write8(address + 1, (value >>> 8) & 0xFF);
    this.write8(address + 2, (value >>> 16) & 0xFF);
    this.write8(address + 3, (value >>> 24) & 0xFF);
  }

  /** Copies bytes in; the part past the end of RAM is dropped. */
  load(address: number, data: Uint8Array): void {
    const start = Math.max(0, address);
    const end = Math.min(this.size, address + data.length);
    if (end > start) this.bytes.set(data.subarray(start - address, end - address), start);
  }

  /** Copies bytes out; the part past the end of RAM reads as 0xFF. */
  slice(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.read8(address + i);
    return out;
  }
}
