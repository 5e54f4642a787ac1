/**
 * Runs the demo city against an MQTT broker: one connection per device, authenticated as the
 * device (username = device id, password = its secret), publishing to the contract topics and,
 * for lighting cabinets, obeying commands. Publishes are spread over each interval so a few
 * hundred devices make a steady trickle rather than a burst every five seconds.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { type DeviceCreate, topics } from '../../services/contracts/index.ts';
import type { GtfsFeed } from '../../services/transit/gtfs/model.ts';
import { buildCityModels, type DeviceModel } from './models.ts';
import { between, hashString, unit } from './random.ts';

export type SimChannel = 'position' | 'lighting-state' | 'lighting-cmd-ack' | 'energy-reading';

export interface SimLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface CitySimulatorOptions {
  /** e.g. mqtt://127.0.0.1:1883 or ws://127.0.0.1:8080/mqtt */
  mqttUrl: string;
  /** device id → MQTT secret; devices without one are not started */
  credentials: ReadonlyMap<string, string>;
  devices: readonly DeviceCreate[];
  /**
   * Reporting interval in ms: one number for every device, or per kind.
   * Defaults: positions 5 s, lighting state 10 s, energy readings 15 s.
   */
  intervalMs?: number | Partial<Record<'position' | 'lighting' | 'energy', number>>;
  /** the simulated time, epoch ms; default Date.now */
  clock?: () => number;
  logger?: SimLogger;
  seed?: number;
  /** simulate lighting faults, including controllers going silent (default true) */
  faults?: boolean;
  /** connections are opened over this many ms at start (default 2000) */
  connectSpreadMs?: number;
  /** MQTT protocol version (default 4, i.e. 3.1.1) */
  protocolVersion?: 4 | 5;
  /** the GTFS feed whose blocks the vehicles run (see buildCityModels); default: they drive back and forth */
  gtfs?: GtfsFeed;
}

export interface CitySimulatorStats {
  /** devices started (MQTT devices with credentials) */
  devices: number;
  /** devices left out: not MQTT, or no credentials */
  skipped: number;
  connected: number;
  /** messages acknowledged by the broker (PUBACK), per channel */
  published: Record<SimChannel, number>;
  /** samples not sent because the device was offline */
  offlineSkips: number;
  commandsApplied: number;
  commandsRejected: number;
  publishErrors: number;
  connectErrors: number;
}

export interface CitySimulator {
  stop(): Promise<void>;
  stats(): CitySimulatorStats;
}

const DEFAULT_INTERVALS = { position: 5_000, lighting: 10_000, energy: 15_000 } as const;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

interface Runner {
  id: string;
  entry: DeviceModel;
  client: MqttClient | null;
  intervalMs: number;
  timer: NodeJS.Timeout | null;
  reconnectTimer: NodeJS.Timeout | null;
  attempts: number;
  lastError: string | null;
  /** QoS 1 publishes not yet acknowledged by the broker */
  pending: number;
}

/** Keeps a broker outage from printing one line per device per retry. */
function limitedLogger(log: SimLogger | undefined): (msg: string) => void {
  let windowStart = 0;
  let inWindow = 0;
  let suppressed = 0;
  return (msg) => {
    if (!log) return;
    const now = performance.now();
    if (now - windowStart > 10_000) {
      if (suppressed > 0) log.warn(`city simulator: ${suppressed} similar messages suppressed`);
      windowStart = now;
      inWindow = 0;
      suppressed = 0;
    }
    if (++inWindow <= 5) log.warn(msg);
    else suppressed++;
  };
}

