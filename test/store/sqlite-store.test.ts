import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteHistoryStore, nodeSync, type StoreSync } from '../../services/store/sqlite-store.ts';
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
      expect(raw.pragma('user_version', { simple: true })).toBe(1);
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
      await failing.close();
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

  it('answers range by vehicle and latest per device from indexes, not full scans', async () => {
    const dir = makeTempDir('sqlite-store');
    const store = new SqliteHistoryStore({ dataDir: dir.path });
    try {
      await store.init();
      const raw = new Database(store.file, { readonly: true });
      const plan = (sql: string) => raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => (r as { detail: string }).detail).join(' | ');
      const range = plan(`SELECT p.ts FROM series s JOIN points p ON p.series_id = s.id WHERE s.measurement = 'position' AND s.vehicle = 'V1' AND p.ts >= 0 AND p.ts <= 1 ORDER BY p.ts, s.tags`);
      expect(range).toMatch(/SEARCH s USING INDEX series_by_vehicle/);
      expect(range).toMatch(/SEARCH p USING PRIMARY KEY \(series_id=\? AND ts>\? AND ts<\?\)/);
      const latest = plan(`SELECT p.fields FROM series s JOIN points p ON p.series_id = s.id AND p.ts = s.last_ts WHERE s.measurement = 'position' AND s.device = 'd'`);
      expect(latest).toMatch(/SEARCH s USING INDEX series_by_device/);
      expect(latest).toMatch(/SEARCH p USING PRIMARY KEY \(series_id=\? AND ts=\?\)/);
      raw.close();
    } finally {
      await store.close();
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
