/** Thrown by ByteReader when a field would run past the frame; decoders turn it into a result. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Big-endian reads that check bounds first: a short frame is an error, never a RangeError. */
export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.pos = offset;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): number {
    if (n < 0 || this.pos + n > this.end) {
      throw new FrameError(`frame ends inside ${what} (needs ${n} byte${n === 1 ? '' : 's'} at offset ${this.pos}, ${Math.max(0, this.end - this.pos)} left)`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(what = 'a byte'): number {
    return this.buf.readUInt8(this.need(1, what));
  }
  u16(what = 'a 16-bit field'): number {
    return this.buf.readUInt16BE(this.need(2, what));
  }
  i16(what = 'a 16-bit field'): number {
    return this.buf.readInt16BE(this.need(2, what));
  }
  u24(what = 'a 24-bit field'): number {
    return this.buf.readUIntBE(this.need(3, what), 3);
  }
  u32(what = 'a 32-bit field'): number {
    return this.buf.readUInt32BE(this.need(4, what));
  }
  i32(what = 'a 32-bit field'): number {
    return this.buf.readInt32BE(this.need(4, what));
  }
  /** 64-bit unsigned as a number: exact up to 2^53, which covers epoch milliseconds and counters. */
  u64(what = 'a 64-bit field'): number {
    return Number(this.buf.readBigUInt64BE(this.need(8, what)));
  }
  bytes(n: number, what = 'a byte string'): Buffer {
    const at = this.need(n, what);
    return this.buf.subarray(at, at + n);
  }
  skip(n: number, what = 'skipped bytes'): void {
    this.need(n, what);
  }
}
