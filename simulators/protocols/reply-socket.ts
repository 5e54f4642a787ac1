import { Socket } from 'node:net';

/**
 * How many bytes at the front of `buf` make one complete reply; 0 while it is not complete yet.
 * A Teltonika ACK is a fixed number of bytes, a Wialon IPS answer a line.
 */
export type ReplyFraming = (buf: Buffer) => number;

export const fixedLength =
  (bytes: number): ReplyFraming =>
  (buf) => (buf.length >= bytes ? bytes : 0);

export const crlfLine: ReplyFraming = (buf) => {
  const at = buf.indexOf('\r\n');
  return at < 0 ? 0 : at + 2;
};

/**
 * A TCP connection to a tracker gateway, as a tracker holds it: one request at a time, each
 * answered by one reply. A reply that does not come in time, an error or the server closing
 * the connection fails the request that waits.
 */
export class ReplySocket {
  private socket: Socket | null = null;
  private pending: Buffer = Buffer.alloc(0);
  private waiter: { framing: ReplyFraming; resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;

  constructor(private readonly timeoutMs: number) {}

  async connect(host: string, port: number): Promise<void> {
    const socket = new Socket();
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      this.flush();
    });
    const fail = (err: Error) => {
      const w = this.waiter;
      this.waiter = null;
      w?.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the server')));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  }

  /** Writes `bytes` and resolves the reply that `framing` cuts from what comes back. */
  request(bytes: Buffer | string, framing: ReplyFraming): Promise<Buffer> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('not connected'));
    const reply = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiter = {
        framing,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
    socket.write(bytes);
    this.flush();
    return reply;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private flush(): void {
    const w = this.waiter;
    if (!w) return;
    const n = w.framing(this.pending);
    if (n === 0) return;
    const reply = Buffer.from(this.pending.subarray(0, n));
    this.pending = this.pending.subarray(n);
    this.waiter = null;
    w.resolve(reply);
  }
}
