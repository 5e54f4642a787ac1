import { chmodSync, mkdirSync, statSync } from 'node:fs';

/** What prepareDataDir did, for the start-up log. */
export interface DataDirReport {
  /** the folder existed open to others and was closed (its old mode, octal) */
  tightenedFrom?: string;
  /** the process's file mode mask could not be set (a worker thread): only the folder is private */
  umaskUnchanged?: boolean;
}

/**
 * HUB_DATA_DIR holds the registry (password hashes, token digests), the spool and the history:
 * it belongs to the hub's user alone. The folder is made (or closed, if it exists) with mode 0700,
 * and the process's umask becomes 077, so every folder and file the hub makes later (spool
 * segments, SQLite's -wal and -shm files, the embedded store) is 0700/0600 as well.
 */
export function prepareDataDir(dir: string): DataDirReport {
  const report: DataDirReport = {};
  try {
    process.umask(0o077);
  } catch {
    report.umaskUnchanged = true;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    chmodSync(dir, 0o700);
    report.tightenedFrom = mode.toString(8).padStart(3, '0');
  }
  return report;
}
