import { Socket } from 'node:net';
import type { DeviceMessage } from '../../services/contracts/index.ts';
import type { DeadLetterInput, Ingest, IngestSource } from '../../services/ingest/ingest.ts';
import type { TrackerLookup, TrackerProtocol } from '../../gateways/common/types.ts';

/** An Ingest that records what it is given and can be told to fail, to prove nothing is ACKed then. */
export class RecordingIngest implements Ingest {
  accepted: DeviceMessage[] = [];
  batches: Array<{ source: IngestSource; messages: readonly DeviceMessage[] }> = [];
  rejections: DeadLetterInput[] = [];
  failing = false;

  async accept(messages: readonly DeviceMessage[], source: IngestSource): Promise<void> {
    await new Promise((r) => setTimeout(r, 1));
    if (this.failing) throw new Error('spool unavailable');
    this.batches.push({ source, messages });
    this.accepted.push(...messages);
  }

  reject(input: DeadLetterInput): void {
    this.rejections.push(input);
  }
}

/** A registry of trackers by protocol and IMEI. */
export function lookupFrom(devices: Array<{ protocol: TrackerProtocol; imei: string; deviceId: string }>): TrackerLookup {
  return (protocol, imei) => {
    const d = devices.find((x) => x.protocol === protocol && x.imei === imei);
    return d ? { deviceId: d.deviceId } : null;
  };
}

/** A plain TCP client that reads exact byte counts, to look at the gateway's replies as a device would. */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.wake();
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** `localAddress` (any 127.x on Linux) plays a device at another address. */
  static async connect(port: number, localAddress?: string): Promise<RawClient> {
    const socket = new Socket();
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () => resolve());
    });
    return new RawClient(socket);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Resolves exactly n bytes, or rejects on timeout / close. */
  async read(n: number, timeoutMs = 3_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`closed after ${this.buf.length} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout after ${this.buf.length} of ${n} bytes`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return Buffer.from(out);
  }

  async readLine(timeoutMs = 3_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.buf.indexOf('\r\n');
      if (at >= 0) {
        const line = this.buf.toString('utf8', 0, at);
        this.buf = this.buf.subarray(at + 2);
        return line;
      }
      if (this.closed) throw new Error('closed before a full line');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for a line');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Asserts that no byte arrives for `ms` (the absence of an ACK). */
  async expectSilence(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.buf.length > 0) throw new Error(`expected no reply, got ${this.buf.toString('hex')}`);
  }

  /** Resolves true when the server closes the connection within the time. */
  async waitClosed(timeoutMs = 3_000): Promise<boolean> {
    return Promise.race([this.closedPromise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
  }

  get pendingBytes(): number {
    return this.buf.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

export const metricValue = async (text: string, name: string, labels: string): Promise<number> => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
};
