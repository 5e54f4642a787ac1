/**
 * The loader's edges: a feed from a zip (bytes or file) or from a folder of .txt files, and a
 * feed's files zipped again for `GET /gtfs/static.zip`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { loadGtfs, type GtfsLoadResult } from './load.ts';
import type { GtfsFeed } from './model.ts';

/** Largest feed accepted unzipped: a national feed is a few hundred MB; this is a city hub. */
export const MAX_UNZIPPED_BYTES = 512 * 1024 * 1024;

export class GtfsReadError extends Error {}

/**
 * The files of a zip, by base name. A zip whose files all sit in one folder (as many exports
 * make them) is read from that folder; macOS metadata is skipped.
 */
export function unzipGtfs(bytes: Uint8Array): Map<string, Uint8Array> {
  let total = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (f.name.endsWith('/') || f.name.startsWith('__MACOSX/') || /(^|\/)\._/.test(f.name)) return false;
        total += f.originalSize;
        if (total > MAX_UNZIPPED_BYTES) throw new GtfsReadError(`the zip unpacks to more than ${MAX_UNZIPPED_BYTES / 1024 / 1024} MB`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof GtfsReadError) throw err;
    throw new GtfsReadError(`not a readable zip file: ${(err as Error).message}`);
  }
  const names = Object.keys(entries);
  const dirs = new Set(names.map((n) => (n.includes('/') ? n.slice(0, n.lastIndexOf('/') + 1) : '')));
  if (dirs.size > 1) throw new GtfsReadError(`the zip holds files in more than one folder (${[...dirs].map((d) => d || '/').join(', ')}); put the feed's files at its top level`);
  const out = new Map<string, Uint8Array>();
  for (const n of names) out.set(n.slice(n.lastIndexOf('/') + 1), entries[n]!);
  return out;
}

/** The .txt files of a folder. */
export function readGtfsFolder(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.txt')) continue;
    const path = join(dir, name);
    if (statSync(path).isFile()) out.set(name, readFileSync(path));
  }
  return out;
}

/** The files of a feed at a path: a .zip file or a folder. */
export function readGtfsPath(path: string): Map<string, Uint8Array> {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new GtfsReadError(`${path} does not exist`);
  }
  return st.isDirectory() ? readGtfsFolder(path) : unzipGtfs(readFileSync(path));
}

/** Reads and validates the feed at a path. */
export function loadGtfsPath(path: string): GtfsLoadResult {
  return loadGtfs(readGtfsPath(path));
}

/** The feed's files as they were imported, zipped (GTFS files at the top level). */
export function zipFeed(feed: GtfsFeed): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const name of [...feed.files.keys()].sort()) entries[name] = feed.files.get(name)!;
  // A fixed date: the same feed zips to the same bytes (a stable ETag).
  return zipSync(entries, { level: 6, mtime: new Date('2024-01-01T00:00:00Z') });
}
