// A growable byte array: sections are written byte by byte without per-byte array allocations.
export class ByteBuffer {
  private storage = new Uint8Array(256);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.storage.length) return;
    let capacity = this.storage.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.storage.subarray(0, this.length));
    this.storage = grown;
  }

  push(byte: number): void {
    this.reserve(1);
    this.storage[this.length++] = byte & 0xff;
  }

  append(bytes: ArrayLike<number>): void {
    this.reserve(bytes.length);
    for (let index = 0; index < bytes.length; index++) this.storage[this.length++] = bytes[index] & 0xff;
  }

  fill(byte: number, count: number): void {
    this.reserve(count);
    this.storage.fill(byte & 0xff, this.length, this.length + count);
    this.length += count;
  }

  toUint8Array(): Uint8Array {
    return this.storage.slice(0, this.length);
  }
}
