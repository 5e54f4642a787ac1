import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryPoint } from '../../services/store/history-store.ts';
import { InfluxHistoryStore } from '../../services/store/influx-store.ts';
import { HistoryStoreError } from '../../services/store/points.ts';
import { startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { describeHistoryStore } from './history-store.contract.ts';

let influx: RunningInfluxd;
let dbCounter = 0;

beforeAll(async () => {
  influx = await startInfluxd();
});

afterAll(async () => {
  await influx?.stop();
});

function freshDatabase(): string {
  dbCounter += 1;
  return `test_${process.pid}_${dbCounter}`;
}

async function influxql(q: string): Promise<unknown> {
  const res = await fetch(`${influx.url}/query`, { method: 'POST', body: new URLSearchParams({ q }), signal: AbortSignal.timeout(5000) });
  return res.json();
}

async function databases(): Promise<string[]> {
  const body = (await influxql('SHOW DATABASES')) as { results: { series?: { values: string[][] }[] }[] };
  return (body.results[0]?.series?.[0]?.values ?? []).map((row) => row[0] ?? '');
}

const point = (ts: number, fields: HistoryPoint['fields'] = { lat: 48.5 }): HistoryPoint => ({ measurement: 'position', tags: { device: 'trk-1', vehicle: 'TB-12' }, fields, ts });
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

describeHistoryStore('influxdb', async () => {
  const database = freshDatabase();
  const store = new InfluxHistoryStore({ url: influx.url, database });
  await store.init();
  return {
    store,
    cleanup: async () => {
      await store.close();
      await influxql(`DROP DATABASE "${database}"`);
    },
  };
});

describe('startInfluxd', () => {
  it('says how to install influxd when it is missing', async () => {
    await expect(startInfluxd({ binary: '/nonexistent/influxd' })).rejects.toThrow('influxd not found — install it with `apt-get install influxdb`');
  });
});

describe('InfluxHistoryStore against influxd', () => {
  it('creates its database when missing, and init() again is harmless', async () => {
    const database = freshDatabase();
    expect(await databases()).not.toContain(database);
    const store = new InfluxHistoryStore({ url: influx.url, database });
    await store.init();
    expect(await databases()).toContain(database);
    await store.write([point(T0)]);
    await store.init();
    expect(await store.count('position')).toBe(1);
    expect(await store.status()).toMatchObject({ ok: true, detail: expect.stringContaining(database) as unknown });
  });

  it('writes with precision ms: influxd holds the instant to the nanosecond', async () => {
    const database = freshDatabase();
    const store = new InfluxHistoryStore({ url: influx.url, database });
    await store.init();
    await store.write([point(T0 + 123)]);
    const res = await fetch(`${influx.url}/query?${new URLSearchParams({ db: database, q: 'SELECT * FROM "position"', epoch: 'ns' }).toString()}`);
    const body = (await res.json()) as { results: { series: { values: unknown[][] }[] }[] };
    expect(body.results[0]?.series[0]?.values[0]?.[0]).toBe((T0 + 123) * 1e6);
  });

  it('takes compressed writes (what a remote InfluxDB gets) as it takes plain ones', async () => {
    const database = freshDatabase();
    const store = new InfluxHistoryStore({ url: influx.url, database, gzip: true });
    expect(store.gzip).toBe(true);
    await store.init();
    await store.write(Array.from({ length: 6000 }, (_, i) => point(T0 + i, { lat: 48 + i / 1e4, on: i % 2 === 0, note: 'a "b"' })));
    expect(await store.count('position')).toBe(6000);
    const [last] = await store.range({ measurement: 'position', tags: { device: 'trk-1' }, from: T0 + 5999, to: T0 + 5999 });
    expect(last).toMatchObject({ ts: T0 + 5999, fields: { lat: 48.5999, on: false, note: 'a "b"' } });
  });

  it('rejects a field type conflict as not retryable, with the status and influx’s text', async () => {
    const database = freshDatabase();
    const store = new InfluxHistoryStore({ url: influx.url, database });
    await store.init();
    await store.write([point(T0, { lat: 1, on: true })]);
    const err = await store.write([point(T0 + 1, { lat: 2, on: 'yes' })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryStoreError);
    expect(err).toMatchObject({ retryable: false, status: 400 });
    expect((err as Error).message).toMatch(/HTTP 400: partial write: field type conflict: .*"on"/);
  });

  it('rejects a write to a database that does not exist as retryable (init() fixes it)', async () => {
    const store = new InfluxHistoryStore({ url: influx.url, database: freshDatabase() });
    const err = await store.write([point(T0)]).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true, status: 404 });
    expect((err as Error).message).toMatch(/database not found/);
    await store.init();
    await store.write([point(T0)]);
    expect(await store.count('position')).toBe(1);
  });

  // Last in the file: it takes the shared influxd down and brings it back.
  it('reports an outage, rejects writes as retryable while down, and works again after a restart', async () => {
    const database = freshDatabase();
    const store = new InfluxHistoryStore({ url: influx.url, database, timeoutMs: 3000 });
    await store.init();
    await store.write([point(T0)]);

    influx.kill();
    await expect.poll(async () => (await store.status()).ok, { timeout: 5000 }).toBe(false);
    const status = await store.status();
    // Refused, or a pooled connection cut as the process dies.
    expect(status.detail).toMatch(/^InfluxDB at http:\/\/127\.0\.0\.1:\d+ is unreachable: fetch failed \((ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET)\)$/);
    const err = await store.write([point(T0 + 1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryStoreError);
    expect(err).toMatchObject({ retryable: true, status: undefined });
    expect((err as Error).message).toMatch(/InfluxDB write to http:\/\/127\.0\.0\.1:\d+ failed/);
    await expect(store.count('position')).rejects.toMatchObject({ retryable: true });

    await influx.restart();
    expect((await store.status()).ok).toBe(true);
    await store.write([point(T0 + 1)]);
    expect(await store.count('position')).toBe(2);
  });
});

interface Captured {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A stand-in server that records requests and answers as told. */
async function fakeInflux(answer: (req: Captured) => { status: number; body?: string } | 'hang'): Promise<{ url: string; requests: Captured[]; close: () => Promise<void> }> {
  const requests: Captured[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(captured);
      const a = answer(captured);
      if (a === 'hang') return;
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('InfluxHistoryStore on the wire', () => {
  it('posts gzip line protocol with precision=ms in batches of at most 5000 lines, floats as floats', async () => {
    const fake = await fakeInflux(() => ({ status: 204 }));
    try {
      const store = new InfluxHistoryStore({ url: `${fake.url}/`, database: 'city', gzip: true });
      const points = Array.from({ length: 12_000 }, (_, i) => point(T0 + i, { lat: i, on: i % 2 === 0, note: 'a "b"' }));
      await store.write(points);
      expect(fake.requests).toHaveLength(3);
      // Every line ends with a newline.
      const batches = fake.requests.map((r) => gunzipSync(r.body).toString('utf8').split('\n'));
      for (const b of batches) expect(b.pop()).toBe('');
      expect(batches.map((b) => b.length)).toEqual([5000, 5000, 2000]);
      for (const r of fake.requests) {
        expect(r.method).toBe('POST');
        const url = new URL(r.url, fake.url);
        expect(url.pathname).toBe('/write');
        expect(url.searchParams.get('precision')).toBe('ms');
        expect(url.searchParams.get('db')).toBe('city');
        expect(r.headers['content-encoding']).toBe('gzip');
        expect(r.headers.authorization).toBeUndefined();
      }
      expect(batches[0]?.[3]).toBe(`position,device=trk-1,vehicle=TB-12 lat=3,note="a \\"b\\"",on=F ${T0 + 3}`);
    } finally {
      await fake.close();
    }
  });

  it('sends plain line protocol to an InfluxDB on this machine unless told to compress, and compresses elsewhere', async () => {
    const fake = await fakeInflux(() => ({ status: 204 }));
    try {
      await new InfluxHistoryStore({ url: fake.url, database: 'city' }).write([point(T0)]);
      await new InfluxHistoryStore({ url: fake.url.replace('127.0.0.1', 'localhost'), database: 'city' }).write([point(T0 + 1)]);
      expect(fake.requests.map((r) => r.headers['content-encoding'])).toEqual([undefined, undefined]);
      expect(fake.requests[0]?.body.toString('utf8')).toBe(`position,device=trk-1,vehicle=TB-12 lat=48.5 ${T0}\n`);
      // Another host: no server needed to see the choice, only the option it resolves to.
      expect(new InfluxHistoryStore({ url: 'http://influxdb:8086', database: 'city' }).gzip).toBe(true);
      expect(new InfluxHistoryStore({ url: 'http://[::1]:8086', database: 'city' }).gzip).toBe(false);
    } finally {
      await fake.close();
    }
  });

  it('sends a token as Authorization: Token, and a username and password as Basic', async () => {
    const fake = await fakeInflux((r) => (r.url.startsWith('/query') ? { status: 200, body: '{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["city"]]}]}]}' } : { status: 204 }));
    try {
      await new InfluxHistoryStore({ url: fake.url, database: 'city', token: 's3cret-token' }).init();
      await new InfluxHistoryStore({ url: fake.url, database: 'city', username: 'hub', password: 'pa:ss' }).write([point(T0)]);
      expect(fake.requests.map((r) => r.headers.authorization)).toEqual(['Token s3cret-token', `Basic ${Buffer.from('hub:pa:ss').toString('base64')}`]);
      const form = new URLSearchParams(fake.requests[0]?.body.toString('utf8'));
      expect(form.get('q')).toBe('SHOW DATABASES');
      expect(form.get('epoch')).toBe('ms');
    } finally {
      await fake.close();
    }
  });

  it('tells a store that is down (5xx, timeout) from data it refuses (400)', async () => {
    let mode: 'busy' | 'refuse' | 'hang' = 'busy';
    const fake = await fakeInflux(() => (mode === 'hang' ? 'hang' : mode === 'busy' ? { status: 503, body: '{"error":"engine: cache maximum memory size exceeded"}' } : { status: 400, body: '{"error":"unable to parse \'x\': bad timestamp"}' }));
    try {
      const store = new InfluxHistoryStore({ url: fake.url, database: 'city', timeoutMs: 300 });
      const busy = await store.write([point(T0)]).catch((e: unknown) => e);
      expect(busy).toMatchObject({ retryable: true, status: 503, message: 'InfluxDB write failed: HTTP 503: engine: cache maximum memory size exceeded' });
      mode = 'refuse';
      const refused = await store.write([point(T0)]).catch((e: unknown) => e);
      expect(refused).toMatchObject({ retryable: false, status: 400, message: "InfluxDB write failed: HTTP 400: unable to parse 'x': bad timestamp" });
      mode = 'hang';
      const hung = await store.write([point(T0)]).catch((e: unknown) => e);
      expect(hung).toMatchObject({ retryable: true, message: expect.stringMatching(/failed: no answer in time/) as unknown });
      expect(await store.status()).toMatchObject({ ok: false, detail: expect.stringMatching(/unreachable: no answer in time/) as unknown });
    } finally {
      await fake.close();
    }
  });

  it('keeps credentials in the URL out of messages', async () => {
    const store = new InfluxHistoryStore({ url: 'http://hub:topsecret@127.0.0.1:1/', database: 'city', timeoutMs: 1000 });
    const status = await store.status();
    expect(status.ok).toBe(false);
    expect(status.detail).not.toContain('topsecret');
    const err = (await store.write([point(T0)]).catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain('topsecret');
  });
});
