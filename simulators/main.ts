/**
 * Runs the demo city against a hub that is already running:
 *
 *   HUB_MQTT_URL=mqtt://127.0.0.1:1883 SIM_CREDENTIALS=./data/demo-credentials.json tsx simulators/main.ts
 *
 * The vehicles run the blocks of SIM_GTFS_PATH (default: the demo feed simulators/city/demo-gtfs/,
 * which should be the hub's GTFS_PATH too).
 *
 * SIM_CREDENTIALS is a JSON file of the secrets the hub issued, either `{ "deviceId": "secret" }`
 * or `[{ "id": "deviceId", "secret": "…" }]` (the shape of the registration answers). Only the
 * demo devices listed there are simulated. `npm start` does not use this: it starts the
 * simulator in-process through `startCitySimulator`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatIssue } from '../services/transit/gtfs/load.ts';
import { loadGtfsPath } from '../services/transit/gtfs/read.ts';
import { demoCity } from './city/demo-city.ts';
import { DEMO_GTFS_DIR } from './city/demo-gtfs.ts';
import { startCitySimulator } from './city/run-city.ts';

const count = (fallback: number) => z.coerce.number().int().min(0).max(100_000).default(fallback);
const Settings = z.object({
  HUB_MQTT_URL: z
    .string()
    .regex(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL')
    .default('mqtt://127.0.0.1:1883'),
  SIM_CREDENTIALS: z.string().min(1, 'must name the JSON file of device secrets'),
  SIM_VEHICLES: count(64),
  SIM_CONTROLLERS: count(30),
  SIM_METERS: count(200),
  SIM_SEED: z.coerce.number().int().default(1),
  SIM_INTERVAL_MS: z.coerce.number().int().min(50).optional(),
  /** the GTFS feed (zip or folder) whose blocks the vehicles run: the hub's GTFS_PATH; default the demo feed */
  SIM_GTFS_PATH: z.string().min(1).optional(),
});

const CredentialsFile = z.union([
  z.record(z.string(), z.string().min(1)),
  z.array(z.object({ id: z.string(), secret: z.string().min(1) }).loose()),
]);

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const env = Settings.safeParse(process.env);
if (!env.success) {
  fail(`simulator settings are invalid: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
}
const settings = env.data;

let file: unknown;
try {
  file = JSON.parse(readFileSync(settings.SIM_CREDENTIALS, 'utf8'));
} catch (e) {
  fail(`SIM_CREDENTIALS: cannot read ${settings.SIM_CREDENTIALS}: ${(e as Error).message}`);
}
const parsed = CredentialsFile.safeParse(file);
if (!parsed.success) fail(`SIM_CREDENTIALS: ${settings.SIM_CREDENTIALS} is neither {id: secret} nor [{id, secret}]`);
const credentials = new Map<string, string>(Array.isArray(parsed.data) ? parsed.data.map((c) => [c.id, c.secret] as const) : Object.entries(parsed.data));

const devices = demoCity({
  vehicles: settings.SIM_VEHICLES,
  controllers: settings.SIM_CONTROLLERS,
  meters: settings.SIM_METERS,
  seed: settings.SIM_SEED,
});
const log = {
  info: (m: string) => console.log(m),
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};
const gtfsPath = settings.SIM_GTFS_PATH ?? DEMO_GTFS_DIR;
const feed = loadGtfsPath(gtfsPath);
if (!feed.ok) fail(`SIM_GTFS_PATH: the feed at ${gtfsPath} has errors: ${feed.errors.slice(0, 5).map(formatIssue).join('; ')}`);
const sim = startCitySimulator({
  gtfs: feed.feed,
  mqttUrl: settings.HUB_MQTT_URL,
  credentials,
  devices,
  seed: settings.SIM_SEED,
  logger: log,
  ...(settings.SIM_INTERVAL_MS ? { intervalMs: settings.SIM_INTERVAL_MS } : {}),
});

const report = setInterval(() => {
  const s = sim.stats();
  const sent = Object.entries(s.published)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  log.info(`city simulator: ${s.connected}/${s.devices} connected; published ${sent}; offline skips ${s.offlineSkips}`);
}, 60_000);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info(`city simulator: ${signal}, stopping`);
  clearInterval(report);
  void sim.stop().then(() => process.exit(0));
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
