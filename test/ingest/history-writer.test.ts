import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HistoryWriter } from '../../services/ingest/history-writer.ts';
import { createLogger } from '../../services/observability/logger.ts';
import { createMetrics } from '../../services/observability/metrics.ts';
import { Spool } from '../../services/spool/index.ts';
import type { HistoryPoint, HistoryStore } from '../../services/store/history-store.ts';
import { InfluxHistoryStore } from '../../services/store/influx-store.ts';
import { encodeRecord } from '../../services/store/line-protocol.ts';
import { SqliteHistoryStore, nodeSync } from '../../services/store/sqlite-store.ts';
import { countPositions, startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { eventually } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const position = (ts: number, lat: number | string): HistoryPoint => ({ measurement: 'position', tags: { device: 'd1', vehicle: 'V1' }, ts, fields: { lat, lon: 32.2 } });

/** The writer between a real spool and a real store. */
describe('HistoryWriter', () => {
  const dirs: { remove(): void }[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

  /** A temp folder with an embedded store in it, removed after the test. */
  async function sqliteStore(name: string): Promise<{ dir: string; store: SqliteHistoryStore }> {
    const dir = makeTempDir(name);
    dirs.push(dir);
    const store = new SqliteHistoryStore({ dataDir: dir.path });
    await store.init();
    return { dir: dir.path, store };
  }

  /** Appends `records` to a fresh spool in `dir`, runs a writer until the spool is empty, and stops it. */
  async function drain(dir: string, store: HistoryStore, records: Uint8Array[], onUnstorable: (point: HistoryPoint | string, detail: string, reason: string) => void = () => undefined): Promise<void> {
    const spool = await Spool.open({ dir: `${dir}/spool` });
    const writer = new HistoryWriter(spool, store, { metrics: createMetrics(), logger: createLogger('silent', false), now: Date.now, onUnstorable });
    await spool.append(records);
    writer.start();
    await eventually(async () => spool.stats.backlogRecords === 0, 15_000, 'the spool to drain');
    await writer.stop();
    await spool.close();
  }

  it('sets aside a point the store refuses for good, and writes the rest', async () => {
    const { dir, store } = await sqliteStore('writer');
    const unstorable: { point: HistoryPoint | string; reason: string }[] = [];
    // The second point gives `lat` another type than the first: a field type conflict, as InfluxDB refuses it.
    const records = [position(1000, 48.5), position(2000, 'north'), position(3000, 48.6)].map((p) => encodeRecord(p));
    await drain(dir, store, records, (point, detail, reason) => unstorable.push({ point, reason: `${reason}: ${detail}` }));

    expect(await store.count('position')).toBe(2);
    expect(unstorable).toHaveLength(1);
    expect(unstorable[0]!.point).toMatchObject({ ts: 2000, fields: { lat: 'north' } });
    expect(unstorable[0]!.reason).toMatch(/^store-refused: .*lat/);
    await store.close();
  });

  it('writes the first record of an instant and sets a later, different one aside; the same record again stays a silent duplicate', async () => {
    const { dir, store } = await sqliteStore('writer-same-instant');
    const set: { point: HistoryPoint | string; detail: string; reason: string }[] = [];
    const first = position(1000, 48.5);
    // The same record again (a resend) stays a silent duplicate; the different one is refused.
    const records = [first, position(2000, 48.6), first, { ...first, fields: { lat: 99, lon: 1 } }, position(3000, 48.7)].map((p) => encodeRecord(p));
    await drain(dir, store, records, (point, detail, reason) => set.push({ point, detail, reason }));
    expect(await store.range({ measurement: 'position', tags: {}, from: 0, to: 10_000 })).toEqual([first, position(2000, 48.6), position(3000, 48.7)]);
    expect(set).toEqual([{ point: { ...first, fields: { lat: 99, lon: 1 } }, reason: 'same-timestamp', detail: expect.stringMatching(/1970-01-01T00:00:01.000Z came first/) }]);
    await store.close();
  });

  it('gives the same answer for an instant after a restart: the spool is replayed in the same order', async () => {
    const dir = makeTempDir('writer-same-instant-restart');
    dirs.push(dir);
    const first = position(1000, 48.5);
    const second = { ...first, fields: { lat: 99, lon: 1 } };
    // A hub whose store never confirms (its disk fails the sync): both records stay in the spool.
    const broken = new SqliteHistoryStore({ dataDir: dir.path, fileName: 'broken.sqlite', sync: { file: async (p) => { if (p.endsWith('-wal') && armed) throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' }); await nodeSync.file(p); }, dir: (p) => nodeSync.dir(p) } });
    let armed = false;
    await broken.init();
    armed = true;
    const spool = await Spool.open({ dir: `${dir.path}/spool` });
    const set: string[] = [];
    const writer = new HistoryWriter(spool, broken, { metrics: createMetrics(), logger: createLogger('silent', false), now: Date.now, onUnstorable: (_p, _d, reason) => set.push(reason) });
    await spool.append([first, second].map((p) => encodeRecord(p)));
    writer.start();
    await eventually(async () => writer.status().ok === false, 15_000, 'the write to fail');
    await writer.stop();
    await spool.close();
    await broken.close();
    expect(set).toEqual(['same-timestamp']);

    // The next start: a new writer, its memory of instants empty, the same spool from its cursor.
    const { store } = await sqliteStore('writer-same-instant-restart-store');
    await drain(dir.path, store, [], (_p, _d, reason) => set.push(reason));
    expect(await store.range({ measurement: 'position', tags: {}, from: 0, to: 10_000 })).toEqual([first]);
    expect(set).toEqual(['same-timestamp', 'same-timestamp']);
    await store.close();
  });

  it('drains a spool an older hub wrote (points as JSON) like one of line protocol', async () => {
    const { dir, store } = await sqliteStore('writer-json');
    const legacy = [position(1000, 48.5), position(2000, 48.6)].map((p) => Buffer.from(JSON.stringify(p)));
    await drain(dir, store, [...legacy, encodeRecord(position(3000, 48.7))]);
    const points = await store.range({ measurement: 'position', tags: { device: 'd1' }, from: 0, to: 10_000 });
    expect(points.map((p) => [p.ts, p.fields.lat])).toEqual([[1000, 48.5], [2000, 48.6], [3000, 48.7]]);
    expect(points[0]!.tags).toEqual({ device: 'd1', vehicle: 'V1' });
    await store.close();
  });

  it('keeps a batch in the spool until the embedded store has synced it to disk', async () => {
    const dir = makeTempDir('writer-sync');
    dirs.push(dir);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const syncing = new Promise<void>((r) => (entered = r));
    let gated = false;
    const store = new SqliteHistoryStore({
      dataDir: dir.path,
      sync: {
        async file(path) {
          if (gated && path.endsWith('-wal')) {
            entered();
            await gate;
          }
          await nodeSync.file(path);
        },
        dir: (path) => nodeSync.dir(path),
      },
    });
    await store.init();
    gated = true;
    const spool = await Spool.open({ dir: `${dir.path}/spool` });
    const writer = new HistoryWriter(spool, store, { metrics: createMetrics(), logger: createLogger('silent', false), now: Date.now, onUnstorable: () => undefined });
    try {
      await spool.append([position(1000, 48.5), position(2000, 48.6)].map((p) => encodeRecord(p)));
      writer.start();
      await syncing;
      // The points are committed to SQLite, but the WAL is not synced: the spool must still hold them.
      expect(await store.count('position')).toBe(2);
      expect(spool.stats.backlogRecords).toBe(2);
      release();
      await eventually(async () => spool.stats.backlogRecords === 0, 15_000, 'the spool to drain');
    } finally {
      release();
      await writer.stop();
      await spool.close();
      await store.close();
    }
  });

  describe('on InfluxDB', () => {
    let influx: RunningInfluxd;
    beforeAll(async () => {
      influx = await startInfluxd();
    });
    afterAll(() => influx?.stop());

    it('creates the database when it is missing (InfluxDB was away when the hub started) and writes', async () => {
      const dir = makeTempDir('writer-influx');
      dirs.push(dir);
      const store = new InfluxHistoryStore({ url: influx.url, database: 'created_late' }); // no init(): as after a failed start
      // One record as an older hub wrote it (JSON): re-encoded on the way.
      await drain(dir.path, store, [Buffer.from(JSON.stringify(position(1000, 48.5))), encodeRecord(position(2000, 48.6))]);
      expect(await countPositions(influx.url, 'created_late')).toBe(2);
    });
  });
});
