/**
 * Which feed the hub starts on: GTFS_PATH (a zip or a folder), unless an admin uploaded a feed
 * since that path last changed (`POST /api/v1/transit/gtfs` keeps the zip in
 * HUB_DATA_DIR/gtfs/uploaded.zip), so that an upload survives a restart and a new GTFS_PATH
 * feed wins over an older upload.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GtfsHolder } from './holder.ts';
import { formatIssue } from './load.ts';
import { loadGtfsPath } from './read.ts';

export class GtfsStartError extends Error {}

export interface GtfsStart {
  holder: GtfsHolder;
  /** Keeps an uploaded zip for the next start. */
  saveUpload(zip: Uint8Array): void;
}

/** When a feed at a path last changed: the file's mtime, or the newest .txt of the folder. */
function changedMs(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const f of readdirSync(path)) if (f.endsWith('.txt')) newest = Math.max(newest, statSync(join(path, f)).mtimeMs);
  return newest;
}

export function openGtfs(opts: { path: string | undefined; dataDir: string; now: () => number; log: (msg: string, detail?: object) => void }): GtfsStart {
  const dir = join(opts.dataDir, 'gtfs');
  const uploaded = join(dir, 'uploaded.zip');
  let source: string | undefined = opts.path;
  if (opts.path !== undefined && !existsSync(opts.path)) throw new GtfsStartError(`GTFS_PATH=${opts.path}: no such file or folder`);
  if (existsSync(uploaded) && (opts.path === undefined || statSync(uploaded).mtimeMs > changedMs(opts.path))) source = uploaded;

  let holder: GtfsHolder;
  if (source === undefined) {
    holder = new GtfsHolder(undefined, 'none', opts.now);
    opts.log('no GTFS feed (set GTFS_PATH): transit runs without routes, stops or timetables');
  } else {
    const result = loadGtfsPath(source);
    if (!result.ok) {
      const shown = result.errors.slice(0, 20).map(formatIssue);
      throw new GtfsStartError(`the GTFS feed at ${source} has errors:\n  ${shown.join('\n  ')}${result.errors.length > shown.length ? `\n  … ${result.errors.length - shown.length} more` : ''}`);
    }
    holder = new GtfsHolder(result.feed, source, opts.now);
    const i = holder.info;
    opts.log(`GTFS feed from ${source}: ${i.routes} routes, ${i.stops} stops, ${i.trips} trips${result.warnings.length ? `, ${result.warnings.length} warnings` : ''}`, { warnings: result.warnings.slice(0, 20).map(formatIssue) });
  }
  return {
    holder,
    saveUpload(zip) {
      mkdirSync(dir, { recursive: true });
      const tmp = `${uploaded}.tmp`;
      writeFileSync(tmp, zip);
      renameSync(tmp, uploaded);
    },
  };
}
