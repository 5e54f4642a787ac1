import type { Settings } from '../config/settings.ts';
import type { HistoryStore } from './history-store.ts';
import { InfluxHistoryStore } from './influx-store.ts';
import type { StoreLogger } from './points.ts';
import { SqliteHistoryStore } from './sqlite-store.ts';

export { HistoryStoreError, type StoreLogger } from './points.ts';

/** InfluxDB when `INFLUX_URL` is set, else the embedded SQLite store in `dataDir`. Call `init()` next. */
export function createHistoryStore(settings: Settings, opts: { dataDir: string; logger?: StoreLogger | undefined }): HistoryStore {
  if (settings.INFLUX_URL !== undefined) {
    return new InfluxHistoryStore({
      url: settings.INFLUX_URL,
      database: settings.INFLUX_DB,
      username: settings.INFLUX_USERNAME,
      password: settings.INFLUX_PASSWORD,
      token: settings.INFLUX_TOKEN,
      logger: opts.logger,
    });
  }
  return new SqliteHistoryStore({ dataDir: opts.dataDir, logger: opts.logger });
}
