/**
 * The demo city's energy data, set up the way an energy manager and an installer would: the
 * buildings registered over REST, each meter given its resource and unit, a weather station
 * publishing `v1/energy/{stationId}/weather`, and — once, at first start — a year of history
 * (hourly registers of every meter through the readings CSV import, hourly temperatures over
 * MQTT), loaded in the background a meter at a time so the hub stays live meanwhile.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { topics, type DeviceCreate } from '../../services/contracts/index.ts';
import type { TariffPut } from '../../services/contracts/energy.ts';
import { buildingTypeFor, EnergyMeterModel, historyReadings, meterSpecFor, meterUnitFor, weatherReading, type BuildingType } from './energy-model.ts';
import { between, hashString } from './random.ts';

const HOUR = 3_600_000;
export const DEMO_WEATHER_STATION = 'demo-weather-01';
const CONTRACT_TYPE: Record<BuildingType, 'school' | 'kindergarten' | 'hospital' | 'office' | 'other'> = {
  school: 'school', kindergarten: 'kindergarten', hospital: 'hospital', clinic: 'hospital', office: 'office', culture: 'other',
};
/** Heated area, m², of a typical building of the type. */
const AREA: Record<BuildingType, readonly [number, number]> = {
  school: [3500, 9000], kindergarten: [1200, 2600], hospital: [8000, 24000], clinic: [1500, 4000], office: [1500, 6000], culture: [800, 3000],
};

/** The resource and unit of a demo meter, from its id. */
export function demoMeterRegistration(device: { id: string; name?: string | undefined }): { resource: 'electricity' | 'heat' | 'water'; unit: 'kWh' | 'Gcal' | 'm3' } {
  const unit = meterUnitFor(device);
  return unit === 'Gcal' ? { resource: 'heat', unit } : unit === 'm3' ? { resource: 'water', unit } : { resource: 'electricity', unit: 'kWh' };
}

/** The buildings of the demo meters: name from the meter's name, type from the id, a plausible area. */
export function demoBuildings(meters: readonly DeviceCreate[]): Map<string, { name: string; type: string; areaM2: number; lat?: number; lon?: number }> {
  const out = new Map<string, { name: string; type: string; areaM2: number; lat?: number; lon?: number }>();
  for (const m of meters) {
    if (m.kind !== 'energy-meter' || !m.buildingId || out.has(m.buildingId)) continue;
    const type = buildingTypeFor(m);
    const [lo, hi] = AREA[type];
    out.set(m.buildingId, {
      name: (m.name ?? m.buildingId).split(':')[0]!.trim(),
      type: CONTRACT_TYPE[type],
      areaM2: Math.round(between(lo, hi, hashString(m.buildingId), 7) / 10) * 10,
      ...(m.lat !== undefined ? { lat: m.lat } : {}),
      ...(m.lon !== undefined ? { lon: m.lon } : {}),
    });
  }
  return out;
}

/**
 * The demo city's tariffs (UAH per unit, VAT included, of the order Kropyvnytskyi's budget
 * institutions pay): electricity with a price change on 1 January 2026, heat per Gcal, water and
 * sewage per m3. Dates from 2024 and open-ended, so a year of history is priced whenever the demo runs.
 */
export const DEMO_TARIFFS: Readonly<Record<string, TariffPut>> = {
  'demo-el-2024': { resource: 'electricity', unit: 'kWh', priceUAH: 4.32, validFrom: '2024-01-01', validTo: '2026-01-01', note: 'демо' },
  'demo-el-2026': { resource: 'electricity', unit: 'kWh', priceUAH: 4.89, validFrom: '2026-01-01', note: 'демо' },
  'demo-heat': { resource: 'heat', unit: 'Gcal', priceUAH: 3810.5, validFrom: '2024-01-01', note: 'демо' },
  'demo-water': { resource: 'water', unit: 'm3', priceUAH: 41.6, validFrom: '2024-01-01', note: 'демо: вода і водовідведення' },
};

