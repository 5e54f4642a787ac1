/** The hub as the bench runs it: a child process started exactly as `npm run hub` starts it, and its trackers registered over REST. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { REPO, freePort, startChild, waitFor, type Child } from './processes.ts';
import type { BenchDevice } from './protocol.ts';


export interface HubProcess {
  child: Child;
  httpUrl: string;
  mqttPort: number;
  token: string;
  /** where `--cpu-prof` writes, when profiling */
  profileDir: string | undefined;
  /** its HUB_DATA_DIR */
  dataDir: string;
}

export interface HubProcessOptions {
  /** folder of the hub's HUB_DATA_DIR (and profile) */
  work: string;
  /** InfluxDB the hub writes to; without it, the embedded SQLite store under HUB_DATA_DIR */
  influxUrl?: string;
  influxDb?: string;
  profile: boolean;
  /** hub log lines at error level and above go here */
  log: (line: string) => void;
  /** more settings (REDIS_URL, HUB_INSTANCE_ID for a cluster) */
  env?: Record<string, string>;
  /** a name for its data folder under `work` (default `hub-data`) */
  name?: string;
}

/** Starts the hub on free loopback ports (tracker gateways off) and waits until its health answers. Stop it with `child.stop()`. */
export async function startHubProcess(o: HubProcessOptions): Promise<HubProcess> {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const token = `bench-admin-${randomBytes(16).toString('hex')}`;
  const dataDir = join(o.work, o.name ?? 'hub-data');
  const profileDir = o.profile ? join(o.work, 'profile') : undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_PORT: String(httpPort), MQTT_PORT: String(mqttPort), TELTONIKA_PORT: '0', WIALON_PORT: '0', GT06_PORT: '0',
    HTTP_HOST: '127.0.0.1', HUB_DATA_DIR: dataDir, HUB_ADMIN_TOKEN: token, LOG_LEVEL: 'warn', ...o.env,
  };
  delete env.INFLUX_URL;
  if (o.influxUrl) env.INFLUX_URL = o.influxUrl;
  if (o.influxDb) env.INFLUX_DB = o.influxDb;
  // The flags of `npm run hub` (package.json): the bench measures the production entry point.
  const args = ['--max-semi-space-size=64', '--import', 'tsx', ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), 'services/hub/main.ts'];
  const child = startChild('hub', process.execPath, args, { cwd: REPO, env }, (line) => {
    if (/"level":(50|60)|error/i.test(line)) o.log(`hub: ${line.slice(0, 300)}`);
  });
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const up = await waitFor(async () => {
    if (child.proc.exitCode !== null) return true;
    const res = await fetch(`${httpUrl}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  }, 120_000, 250);
  if (!up || child.proc.exitCode !== null) {
    await child.stop();
    throw new Error(`the hub did not come up:\n${child.output()}`);
  }
  return { child, httpUrl, mqttPort, token, profileDir, dataDir };
}

/** Registers `count` MQTT trackers (`bench-trk-N`, vehicle `bench-veh-N`) and keeps their secrets. */
export async function registerDevices(hub: HubProcess, count: number): Promise<BenchDevice[]> {
  const devices: BenchDevice[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const id = `bench-trk-${index}`;
      const res = await fetch(`${hub.httpUrl}/api/v1/devices`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id, kind: 'tracker', protocol: 'mqtt', imei: String(350_000_000_000_000 + index), vehicleId: `bench-veh-${index}`, routeId: `bench-route-${index % 10}`,
        }),
      });
      const body = (await res.json()) as { secret?: string };
      if (res.status !== 201 || !body.secret) throw new Error(`registering ${id}: HTTP ${res.status} ${JSON.stringify(body)}`);
      devices.push({ id, secret: body.secret, index });
    }
  };
  // Each registration costs the hub a scrypt hash: a few at once keep its thread pool busy.
  await Promise.all(Array.from({ length: 8 }, worker));
  return devices.sort((a, b) => a.index - b.index);
}
