import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { FrameBuffer } from './frame-buffer.ts';
import { createLoginGuard } from './login-guard.ts';
import { GatewayMetrics, type FrameResult } from './metrics.ts';
import { DEFAULT_LIMITS, silentLogger } from './types.ts';
import type { GatewayDeps, GatewayLimits, GatewayLogger, GatewayOptions, TrackerProtocol } from './types.ts';

/** What a session says after looking at the buffer: handled one frame, needs more bytes, or hang up. */
export type StepResult = 'next' | 'wait' | 'close';

export interface Connection {
  readonly remote: string;
  /** the peer's address alone, what login limits count by */
  readonly address: string;
  send(bytes: Buffer | string): void;
  /** Sends a last reply (if any), then closes the connection. */
  closeWith(bytes?: Buffer | string): void;
  readonly closed: boolean;
}

export interface Session {
  /** Handles at most one complete frame from the front of `buf`, consuming it. */
  step(buf: FrameBuffer): Promise<StepResult>;
  readonly loggedIn: boolean;
}

export interface TcpServerOptions {
  host: string;
  port: number;
  limits: GatewayLimits;
  metrics: GatewayMetrics;
  logger: GatewayLogger;
  createSession(conn: Connection): Session;
}

export interface RunningTcpServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * The socket plumbing the three gateways share: connection cap, idle and login timeouts, a
 * bounded buffer per connection, frames handled one at a time with the socket paused (TCP
 * back-pressure instead of memory), and no exception ever leaving a socket callback.
 */
export async function startTcpServer(opts: TcpServerOptions): Promise<RunningTcpServer> {
  const { limits, metrics, logger } = opts;
  const sockets = new Set<Socket>();

  const server = createServer({ pauseOnConnect: false, noDelay: true }, (socket) => {
    try {
      if (sockets.size >= limits.maxConnections) {
        metrics.connectionRefused();
        socket.on('error', () => {});
        socket.destroy();
        return;
      }
      serve(socket);
    } catch (err) {
      logger.error({ err }, 'gateway: connection setup failed');
      socket.destroy();
    }
  });

  function serve(socket: Socket): void {
    sockets.add(socket);
    metrics.connectionOpened();
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const buf = new FrameBuffer(limits.maxFrameBytes);
    let pumping = false;
    let closed = false;

    const conn: Connection = {
      remote,
      address: socket.remoteAddress ?? '?',
      get closed() {
        return closed || socket.destroyed;
      },
      send(bytes) {
        if (!conn.closed && socket.writable) socket.write(bytes);
      },
      closeWith(bytes) {
        if (conn.closed) return;
        closed = true;
        if (bytes !== undefined && socket.writable) socket.end(bytes);
        else socket.end();
        // A peer that never reads would keep the half-closed socket forever.
        setTimeout(() => socket.destroy(), 2_000).unref();
      },
    };
    const session = opts.createSession(conn);

    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('timeout', () => {
      logger.debug({ remote }, 'gateway: idle connection closed');
      socket.destroy();
    });
    const loginTimer = setTimeout(() => {
      if (!session.loggedIn && !conn.closed) {
        logger.debug({ remote }, 'gateway: no login in time');
        socket.destroy();
      }
    }, limits.loginTimeoutMs);
    loginTimer.unref();

    socket.on('error', (err) => logger.debug({ remote, err: err.message }, 'gateway: socket error'));
    socket.on('close', () => {
      clearTimeout(loginTimer);
      sockets.delete(socket);
      metrics.connectionClosed();
      buf.clear();
    });

    socket.on('data', (chunk: Buffer) => {
      try {
        if (conn.closed) return;
        if (!buf.push(chunk)) {
          metrics.frame('too-large' satisfies FrameResult);
          logger.warn({ remote, buffered: buf.length, limit: limits.maxFrameBytes }, 'gateway: frame larger than the limit; connection closed');
          closed = true;
          socket.destroy();
          return;
        }
        void pump();
      } catch (err) {
        logger.error({ remote, err }, 'gateway: data handler failed');
        socket.destroy();
      }
    });

    async function pump(): Promise<void> {
      if (pumping) return;
      pumping = true;
      socket.pause();
      try {
        while (!conn.closed && buf.length > 0) {
          const r = await session.step(buf);
          if (r === 'close') {
            conn.closeWith();
            break;
          }
          if (r === 'wait') break;
        }
      } catch (err) {
        logger.error({ remote, err }, 'gateway: frame handler failed; connection closed');
        closed = true;
        socket.destroy();
      } finally {
        pumping = false;
        if (!conn.closed && !socket.destroyed) socket.resume();
      }
    }
  }

  server.maxConnections = limits.maxConnections + 16;
  server.on('error', (err) => logger.error({ err }, 'gateway: server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** A started gateway's TCP server, and what its sessions were given (Teltonika's UDP uses them too). */
export interface RunningTcpGateway {
  tcp: RunningTcpServer;
  host: string;
  deps: GatewayDeps;
}

/**
 * What every tracker gateway sets up the same way: its limits (the protocol's defaults, then the
 * caller's), logger, metrics, the deps its sessions use, and the TCP server on the options' host
 * and port.
 */
export async function startTcpGateway(
  protocol: TrackerProtocol,
  opts: GatewayOptions,
  protocolLimits: Partial<GatewayLimits>,
  createSession: (conn: Connection, deps: GatewayDeps, limits: GatewayLimits) => Session,
): Promise<RunningTcpGateway> {
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...protocolLimits, ...opts.limits };
  const logger = opts.logger ?? silentLogger;
  const metrics = new GatewayMetrics(protocol, opts.registry);
  const now = opts.now ?? Date.now;
  const login = createLoginGuard(protocol, opts.lookupTracker, { limits, metrics, logger, now });
  const deps: GatewayDeps = { ingest: opts.ingest, login, metrics, logger, now };
  const host = opts.host ?? '0.0.0.0';
  const started = await startTcpServer({ host, port: opts.port, limits, metrics, logger, createSession: (conn) => createSession(conn, deps, limits) });
  const tcp: RunningTcpServer = {
    ...started,
    close: async () => {
      login.close();
      await started.close();
    },
  };
  logger.info({ port: tcp.port }, `${protocol} gateway listening`);
  return { tcp, host, deps };
}
