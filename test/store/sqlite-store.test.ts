import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteHistoryStore, nodeSync, seriesFilter, type StoreSync } from '../../services/store/sqlite-store.ts';
import { createHistoryStore } from '../../services/store/create-store.ts';
import { InfluxHistoryStore } from '../../services/store/influx-store.ts';
import { parseSettings } from '../../services/config/settings.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { describeHistoryStore } from './history-store.contract.ts';

describeHistoryStore('sqlite', async () => {
  const dir = makeTempDir('sqlite-store');
  const store = new SqliteHistoryStore({ dataDir: dir.path });
  await store.init();
  return {
    store,
    cleanup: async () => {
      await store.close();
      dir.remove();
    },
  };
});

describe('SqliteHistoryStore', () => {
  it('creates its file in WAL mode with the schema version set, and keeps data across reopening', async () => {
    const dir = makeTempDir('sqlite-store');
    try {
      const dataDir = join(dir.path, 'nested', 'data');
      const store = new SqliteHistoryStore({ dataDir });
      await store.init();
      await store.init();
      await store.write([{ measurement: 'position', tags: { device: 'trk-1' }, fields: { lat: 1 }, ts: 1_700_000_000_000 }]);
      expect((await store.status()).ok).toBe(true);
      await store.close();
      expect(await store.status()).toMatchObject({ ok: false });
      await expect(store.count('position')).rejects.toMatchObject({ retryable: true });

      const file = join(dataDir, 'history.sqlite');
      expect(existsSync(file)).toBe(true);
      const raw = new Database(file, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(2);
      raw.close();

      const again = new SqliteHistoryStore({ dataDir });
      await again.init();
      expect(await again.count('position')).toBe(1);
      await again.close();
    } finally {
      dir.remove();
    }
  });

  it('resolves a write only after the WAL it committed to is synced, off the event loop', async () => {
    const dir = makeTempDir('sqlite-store');
    // The real fsyncs, with a gate in front of the WAL's: the way the spool's datasync test holds its fsync.
    let gate: Promise<void> | null = null;
    let entered!: () => void;
    const syncing = new Promise<void>((r) => (entered = r));
    const synced: string[] = [];
    const sync: StoreSync = {
      async file(path) {
        if (gate !== null && path.endsWith('-wal')) {
          entered();
          await gate;
        }
        await nodeSync.file(path);
        synced.push(path);
      },
      dir: (path) => nodeSync.dir(path),
    };
    const store = new SqliteHistoryStore({ dataDir: dir.path, sync });
    try {
      await store.init();
      expect(synced).toEqual([store.file, `${store.file}-wal`]);
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      let confirmed = false;
      const write = store.write([{ measurement: 'position', tags: { device: 'trk-1' }, fields: { lat: 1 }, ts: 1_700_000_000_000 }]).then(() => (confirmed = true));
      await syncing;
      // Committed (readable) but not yet on disk: the write must not be confirmed.
      expect(await store.count('position')).toBe(1);
      expect(confirmed).toBe(false);
      release();
      await write;
      expect(synced.at(-1)).toBe(`${store.file}-wal`);

      // A failed sync fails the write as retryable: the spool keeps the batch.
      gate = null;
      let fail = false;
      const failing = new SqliteHistoryStore({
        dataDir: dir.path, fileName: 'other.sqlite',
        sync: { ...sync, file: async (p) => (fail && p.endsWith('-wal') ? Promise.reject(Object.assign(new Error('EIO: simulated'), { code: 'EIO' })) : nodeSync.file(p)) },
      });
      await failing.init();
      fail = true;
      await expect(failing.write([{ measurement: 'position', tags: { device: 'trk-1' }, fields: { lat: 1 }, ts: 1 }])).rejects.toMatchObject({ name: 'HistoryStoreError', retryable: true, message: expect.stringMatching(/not synced.*EIO/) });

      // Without a WAL file (checkpointed and removed) the database file is what holds the commits.
      const noWal: string[] = [];
      const checkpointed = new SqliteHistoryStore({
        dataDir: dir.path, fileName: 'checkpointed.sqlite',
        sync: { ...sync, file: async (p) => { noWal.push(p); if (p.endsWith('-wal') && fail) throw Object.assign(new Error('ENOENT: simulated'), { code: 'ENOENT' }); await nodeSync.file(p); } },
      });
      fail = false;
      await checkpointed.init();
      fail = true;
      noWal.length = 0;
      await checkpointed.write([{ measurement: 'position', tags: { device: 'trk-1' }, fields: { lat: 1 }, ts: 1 }]);
      expect(noWal).toEqual([`${checkpointed.file}-wal`, checkpointed.file]);
      await checkpointed.close();
      await failing.close();
    } finally {
      await store.close();
      dir.remove();
    }
  });

  it('shares a WAL sync among the writes committed while another sync runs', async () => {
    const dir = makeTempDir('sqlite-store');
    let release!: () => void;
    let gate: Promise<void> | null = null;
    let entered!: () => void;
    const syncing = new Promise<void>((r) => (entered = r));
    let walSyncs = 0;
    const store = new SqliteHistoryStore({
      dataDir: dir.path,
      sync: {
        async file(path) {
          if (path.endsWith('-wal') && gate !== null) {
            walSyncs++;
            entered();
            await gate;
          }
          await nodeSync.file(path);
        },
        dir: (path) => nodeSync.dir(path),
      },
    });
    try {
      await store.init();
      gate = new Promise((r) => (release = r));
      const point = (ts: number) => ({ measurement: 'position', tags: { device: 'trk-1' }, fields: { lat: 1 }, ts });
      const first = store.write([point(1)]);
      await syncing;
      // Committed while the first sync runs: they need a sync that starts after them, one for both.
      const later = [store.write([point(2)]), store.write([point(3)])];
      expect(walSyncs).toBe(1);
      release();
      await Promise.all([first, ...later]);
      expect(walSyncs).toBe(2);
      expect(await store.count('position')).toBe(3);
    } finally {
      await store.close();
      dir.remove();
    }
  });

  it('refuses a file made by a newer schema', async () => {
    const dir = makeTempDir('sqlite-store');
    try {
      const raw = new Database(join(dir.path, 'history.sqlite'));
      raw.pragma('user_version = 99');
      raw.close();
      await expect(new SqliteHistoryStore({ dataDir: dir.path }).init()).rejects.toThrow(/schema version 99/);
    } finally {
      dir.remove();
    }
  });

  it('merges a rewrite inside one multi-row insert and keeps each series\' latest through out-of-order batches and a reopen', async () => {
    const dir = makeTempDir('sqlite-store');
    const T = 1_767_222_000_000;
    try {
      const store = new SqliteHistoryStore({ dataDir: dir.path });
      await store.init();
      // 250 points (more than one 100-row statement), the point at T written twice in the first statement.
      const batch = Array.from({ length: 248 }, (_, i) => ({ measurement: 'energy_reading' as const, tags: { device: `M${i % 2}`, building: 'B1' }, fields: { value: i, unit: 'kWh' }, ts: T + i * 60_000 }));
      batch.splice(10, 0, { measurement: 'energy_reading', tags: { device: 'M0', building: 'B1' }, fields: { value: 1000, unit: 'kWh' }, ts: T });
      batch.splice(20, 0, { measurement: 'energy_reading', tags: { device: 'M0', building: 'B1' }, fields: { value: 2000 } as never, ts: T });
      await store.write(batch);
      expect(await store.count('energy_reading')).toBe(248);
      expect((await store.range({ measurement: 'energy_reading', tags: { device: 'M0' }, from: T, to: T }))[0]?.fields).toEqual({ value: 2000, unit: 'kWh' });
      const latestTs = async () => (await store.latest('energy_reading')).map((p) => [p.tags.device, p.ts]);
      expect(await latestTs()).toEqual([['M0', T + 246 * 60_000], ['M1', T + 247 * 60_000]]);
      // An older batch leaves the latest alone; a newer one of a known series moves it.
      await store.write([{ ...batch[0]!, ts: T - 60_000 }]);
      await store.write([{ ...batch[1]!, ts: T + 999 * 60_000 }, { ...batch[1]!, ts: T + 998 * 60_000 }]);
      expect(await latestTs()).toEqual([['M0', T + 246 * 60_000], ['M1', T + 999 * 60_000]]);
      await store.close();
      const again = new SqliteHistoryStore({ dataDir: dir.path });
      await again.init();
      expect((await again.latest('energy_reading')).map((p) => [p.tags.device, p.ts])).toEqual([['M0', T + 246 * 60_000], ['M1', T + 999 * 60_000]]);
      await again.close();
    } finally {
      dir.remove();
    }
  });

  it('forgets the series a rolled-back write created, so writing them again files them under their tags', async () => {
    const dir = makeTempDir('sqlite-store');
    const T = 1_767_222_000_000;
    try {
      const store = new SqliteHistoryStore({ dataDir: dir.path });
      await store.init();
      await store.write([{ measurement: 'energy_reading', tags: { device: 'M0', building: 'B1' }, fields: { value: 1 }, ts: T }]);
      // Another connection makes one point fail inside the transaction, after a new series was made.
      const raw = new Database(join(dir.path, 'history.sqlite'));
      raw.exec(`CREATE TRIGGER refuse BEFORE INSERT ON points WHEN NEW.ts = ${T + 5} BEGIN SELECT RAISE(ABORT, 'refused by test'); END`);
      const points = [
        { measurement: 'energy_reading' as const, tags: { device: 'M7', building: 'B2' }, fields: { value: 2 }, ts: T + 1 },
        { measurement: 'energy_reading' as const, tags: { device: 'M8', building: 'B2' }, fields: { value: 3 }, ts: T + 5 },
      ];
      await expect(store.write(points)).rejects.toMatchObject({ retryable: true, message: /refused by test/ });
      raw.exec('DROP TRIGGER refuse');
      raw.close();
      expect(await store.count('energy_reading', { building: 'B2' })).toBe(0);
      await store.write(points);
      expect(await store.count('energy_reading', { building: 'B2' })).toBe(2);
      expect((await store.latest('energy_reading', { building: 'B2' })).map((p) => p.tags.device)).toEqual(['M7', 'M8']);
      await store.close();
    } finally {
      dir.remove();
    }
  });

  it('answers tag filters, range by vehicle and latest per device from indexes, never json_extract scans', async () => {
    const dir = makeTempDir('sqlite-store');
    const store = new SqliteHistoryStore({ dataDir: dir.path });
    try {
      await store.init();
      const raw = new Database(store.file, { readonly: true });
      const plan = (sql: string, params: (string | number)[]) => raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params).map((r) => (r as { detail: string }).detail).join(' | ');
      const rangeOf = (tags: Record<string, string>) => {
        const f = seriesFilter('position', tags);
        return plan(`SELECT p.ts FROM series s JOIN points p ON p.series_id = s.id WHERE ${f.sql} AND p.ts >= ? AND p.ts <= ? ORDER BY p.ts, s.tags`, [...f.params, 0, 1]);
      };
      const byVehicle = rangeOf({ vehicle: 'V1' });
      expect(byVehicle).toMatch(/SEARCH t USING PRIMARY KEY \(key=\? AND value=\?\)/);
      expect(byVehicle).toMatch(/SEARCH s USING INTEGER PRIMARY KEY \(rowid=\?\)/);
      expect(byVehicle).toMatch(/SEARCH p USING PRIMARY KEY \(series_id=\? AND ts>\? AND ts<\?\)/);
      expect(byVehicle).not.toMatch(/SCAN s/);
      // A tag of a measurement registered at run time is indexed alike.
      const byTwo = rangeOf({ vehicle: 'V1', route: '5' });
      expect(byTwo).toMatch(/SEARCH t USING PRIMARY KEY \(key=\? AND value=\?\)/);
      expect(byTwo).not.toMatch(/SCAN s/);
      const f = seriesFilter('position', { device: 'd' });
      const latest = plan(`SELECT p.fields FROM series s JOIN points p ON p.series_id = s.id AND p.ts = s.last_ts WHERE ${f.sql}`, f.params);
      expect(latest).toMatch(/SEARCH s USING INDEX series_by_device/);
      expect(latest).toMatch(/SEARCH p USING PRIMARY KEY \(series_id=\? AND ts=\?\)/);
      for (const tags of [{ vehicle: 'V1' }, { route: '' }, { device: 'd', group: 'g' }] as Record<string, string>[]) expect(seriesFilter('position', tags).sql).not.toMatch(/json_extract/);
      raw.close();
    } finally {
      await store.close();
      dir.remove();
    }
  });

  it('migrates a schema-1 file (tags in JSON, a vehicle column) to indexed tags, keeping its data', async () => {
    const dir = makeTempDir('sqlite-store');
    try {
      // A history file as the hub before this step made it, with its data.
      const old = new Database(join(dir.path, 'history.sqlite'));
      old.pragma('journal_mode = WAL');
      old.exec(`
        CREATE TABLE series (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, tags TEXT NOT NULL, device TEXT NOT NULL, vehicle TEXT, last_ts INTEGER NOT NULL, UNIQUE (measurement, tags));
        CREATE INDEX series_by_device ON series (measurement, device);
        CREATE INDEX series_by_vehicle ON series (measurement, vehicle);
        CREATE TABLE points (series_id INTEGER NOT NULL REFERENCES series (id), ts INTEGER NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
        CREATE TABLE field_types (measurement TEXT NOT NULL, field TEXT NOT NULL, type TEXT NOT NULL, PRIMARY KEY (measurement, field)) WITHOUT ROWID;
        INSERT INTO series VALUES (1, 'position', '{"device":"trk-1","vehicle":"TB-12"}', 'trk-1', 'TB-12', 2000);
        INSERT INTO series VALUES (2, 'lighting_state', '{"device":"cab-1","group":"north"}', 'cab-1', NULL, 1000);
        INSERT INTO points VALUES (1, 1000, '{"lat":48.5}'), (1, 2000, '{"lat":48.6}'), (2, 1000, '{"level":40}');
        INSERT INTO field_types VALUES ('position', 'lat', 'float'), ('lighting_state', 'level', 'float');
      `);
      old.pragma('user_version = 1');
      old.close();

      const warnings: string[] = [];
      const store = new SqliteHistoryStore({ dataDir: dir.path, logger: { warn: (_o, m) => void warnings.push(m ?? '') } });
      await store.init();
      expect(warnings).toContain('history store schema migrated');
      expect(await store.range({ measurement: 'position', tags: { vehicle: 'TB-12' }, from: 0, to: 5000 })).toEqual([
        { measurement: 'position', tags: { device: 'trk-1', vehicle: 'TB-12' }, fields: { lat: 48.5 }, ts: 1000 },
        { measurement: 'position', tags: { device: 'trk-1', vehicle: 'TB-12' }, fields: { lat: 48.6 }, ts: 2000 },
      ]);
      expect(await store.count('lighting_state', { group: 'north' })).toBe(1);
      expect(await store.count('lighting_state', { vehicle: '' })).toBe(1);
      // New points of an old series, and of a new one, are found by their tags too.
      await store.write([{ measurement: 'position', tags: { device: 'trk-1', vehicle: 'TB-12' }, fields: { lat: 48.7 }, ts: 3000 }, { measurement: 'position', tags: { device: 'trk-2', vehicle: 'TB-12' }, fields: { lat: 1 }, ts: 3000 }]);
      expect(await store.count('position', { vehicle: 'TB-12' })).toBe(4);
      expect(await store.latest('position', { device: 'trk-1' })).toEqual([{ measurement: 'position', tags: { device: 'trk-1', vehicle: 'TB-12' }, fields: { lat: 48.7 }, ts: 3000 }]);
      await store.close();

      const raw = new Database(join(dir.path, 'history.sqlite'), { readonly: true });
      expect(raw.pragma('user_version', { simple: true })).toBe(2);
      expect((raw.prepare('SELECT name FROM pragma_table_info(?)').all('series') as { name: string }[]).map((c) => c.name)).not.toContain('vehicle');
      expect(raw.prepare('SELECT key, value FROM series_tags WHERE series_id = 2 ORDER BY key').all()).toEqual([{ key: 'device', value: 'cab-1' }, { key: 'group', value: 'north' }]);
      raw.close();
    } finally {
      dir.remove();
    }
  });
});

describe('createHistoryStore', () => {
  it('picks SQLite without INFLUX_URL and InfluxDB with it', () => {
    const dir = makeTempDir('create-store');
    try {
      const embedded = createHistoryStore(parseSettings({}), { dataDir: dir.path });
      expect(embedded).toBeInstanceOf(SqliteHistoryStore);
      expect(embedded.kind).toBe('sqlite');
      expect((embedded as SqliteHistoryStore).file).toBe(join(dir.path, 'history.sqlite'));
      const influx = createHistoryStore(parseSettings({ INFLUX_URL: 'http://localhost:8086', INFLUX_DB: 'city' }), { dataDir: dir.path });
      expect(influx).toBeInstanceOf(InfluxHistoryStore);
      expect(influx.kind).toBe('influxdb');
    } finally {
      dir.remove();
    }
  });
});
