import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from './support/hub.ts';
import { makeTempDir } from './support/temp-dir.ts';

interface Vehicle { vehicleId: string; lat: number; lon: number; ts: string; demo: boolean }

/** `npm start` from a fresh data folder: within 60 s the hub is healthy and at least 50 vehicles move. */
describe('npm start', () => {
  const dir = makeTempDir('start');
  const child = spawn('npm', ['start'], {
    env: { ...process.env, HUB_DATA_DIR: dir.path, HTTP_PORT: '0', MQTT_PORT: '0', TELTONIKA_PORT: '0', WIALON_PORT: '0', GT06_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  afterAll(async () => {
    // npm runs tsx, which runs node: end the whole process group.
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
    await new Promise((r) => child.once('exit', r));
    dir.remove();
  });

  it('serves a healthy hub and at least 50 moving demo vehicles within 60 s', async () => {
    const started = Date.now();
    const port = await eventually(async () => {
      const line = out.split('\n').find((l) => l.includes('"mistohub is up"'));
      return line ? (JSON.parse(line) as { http: number }).http : undefined;
    }, 60_000, `the hub to start; output so far:\n${out.slice(-1500)}`);
    const base = `http://127.0.0.1:${port}`;
    const token = readFileSync(join(dir.path, 'admin-token'), 'utf8').trim();
    const vehicles = async () => (await (await fetch(`${base}/api/v1/transit/vehicles`, { headers: { authorization: `Bearer ${token}` } })).json()) as Vehicle[];

    const health = await eventually(async () => {
      const h = (await (await fetch(`${base}/api/v1/health`)).json()) as { status: string };
      return h.status === 'ok' ? h : undefined;
    }, 60_000, 'health ok');
    expect(health.status).toBe('ok');

    const first = await eventually(async () => {
      const list = await vehicles();
      return list.length >= 50 ? list : undefined;
    }, 60_000 - (Date.now() - started), 'at least 50 vehicles');
    expect(first.every((v) => v.demo)).toBe(true);

    // They move: within a few reporting intervals, most of them are somewhere else.
    const later = await eventually(async () => {
      const now = await vehicles();
      const moved = now.filter((v) => {
        const before = first.find((f) => f.vehicleId === v.vehicleId);
        return before && before.ts !== v.ts && (before.lat !== v.lat || before.lon !== v.lon);
      });
      return moved.length >= 25 ? moved : undefined;
    }, 30_000, 'vehicles to move');
    expect(later.length).toBeGreaterThanOrEqual(25);

    // The demo fleet is mixed: vehicles on the Teltonika and Wialon IPS gateways are live too.
    const trackers = (await (await fetch(`${base}/api/v1/devices?kind=tracker`, { headers: { authorization: `Bearer ${token}` } })).json()) as { id: string; protocol: string }[];
    const live = new Set((await vehicles()).map((v) => (v as Vehicle & { deviceId: string }).deviceId));
    for (const protocol of ['teltonika', 'wialon-ips']) {
      const ids = trackers.filter((d) => d.protocol === protocol).map((d) => d.id);
      expect(ids.length, protocol).toBeGreaterThan(0);
      expect(ids.filter((id) => live.has(id)).length, `${protocol} vehicles live`).toBeGreaterThan(ids.length / 2);
    }

    // The demo energy manager's set-up: buildings and the tariffs that price them.
    const tariffs = await eventually(async () => {
      const list = (await (await fetch(`${base}/api/v1/energy/tariffs`, { headers: { authorization: `Bearer ${token}` } })).json()) as { tariffId: string }[];
      return list.length >= 4 ? list : undefined;
    }, 30_000, 'the demo tariffs');
    expect(tariffs.map((t) => t.tariffId).sort()).toEqual(['demo-el-2024', 'demo-el-2026', 'demo-heat', 'demo-water']);
  }, 120_000);
});
