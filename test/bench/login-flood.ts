/**
 * A tracker's PUBACK latency while failed logins hammer the hub (issue 14, item 5). Not a test:
 * it prints figures. Each mode starts its own hub as a child process (from --root, so a copy of
 * another commit can be measured the same way), registers an MQTT tracker that publishes a QoS 1
 * position every 50 ms, and measures publish → PUBACK while 16 clients send failed logins
 * back to back:
 *   none  no logins (the baseline)
 *   one   16 concurrent failed logins from one address, for one user
 *   many  16 concurrent failed logins, each from a new address (127.1.x.y) for a new user name:
 *         a password spray from a botnet, which no per-key throttle can hold back
 *
 *   npx tsx test/bench/login-flood.ts [--root DIR] [--seconds 20] [--modes none,one,many]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { makeTempDir } from '../support/temp-dir.ts';
import { REPO, sleep } from './processes.ts';
import { quantile, round } from './stats.ts';

const TOKEN = 'bench-admin-token-0123456789abcdef';
const { values: args } = parseArgs({
  options: { root: { type: 'string', default: REPO }, seconds: { type: 'string', default: '20' }, modes: { type: 'string', default: 'none,one,many' } },
});
const seconds = Number(args.seconds);

interface Hub {
  child: ChildProcess;
  http: number;
  mqtt: number;
}

function startHub(root: string, dataDir: string): Promise<Hub> {
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', 'services/hub/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH, HTTP_PORT: '0', MQTT_PORT: '0', TELTONIKA_PORT: '0', WIALON_PORT: '0', GT06_PORT: '0',
      HTTP_HOST: '127.0.0.1', HUB_DATA_DIR: dataDir, HUB_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const onData = (d: Buffer) => {
      log += d.toString();
      const line = log.split('\n').find((l) => l.includes('"mistohub is up"'));
      if (!line) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      const { http, mqtt: mqttPort } = JSON.parse(line) as { http: number; mqtt: number };
      resolve({ child, http, mqtt: mqttPort });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`hub exited with ${code}:\n${log.slice(-2000)}`)));
  });
}

function post(port: number, path: string, body: unknown, opts: { token?: string; localAddress?: string } = {}): Promise<{ status: number; body: string }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1', port, path, method: 'POST', agent: false, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
      },
      (res) => {
        let out = '';
        res.on('data', (d: Buffer) => (out += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function measure(mode: string): Promise<Record<string, unknown>> {
  const temp = makeTempDir('login-flood');
  const hub = await startHub(args.root, temp.path);
  try {
    const reg = await post(hub.http, '/api/v1/devices', { id: 'trk-bench', kind: 'tracker', protocol: 'mqtt', imei: '356307042440001', vehicleId: 'TB-1', routeId: 'T1' }, { token: TOKEN });
    const { secret } = JSON.parse(reg.body) as { secret: string };
    await post(hub.http, '/api/v1/users', { username: 'dispatcher1', password: 'a-real-password-123', roles: ['dispatcher'] }, { token: TOKEN });
    const tracker = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqtt}`, { username: 'trk-bench', password: secret, clientId: 'trk-bench', reconnectPeriod: 0 });

    let flooding = mode !== 'none';
    const statuses: Record<number, number> = {};
    let n = 0;
    const worker = async () => {
      while (flooding) {
        const i = n++;
        const from = mode === 'many' ? `127.1.${(i >> 8) & 255}.${(i & 255) || 1}` : '127.0.0.1';
        const username = mode === 'many' ? `user-${i}` : 'dispatcher1';
        try {
          const r = await post(hub.http, '/api/v1/auth/login', { username, password: `guess-${i}` }, { localAddress: from });
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        } catch {
          statuses[0] = (statuses[0] ?? 0) + 1;
        }
      }
    };
    const workers = mode === 'none' ? [] : Array.from({ length: 16 }, worker);

    // 2 s of warm-up, then `seconds` measured.
    const latencies: number[] = [];
    let measuring = false;
    let seq = 0;
    const inFlight = new Set<Promise<void>>();
    const timer = setInterval(() => {
      const start = performance.now();
      const record = measuring;
      const p = tracker.publishAsync('v1/transit/trk-bench/position', JSON.stringify({ ts: new Date(Date.now() + seq++).toISOString(), lat: 48.5, lon: 32.26 }), { qos: 1 }).then(() => {
        if (record) latencies.push(performance.now() - start);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }, 50);
    await sleep(2_000);
    const before = { ...statuses };
    measuring = true;
    await sleep(seconds * 1000);
    measuring = false;
    clearInterval(timer);
    await Promise.all(inFlight);
    flooding = false;
    await Promise.all(workers);
    await tracker.endAsync();
    const logins = Object.fromEntries(Object.entries(statuses).map(([k, v]) => [k, v - (before[Number(k)] ?? 0)]));
    const total = Object.values(logins).reduce((a, b) => a + b, 0);
    return {
      mode, pubacks: latencies.length,
      p50Ms: round(quantile(latencies, 0.5), 1), p99Ms: round(quantile(latencies, 0.99), 1), maxMs: round(Math.max(...latencies), 1),
      loginsPerS: round(total / seconds, 1), loginStatuses: logins,
    };
  } finally {
    hub.child.kill('SIGTERM');
    await new Promise((r) => hub.child.once('exit', r));
    temp.remove();
  }
}

console.log(JSON.stringify({ root: args.root, seconds }));
for (const mode of args.modes.split(',')) console.log(JSON.stringify(await measure(mode)));
