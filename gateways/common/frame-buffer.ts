/**
 * A bounded byte accumulator for one connection: TCP hands over arbitrary slices, frames are
 * cut out of the front. It never holds more than `maxBytes`, so a device (or an attacker)
 * announcing a 2 GB frame costs at most that much memory before the connection is closed.
 */
export class FrameBuffer {
  private buf: Buffer;
  private start = 0;
  private end = 0;

  constructor(readonly maxBytes: number, initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(Math.min(initialBytes, maxBytes));
  }

  get length(): number {
    return this.end - this.start;
  }

  /** The bytes held, without copying; valid until the next push or consume. */
  view(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  /** Appends a chunk; false (and nothing appended) when it would exceed the bound. */
  push(chunk: Uint8Array): boolean {
    if (this.length + chunk.length > this.maxBytes) return false;
    if (this.end + chunk.length > this.buf.length) {
      const needed = this.length + chunk.length;
      if (needed <= this.buf.length && this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const next = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(needed, this.buf.length * 2)));
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = next;
      }
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
    return true;
  }

  consume(n: number): void {
    this.start = Math.min(this.end, this.start + Math.max(0, n));
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
  }

  clear(): void {
    this.start = 0;
    this.end = 0;
  }

  /** Bytes allocated, for the memory-bound assertions of the fuzz test. */
  get capacity(): number {
    return this.buf.length;
  }
}
