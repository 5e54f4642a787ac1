/**
 * Runs the demo city's Teltonika and Wialon IPS trackers: each keeps a TCP connection to its
 * gateway, as a real tracker does, and reports its vehicle's position every interval.
 */
import type { DeviceCreate } from '../../services/contracts/index.ts';
import { TeltonikaTcpClient } from '../protocols/teltonika.ts';
import { WialonTcpClient } from '../protocols/wialon.ts';
import type { GtfsFeed } from '../../services/transit/gtfs/model.ts';
import { buildCityModels, type SimulatedVehicle } from './models.ts';

export interface TrackerSimulatorOptions {
  host: string;
  ports: { teltonika: number; wialon: number };
  devices: readonly DeviceCreate[];
  intervalMs?: number;
  seed?: number;
  clock?: () => number;
  warn?: (msg: string) => void;
  /** the feed whose blocks the vehicles run (see buildCityModels); default: they drive back and forth */
  gtfs?: GtfsFeed;
}

type Client = { send(ms: number): Promise<void>; close(): void };

async function connect(d: DeviceCreate, model: SimulatedVehicle, o: TrackerSimulatorOptions): Promise<Client> {
  if (d.protocol === 'teltonika') {
    const c = new TeltonikaTcpClient();
    if (!(await c.connect(o.host, o.ports.teltonika, d.imei!))) throw new Error(`teltonika login of ${d.id} refused`);
    return {
      send: async (ms) => {
        const p = model.position(ms);
        await c.sendRecords([{ ts: ms, lat: p.lat, lon: p.lon, speedKmh: p.speedKmh, courseDeg: p.courseDeg, satellites: p.satellites, altitudeM: p.altitudeM }]);
      },
      close: () => c.close(),
    };
  }
  const c = new WialonTcpClient('2.0');
  await c.connect(o.host, o.ports.wialon);
  if ((await c.login(d.imei!)) !== '1') throw new Error(`wialon login of ${d.id} refused`);
  return {
    send: async (ms) => {
      const p = model.position(ms);
      await c.sendData({ ts: ms, lat: p.lat, lon: p.lon, speedKmh: p.speedKmh, courseDeg: p.courseDeg, satellites: p.satellites, altitudeM: p.altitudeM });
    },
    close: () => c.close(),
  };
}

export function startTrackerSimulator(o: TrackerSimulatorOptions): { stop(): void } {
  const clock = o.clock ?? Date.now;
  const interval = o.intervalMs ?? 5_000;
  const trackers = o.devices.filter((d) => d.kind === 'tracker' && (d.protocol === 'teltonika' || d.protocol === 'wialon-ips'));
  const models = buildCityModels(o.devices, { seed: o.seed, ...(o.gtfs ? { gtfs: o.gtfs } : {}) });
  const timers: NodeJS.Timeout[] = [];
  const open = new Set<Client>();
  let stopped = false;

  trackers.forEach((d, i) => {
    const entry = models.get(d.id);
    if (entry?.kind !== 'tracker') return;
    let client: Client | undefined;
    const tick = async () => {
      if (stopped) return;
      try {
        if (!client) {
          client = await connect(d, entry.model, o);
          open.add(client);
        }
        // Whole seconds: Wialon IPS carries time to the second.
        await client.send(Math.floor(clock() / 1000) * 1000);
      } catch (err) {
        o.warn?.(`tracker ${d.id}: ${(err as Error).message}; reconnecting`);
        if (client) {
          client.close();
          open.delete(client);
        }
        client = undefined;
      }
    };
    // Spread the trackers over the interval, as the MQTT simulator does.
    timers.push(setTimeout(() => {
      void tick();
      timers.push(setInterval(() => void tick(), interval));
    }, (i * interval) / Math.max(1, trackers.length)));
  });

  return {
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const c of open) c.close();
    },
  };
}
