import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const METRICS_TOKEN = 'scrape-token-0123456789';

/** Every folder and file under `dir` with its permission bits (octal). */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': (statSync(dir).mode & 0o777).toString(8) };
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      out[join(rel, e.name)] = (statSync(path).mode & 0o777).toString(8);
      if (e.isDirectory()) walk(path, join(rel, e.name));
    }
  };
  walk(dir, '');
  return out;
}

describe('the data folder is the hub user\'s alone; /metrics may need a token', () => {
  const temp = makeTempDir('perm');
  let t: TestHub;
  const dataDir = join(temp.path, 'data');

  beforeAll(async () => {
    // As a shell would have it: folders 755, files 644, until the hub says otherwise.
    process.umask(0o022);
    t = await startTestHub({ METRICS_TOKEN }, { dataDir });
  });
  afterAll(async () => {
    await t?.stop();
    temp.remove();
  });

  it('creates HUB_DATA_DIR, and everything the hub writes in it, for its user only (700/600)', async () => {
    // Something kept: a spool segment, the embedded store's files.
    const { id, secret } = await t.register({ id: 'trk-perm', kind: 'tracker', protocol: 'mqtt', imei: '356307042448881', vehicleId: 'TB-888' });
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: id, password: secret, reconnectPeriod: 0 });
    await c.publishAsync(topics.position(id), JSON.stringify({ ts: new Date().toISOString(), lat: 48.5, lon: 32.26 }), { qos: 1 });
    await c.endAsync();
    await eventually(async () => ((await (await t.api('/api/v1/transit/vehicles/TB-888/track')).json()) as unknown[]).length > 0);

    const found = modes(dataDir);
    expect(Object.keys(found).length).toBeGreaterThan(3);
    const open = Object.entries(found).filter(([, m]) => (parseInt(m, 8) & 0o077) !== 0);
    expect(open, `open to others: ${JSON.stringify(open)}`).toEqual([]);
    expect(found['.']).toBe('700');
  });

  it('closes an existing data folder that was open to others', async () => {
    const old = join(temp.path, 'old');
    mkdirSync(old, { mode: 0o755 });
    process.umask(0o022);
    const other = await startTestHub({}, { dataDir: old });
    try {
      expect((statSync(old).mode & 0o777).toString(8)).toBe('700');
    } finally {
      await other.stop();
    }
  });

  it('GET /metrics answers only with METRICS_TOKEN as a bearer token when that is set', async () => {
    expect((await t.api('/metrics', { token: null })).status).toBe(401);
    expect((await t.api('/metrics')).status).toBe(401); // the admin token is not the scrape token
    const res = await t.api('/metrics', { token: METRICS_TOKEN });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('mistohub_');
  });
});
