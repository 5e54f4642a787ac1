import type { Registry } from 'prom-client';
import type { Ingest } from '../../services/ingest/ingest.ts';
import type { LoginGuard } from './login-guard.ts';
import type { GatewayMetrics } from './metrics.ts';

export type TrackerProtocol = 'teltonika' | 'wialon-ips' | 'gt06';

/** Finds the registered tracker (kind tracker, this protocol, this IMEI); null refuses it. */
export type TrackerLookup = (
  protocol: TrackerProtocol,
  imei: string,
) => { deviceId: string } | null | Promise<{ deviceId: string } | null>;

/** The subset of pino the gateways use; pino loggers fit as they are. */
export interface GatewayLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface GatewayLimits {
  /** Open TCP connections per gateway; more are closed on accept. */
  maxConnections: number;
  /** A connection silent for this long is closed. */
  idleTimeoutMs: number;
  /** The largest frame (and so the largest per-connection buffer) accepted, in bytes. */
  maxFrameBytes: number;
  /** How long a connection may wait for its first valid frame (login). */
  loginTimeoutMs: number;
  /** Refused logins (unknown ids) an address may have in a row before it is held back... */
  refusedLoginBurst: number;
  /** ...and how many a minute after that; while held back every login from it is refused unseen. */
  refusedLoginsPerMinute: number;
  /** Refused logins are logged once in full per interval, then as one line with the count. */
  refusalLogIntervalMs: number;
}

export interface GatewayOptions {
  host?: string;
  /** 0 picks a free port; the chosen one is in the result. */
  port: number;
  ingest: Ingest;
  lookupTracker: TrackerLookup;
  logger?: GatewayLogger;
  registry?: Registry;
  limits?: Partial<GatewayLimits>;
  /** Clock for "NA" times and the future-timestamp check; tests may pin it. */
  now?: () => number;
}

export interface Gateway {
  port: number;
  udpPort?: number;
  close(): Promise<void>;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxConnections: 10_000,
  idleTimeoutMs: 10 * 60_000,
  maxFrameBytes: 64 * 1024,
  loginTimeoutMs: 60_000,
  // Generous: trackers on one mobile carrier can share an address (CGNAT), and a misconfigured
  // one retries every half minute or so.
  refusedLoginBurst: 20,
  refusedLoginsPerMinute: 10,
  refusalLogIntervalMs: 60_000,
};

export const silentLogger: GatewayLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** What a gateway session needs of the hub, the same for every protocol. */
export interface GatewayDeps {
  ingest: Ingest;
  /** Looks a login id up, per address rate-limited and logged (login-guard.ts). */
  login: LoginGuard;
  metrics: GatewayMetrics;
  logger: GatewayLogger;
  now: () => number;
}
