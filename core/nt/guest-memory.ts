// The narrow view of guest memory the NT decoders need: the machine satisfies it, and so does a plain
// byte image, so every decoder is testable without a running CPU (STYLE.md 8).

/** Reads guest memory through the current address space without side effects (no A/D bits, no faults). */
export interface GuestMemoryReader {
  /** The bytes at `address`..`address + length - 1`, or undefined when any of them is unmapped. */
  readLinear(address: number, length: number): Uint8Array | undefined;
}

/** Reads physical memory, for the page walk of `nt.translate`. */
export interface PhysicalMemoryReader {
  /** The bytes at the physical address, or undefined when any of them lies outside RAM. */
  readPhysical(address: number, length: number): Uint8Array | undefined;
}

/** A decoder's answer: the decoded value, or a message a person understands. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function decoded<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

export function decodeFailure<T>(error: string): DecodeResult<T> {
  return { ok: false, error };
}

export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

export function byteAt(bytes: Uint8Array, offset: number): number {
  return bytes[offset] ?? 0;
}

export function wordAt(bytes: Uint8Array, offset: number): number {
  return (byteAt(bytes, offset) | (byteAt(bytes, offset + 1) << 8)) >>> 0;
}

export function dwordAt(bytes: Uint8Array, offset: number): number {
  return (wordAt(bytes, offset) | (wordAt(bytes, offset + 2) << 16)) >>> 0;
}

/** One little-endian dword of guest memory, or undefined when unmapped. */
export function readGuestDword(memory: GuestMemoryReader, address: number): number | undefined {
  const bytes = memory.readLinear(address >>> 0, 4);
  return bytes === undefined || bytes.length < 4 ? undefined : dwordAt(bytes, 0);
}

export function readGuestByte(memory: GuestMemoryReader, address: number): number | undefined {
  const bytes = memory.readLinear(address >>> 0, 1);
  return bytes === undefined || bytes.length < 1 ? undefined : bytes[0];
}

/** Adapts a reader that reports each byte, undefined where unmapped (the machine's `readLinear`). */
export function guestMemoryFromByteReader(readBytes: (address: number, length: number) => readonly (number | undefined)[]): GuestMemoryReader {
  return {
    readLinear(address: number, length: number): Uint8Array | undefined {
      if (!Number.isInteger(length) || length < 0) return undefined;
      const values = readBytes(address >>> 0, length);
      if (values.length < length) return undefined;
      const bytes = new Uint8Array(length);
      for (let index = 0; index < length; index++) {
        const value = values[index];
        if (value === undefined) return undefined;
        bytes[index] = value;
      }
      return bytes;
    },
  };
}

/** Physical memory held in one byte array from address 0 (the machine's RAM); past its end is not RAM. */
export function physicalMemoryFromBytes(ram: Uint8Array): PhysicalMemoryReader {
  return {
    readPhysical(address: number, length: number): Uint8Array | undefined {
      if (!Number.isInteger(address) || !Number.isInteger(length) || address < 0 || length < 0 || address + length > ram.length) return undefined;
      return ram.slice(address, address + length);
    },
  };
}

/**
 * Guest memory made of byte regions at linear addresses: a captured dump, or hand-built structures in
 * tests. Reads that touch any byte outside every region are unmapped, as on a machine.
 */
export class GuestMemoryImage implements GuestMemoryReader, PhysicalMemoryReader {
  private readonly regions: { start: number; bytes: Uint8Array }[] = [];

  /** Maps `bytes` at `address` (later regions win where they overlap earlier ones). */
  map(address: number, bytes: Uint8Array): this {
    this.regions.unshift({ start: address >>> 0, bytes });
    return this;
  }

  /** Maps `length` zero bytes at `address` and returns them for the caller to fill. */
  allocate(address: number, length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    this.map(address, bytes);
    return bytes;
  }

  readLinear(address: number, length: number): Uint8Array | undefined {
    if (!Number.isInteger(address) || !Number.isInteger(length) || length < 0) return undefined;
    const result = new Uint8Array(length);
    for (let index = 0; index < length; index++) {
      const byte = this.byteAtAddress((address + index) >>> 0);
      if (byte === undefined) return undefined;
      result[index] = byte;
    }
    return result;
  }

  readPhysical(address: number, length: number): Uint8Array | undefined {
    return this.readLinear(address, length);
  }

  private byteAtAddress(address: number): number | undefined {
    for (const region of this.regions) {
      const offset = address - region.start;
      if (offset >= 0 && offset < region.bytes.length) return region.bytes[offset];
    }
    return undefined;
  }
}