export interface DemoEnergyOptions {
  httpUrl: string;
  mqttUrl: string;
  token: string;
  dataDir: string;
  meters: readonly DeviceCreate[];
  /** the weather station's MQTT secret */
  stationSecret: string;
  log(msg: string): void;
  now?: () => number;
  /** the history waits this long after start, so the live city connects first (default 30 s) */
  historyDelayMs?: number;
  /** pause between two meters' imports (default 250 ms) */
  pauseMs?: number;
}

export interface DemoEnergy {
  /** resolves when the history is loaded (at once when it was loaded at an earlier start) */
  history: Promise<void>;
  stop(): Promise<void>;
}

/** Registers the buildings, starts the weather station and loads the history in the background. */
export async function startDemoEnergy(o: DemoEnergyOptions): Promise<DemoEnergy> {
  const now = o.now ?? Date.now;
  const call = async (method: string, path: string, body: string, contentType = 'application/json'): Promise<Response> => {
    const res = await fetch(`${o.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${o.token}`, 'content-type': contentType }, body });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res;
  };
  for (const [id, b] of demoBuildings(o.meters)) await call('PUT', `/api/v1/energy/buildings/${encodeURIComponent(id)}`, JSON.stringify(b));
  // Tariffs only while there are none: an energy manager's own are left alone at a restart.
  const kept = (await (await fetch(`${o.httpUrl}/api/v1/energy/tariffs`, { headers: { authorization: `Bearer ${o.token}` } })).json()) as unknown[];
  if (Array.isArray(kept) && kept.length === 0) {
    for (const [id, t] of Object.entries(DEMO_TARIFFS)) await call('PUT', `/api/v1/energy/tariffs/${id}`, JSON.stringify(t));
  }

  let stopped = false;
  const station: MqttClient = await mqtt.connectAsync(o.mqttUrl, { username: DEMO_WEATHER_STATION, password: o.stationSecret, reconnectPeriod: 5_000 });
  // A reconnect that times out (a hub busy loading) is an 'error' event: without a listener it
  // would end the whole process. The client reconnects by itself.
  station.on('error', (err) => o.log(`demo energy: weather station: ${err.message}; reconnecting`));
  const sendWeather = (ms: number) => station.publishAsync(topics.weather(DEMO_WEATHER_STATION), JSON.stringify(weatherReading(ms)), { qos: 1 });
  void sendWeather(now()).catch(() => {});
  const timer = setInterval(() => void sendWeather(now()).catch(() => {}), 5 * 60_000);

  const marker = join(o.dataDir, 'demo-energy-history.json');
  const history = existsSync(marker)
    ? Promise.resolve()
    : (async () => {
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        await sleep(o.historyDelayMs ?? 30_000);
        if (stopped) return;
        o.log('demo energy: loading a year of history in the background');
        const to = Math.floor(now() / HOUR) * HOUR;
        const from = to - 365 * 24 * HOUR;
        const started = performance.now();
        let readings = 0;
        for (let ms = from, n = 0; ms < to && !stopped; ms += HOUR, n++) {
          await sendWeather(ms + HOUR / 2);
          if (n % 500 === 499) await sleep(o.pauseMs ?? 250);
        }
        for (const m of o.meters) {
          if (stopped) return;
          if (m.kind !== 'energy-meter') continue;
          const model = new EnergyMeterModel(meterSpecFor(m, 1));
          const rows = ['meterId,ts,value,unit'];
          for (const r of historyReadings(model, from, to, HOUR)) rows.push(`${m.id},${r.ts},${r.value},${r.unit}`);
          await call('POST', '/api/v1/energy/readings/import', rows.join('\n'), 'text/csv');
          readings += rows.length - 1;
          // let the live city breathe between meters
          await sleep(o.pauseMs ?? 250);
        }
        if (stopped) return;
        writeFileSync(marker, JSON.stringify({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), readings }));
        o.log(`demo energy: a year of history loaded (${readings} readings of ${o.meters.filter((m) => m.kind === 'energy-meter').length} meters, hourly temperatures) in ${Math.round((performance.now() - started) / 1000)} s`);
      })().catch((err: unknown) => o.log(`demo energy: history not loaded: ${(err as Error).message}`));
  return {
    history,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await station.endAsync(true);
    },
  };
}