export function startCitySimulator(opts: CitySimulatorOptions): CitySimulator {
  const clock = opts.clock ?? Date.now;
  const intervals =
    typeof opts.intervalMs === 'number'
      ? { position: opts.intervalMs, lighting: opts.intervalMs, energy: opts.intervalMs }
      : { ...DEFAULT_INTERVALS, ...opts.intervalMs };
  for (const [k, v] of Object.entries(intervals)) {
    if (!(Number.isFinite(v) && v >= 50)) throw new Error(`intervalMs.${k} must be at least 50 ms, got ${v}`);
  }
  const connectSpreadMs = opts.connectSpreadMs ?? 2_000;
  const warn = limitedLogger(opts.logger);
  const stats: CitySimulatorStats = {
    devices: 0,
    skipped: 0,
    connected: 0,
    published: { position: 0, 'lighting-state': 0, 'lighting-cmd-ack': 0, 'energy-reading': 0 },
    offlineSkips: 0,
    commandsApplied: 0,
    commandsRejected: 0,
    publishErrors: 0,
    connectErrors: 0,
  };

  const runnable = opts.devices.filter((d) => d.protocol === 'mqtt' && opts.credentials.has(d.id));
  stats.skipped = opts.devices.length - runnable.length;
  const missing = opts.devices.filter((d) => d.protocol === 'mqtt' && !opts.credentials.has(d.id)).length;
  if (missing > 0) opts.logger?.warn(`city simulator: ${missing} MQTT devices have no credentials and stay off`);
  // Models are built over every device so a route's spacing does not depend on who has a secret.
  const models = buildCityModels(opts.devices, { seed: opts.seed ?? 1, faults: opts.faults ?? true, ...(opts.gtfs ? { gtfs: opts.gtfs } : {}) });
  let stopped = false;

  const runners: Runner[] = runnable.map((d) => {
    const entry = models.get(d.id)!;
    const intervalMs = entry.kind === 'tracker' ? intervals.position : entry.kind === 'lighting-controller' ? intervals.lighting : intervals.energy;
    return { id: d.id, entry, client: null, intervalMs, timer: null, reconnectTimer: null, attempts: 0, lastError: null, pending: 0 };
  });
  stats.devices = runners.length;

  const publish = (r: Runner, channel: SimChannel, topic: string, payload: object): void => {
    const client = r.client;
    if (!client?.connected) {
      stats.offlineSkips++;
      return;
    }
    r.pending++;
    client.publish(topic, JSON.stringify(payload), { qos: 1 }, (err) => {
      r.pending--;
      if (err) {
        if (!stopped) {
          stats.publishErrors++;
          warn(`city simulator: ${r.id} could not publish to ${topic}: ${err.message}`);
        }
      } else stats.published[channel]++;
    });
  };

  const report = (r: Runner): void => {
    const now = clock();
    const e = r.entry;
    switch (e.kind) {
      case 'tracker':
        publish(r, 'position', topics.position(r.id), e.model.position(now));
        break;
      case 'lighting-controller': {
        // Advanced even while offline: the cabinet keeps burning and counting.
        const state = e.model.state(now);
        if (state) publish(r, 'lighting-state', topics.lightingState(r.id), state);
        break;
      }
      case 'energy-meter':
        publish(r, 'energy-reading', topics.energyReading(r.id), e.model.reading(now));
        break;
    }
  };

  const onCommand = (r: Runner, payload: Buffer): void => {
    if (r.entry.kind !== 'lighting-controller') return;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      stats.commandsRejected++;
      warn(`city simulator: ${r.id} got a command that is not JSON`);
      return;
    }
    const now = clock();
    const ack = r.entry.model.command(json, now);
    if (!ack) return;
    if (ack.status === 'applied') stats.commandsApplied++;
    else stats.commandsRejected++;
    publish(r, 'lighting-cmd-ack', topics.lightingCommandAck(r.id), ack);
    // Report the new state at once: an operator waits for the lamps to follow.
    const state = r.entry.model.state(now);
    if (state) publish(r, 'lighting-state', topics.lightingState(r.id), state);
  };

  const scheduleReconnect = (r: Runner): void => {
    if (stopped || r.reconnectTimer || !r.client) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(r.attempts, 10));
    r.attempts++;
    // Jitter so that a hub restart is not answered by every device in the same millisecond.
    const delay = base * between(0.5, 1.5, hashString(r.id), r.attempts, Math.floor(performance.now()));
    r.reconnectTimer = setTimeout(() => {
      r.reconnectTimer = null;
      const client = r.client;
      // Keep the stores: messages in flight when the connection broke are sent again (QoS 1).
      if (!stopped && client) client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delay);
  };

  const connect = (r: Runner): void => {
    const options: IClientOptions = {
      clientId: r.id,
      username: r.id,
      password: opts.credentials.get(r.id)!,
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      // The simulator runs its own backoff: mqtt.js would retry at a fixed period, and not at
      // all after a refused CONNACK.
      reconnectPeriod: 0,
      protocolVersion: opts.protocolVersion ?? 4,
      queueQoSZero: false,
    };
    const client = mqtt.connect(opts.mqttUrl, options);
    r.client = client;
    client.on('connect', () => {
      r.attempts = 0;
      r.lastError = null;
      if (r.entry.kind === 'lighting-controller') {
        client.subscribe(topics.lightingCommand(r.id), { qos: 1 }, (err, granted) => {
          if (err) warn(`city simulator: ${r.id} could not subscribe to its commands: ${err.message}`);
          else if (granted?.some((g) => g.qos === 128)) warn(`city simulator: the broker refused ${r.id} its command topic`);
        });
      }
    });
    client.on('message', (topic, payload) => {
      if (topic === topics.lightingCommand(r.id)) onCommand(r, payload);
    });
    client.on('error', (err) => {
      stats.connectErrors++;
      if (r.lastError !== err.message) {
        r.lastError = err.message;
        warn(`city simulator: ${r.id}: ${err.message}`);
      }
    });
    client.on('close', () => {
      scheduleReconnect(r);
    });
  };

  const arm = (r: Runner): void => {
    // Each device keeps its own phase within the interval, fixed by its id.
    const phase = unit(hashString(r.id), 7) * r.intervalMs;
    let next = performance.now() + phase;
    const tick = () => {
      if (stopped) return;
      try {
        report(r);
      } catch (err) {
        opts.logger?.error(`city simulator: ${r.id} failed to report: ${(err as Error).message}`);
      }
      next += r.intervalMs;
      const now = performance.now();
      // After a stall (a paused debugger, a busy event loop) skip missed reports, do not burst.
      if (next < now) next = now + r.intervalMs;
      r.timer = setTimeout(tick, next - now);
    };
    r.timer = setTimeout(tick, phase);
  };

  for (const r of runners) {
    const delay = unit(hashString(r.id), 8) * connectSpreadMs;
    r.timer = setTimeout(() => {
      r.timer = null;
      if (stopped) return;
      connect(r);
      arm(r);
    }, delay);
  }
  const kinds = runners.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.entry.kind]: (acc[r.entry.kind] ?? 0) + 1 }), {});
  opts.logger?.info(
    `city simulator: ${runners.length} devices (${Object.entries(kinds)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}) → ${opts.mqttUrl}`,
  );

  return {
    stats: () => ({ ...stats, connected: runners.filter((r) => r.client?.connected).length, published: { ...stats.published } }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const r of runners) {
        if (r.timer) clearTimeout(r.timer);
        if (r.reconnectTimer) clearTimeout(r.reconnectTimer);
        r.timer = null;
        r.reconnectTimer = null;
      }
      // Give in-flight QoS 1 messages a moment to be acknowledged, then close every connection.
      const deadline = performance.now() + 2_000;
      while (runners.some((r) => r.pending > 0 && r.client?.connected) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await Promise.all(
        runners.map(
          (r) =>
            new Promise<void>((resolve) => {
              if (!r.client) return resolve();
              r.client.end(true, {}, () => resolve());
            }),
        ),
      );
    },
  };
}
