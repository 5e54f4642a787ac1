import { readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEADER_BYTES, MAX_RECORD_BYTES, encodeRecord, parseRecord, parseSegmentName, resync, segmentName } from './format.ts';
import { nodeIo, type SpoolFile, type SpoolIo } from './io.ts';

/**
 * A durable, append-only, segmented spool with group commit. See docs/spool.md for the format
 * and the guarantees; in short: an append resolves once its records are on disk, the reader
 * sees records in append order, and a record is delivered at least once until confirmed.
 */

export interface SpoolLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface SpoolOptions {
  dir: string;
  /** A segment is closed and a new one started once it holds this much; default 64 MiB. */
  segmentBytes?: number;
  /** How long the first append of an idle spool waits for company before the fsync; default 2. */
  groupCommitMs?: number;
  /** Appends are refused (code SPOOL_FULL) while the unconfirmed backlog would exceed this. */
  maxBacklogBytes?: number;
  logger?: SpoolLogger;
  /** @internal Fault injection in tests. */
  io?: SpoolIo;
}

/**
 * A point in the spool. Only meaningful to the Spool instance that returned it: `seq` counts
 * records since that instance opened.
 */
export interface SpoolPosition {
  /** Byte offset in the spool's address space (what the cursor file keeps). */
  readonly offset: number;
  readonly seq: number;
}

export interface SpoolBatch {
  records: Uint8Array[];
  end: SpoolPosition;
}

export interface SpoolStats {
  /** Records appended (written) and not yet confirmed. */
  backlogRecords: number;
  backlogBytes: number;
  segments: number;
  appendErrors: number;
  /** fsyncs of segment data; far fewer than appends thanks to group commit. */
  fsyncs: number;
  /** Damaged records found and skipped (each logged). */
  corruptRecords: number;
  writable: boolean;
  /**
   * Appends are being refused because the unconfirmed backlog reached `maxBacklogBytes`
   * (SPOOL_FULL); false again once the store's confirms bring it back under the limit.
   */
  full: boolean;
  /** The limit of `maxBacklogBytes`, when one is set. */
  maxBacklogBytes?: number;
  lastError?: string;
}

/**
 * The spool could not keep the records: the disk is full, unwritable or failing (code is the
 * errno name: ENOSPC, EACCES, EROFS, EIO, EFBIG, ...), the backlog limit is reached
 * (SPOOL_FULL), the spool is closed (CLOSED) or another process holds it (LOCKED).
 * Nothing of a rejected durable append is acknowledged; the caller must not ACK the device.
 */
export class SpoolUnavailableError extends Error {
  override readonly name = 'SpoolUnavailableError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Segment {
  base: number;
  /** Offset just after the last byte that belongs to the segment. */
  end: number;
  path: string;
  /** Write handle; only the active segment has one. */
  file: SpoolFile | null;
  /** The directory entry has been fsynced: the file itself survives a power cut. */
  dirSynced: boolean;
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
  durable: boolean;
  settled: boolean;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
/** A stage this large is committed at once instead of waiting out the group-commit delay. */
const EAGER_COMMIT_BYTES = 4 * 1024 * 1024;
const CURSOR_FILE = 'cursor.json';
const CURSOR_TMP = 'cursor.json.tmp';
const LOCK_FILE = 'LOCK';
const CURSOR_VERSION = 1;

const heldDirs = new Set<string>();

const consoleLogger: SpoolLogger = {
  warn: (details, message) => console.error(`[spool] warn: ${message}`, details),
  error: (details, message) => console.error(`[spool] error: ${message}`, details),
};

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

function unavailable(e: unknown, what: string): SpoolUnavailableError {
  if (e instanceof SpoolUnavailableError) return e;
  const code = errnoOf(e);
  return new SpoolUnavailableError(code, `spool ${what} failed (${code}): ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

async function readAt(file: SpoolFile, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = await file.read(buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got < length ? buf.subarray(0, got) : buf;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}

export class Spool {
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly groupCommitMs: number;
  private readonly maxBacklogBytes: number;
  private readonly log: SpoolLogger;
  private readonly io: SpoolIo;
  private lockedDir: string | null = null;

  /** Oldest first; consecutive; each one's range ends where the next begins or before. */
  private segments: Segment[] = [];
  private active: Segment | null = null;

  private writtenEnd = 0;
  private writtenSeq = 0;
  /** Everything below is on disk (fsynced); the reader never goes past it. */
  private syncedEnd = 0;
  private syncedSeq = 0;
  private confirmed: SpoolPosition = { offset: 0, seq: 0 };
  private readPos: SpoolPosition = { offset: 0, seq: 0 };
  private rewinds = 0;

  private stageBuf: Buffer = Buffer.allocUnsafeSlow(256 * 1024);
  private spareBuf: Buffer | null = null;
  private stageLen = 0;
  /** Bytes of the stage being written right now: neither staged nor written any more. */
  private committingLen = 0;
  private stageRecords = 0;
  private stageWaiters: Waiter[] = [];
  private timer: { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout } | null = null;
  private committing: Promise<void> | null = null;

  private reader: { seg: Segment; file: SpoolFile } | null = null;
  private readChain: Promise<unknown> = Promise.resolve();
  private confirmChain: Promise<unknown> = Promise.resolve();
  private readableWaiters: (() => void)[] = [];
  /** Damaged ranges already reported: start offset → offset of the next good record. */
  private readonly knownSkips = new Map<number, number>();

  private closed = false;
  private appendErrors = 0;
  private fsyncs = 0;
  private corruptRecords = 0;
  private writable = true;
  private full = false;
  private lastError: string | undefined;

  private constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.groupCommitMs = opts.groupCommitMs ?? 2;
    this.maxBacklogBytes = opts.maxBacklogBytes ?? Number.POSITIVE_INFINITY;
    this.log = opts.logger ?? consoleLogger;
    this.io = opts.io ?? nodeIo;
    if (!(this.segmentBytes > 0)) throw new RangeError('segmentBytes must be positive');
    if (!(this.groupCommitMs >= 0)) throw new RangeError('groupCommitMs must be ≥ 0');
  }

  /**
   * Opens (creating if needed) the spool in `opts.dir` and recovers it: drops segments wholly
   * below the confirmed cursor, cuts a torn tail off the last segment, skips damaged records
   * with a warning. Throws SpoolUnavailableError when the folder cannot be used.
   */
  static async open(opts: SpoolOptions): Promise<Spool> {
    const spool = new Spool(opts);
    try {
      await spool.recover();
    } catch (e) {
      await spool.closeFiles();
      spool.releaseLock();
      throw unavailable(e, 'open');
    }
    return spool;
  }

  /**
   * Appends records in order. With `durable` (the default) it resolves once they are fsynced;
   * one fsync covers every append of the last few milliseconds. With `durable: false` it
   * resolves once written to the file (the OS page cache), for messages nobody waits for.
   * Rejects with SpoolUnavailableError when they could not be kept.
   */
  append(records: readonly Uint8Array[], opts?: { durable?: boolean }): Promise<void> {
    if (this.closed) return Promise.reject(new SpoolUnavailableError('CLOSED', 'spool is closed'));
    if (records.length === 0) return Promise.resolve();
    let bytes = 0;
    for (const r of records) {
      if (!(r instanceof Uint8Array)) return Promise.reject(new TypeError('spool records must be Uint8Array'));
      if (r.byteLength > MAX_RECORD_BYTES) {
        return Promise.reject(new RangeError(`spool record of ${r.byteLength} bytes exceeds the limit of ${MAX_RECORD_BYTES}`));
      }
      bytes += HEADER_BYTES + r.byteLength;
    }
    const backlog = this.writtenEnd + this.committingLen + this.stageLen - this.confirmed.offset;
    if (backlog + bytes > this.maxBacklogBytes) {
      const err = new SpoolUnavailableError(
        'SPOOL_FULL',
        `spool backlog of ${backlog} bytes has reached the limit of ${this.maxBacklogBytes} bytes (the store is not keeping up)`,
      );
      this.noteFailure(err);
      this.full = true;
      return Promise.reject(err);
    }
    this.ensureStage(bytes);
    let at = this.stageLen;
    for (const r of records) at = encodeRecord(this.stageBuf, at, r);
    this.stageLen = at;
    this.stageRecords += records.length;
    const durable = opts?.durable ?? true;
    const promise = new Promise<void>((resolve, reject) => {
      this.stageWaiters.push({ resolve, reject, durable, settled: false });
    });
    this.scheduleCommit();
    return promise;
  }

  /**
   * The next records after the read cursor, at most `maxRecords`, and the position after them;
   * null when there is nothing (yet). Only records that are on disk (fsynced) are returned, so
   * a confirmed cursor can never point past what survives a power cut.
   */
  read(maxRecords: number): Promise<SpoolBatch | null> {
    const run = this.readChain.then(() => this.readNow(maxRecords));
    this.readChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves when there is something to read (or the spool closes): a drain loop awaits this
   * instead of polling.
   */
  waitReadable(): Promise<void> {
    if (this.closed || this.readPos.offset < this.syncedEnd) return Promise.resolve();
    return new Promise((resolve) => this.readableWaiters.push(resolve));
  }

  /**
   * The store holds everything up to `end`: persists the cursor (write, fsync, rename, fsync of
   * the folder) and deletes segments wholly below it. Confirming an older position is a no-op.
   */
  confirm(end: SpoolPosition): Promise<void> {
    const run = this.confirmChain.then(() => this.confirmNow(end));
    this.confirmChain = run.catch(() => undefined);
    return run;
  }

  /** Reads again from the confirmed cursor, e.g. after the store failed to write a batch. */
  rewind(): void {
    this.rewinds++;
    this.readPos = this.confirmed;
  }

  get stats(): SpoolStats {
    const s: SpoolStats = {
      backlogRecords: Math.max(0, this.writtenSeq - this.confirmed.seq),
      backlogBytes: Math.max(0, this.writtenEnd - this.confirmed.offset),
      segments: this.segments.length,
      appendErrors: this.appendErrors,
      fsyncs: this.fsyncs,
      corruptRecords: this.corruptRecords,
      writable: this.writable,
      full: this.full,
    };
    if (Number.isFinite(this.maxBacklogBytes)) s.maxBacklogBytes = this.maxBacklogBytes;
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  /** Commits what is staged, waits for reads and confirms in flight, and releases the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    await this.commitLoop();
    await this.readChain;
    await this.confirmChain;
    this.wakeReaders();
    await this.closeFiles();
    this.releaseLock();
  }

  // ---- group commit -------------------------------------------------------------------------

  private ensureStage(bytes: number): void {
    if (this.stageLen + bytes <= this.stageBuf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.stageBuf.length * 2, this.stageLen + bytes));
    this.stageBuf.copy(next, 0, 0, this.stageLen);
    this.stageBuf = next;
  }

  private scheduleCommit(): void {
    if (this.committing) return; // the running loop takes the stage when its fsync is done
    if (this.stageLen >= EAGER_COMMIT_BYTES) {
      this.clearTimer();
      void this.commitLoop();
      return;
    }
    if (this.timer) return;
    const fire = () => {
      this.timer = null;
      void this.commitLoop();
    };
    // 0 still gathers every append made in the same turn of the event loop.
    this.timer = this.groupCommitMs === 0 ? { immediate: setImmediate(fire) } : { timeout: setTimeout(fire, this.groupCommitMs) };
  }

  private clearTimer(): void {
    if (!this.timer) return;
    if ('immediate' in this.timer) clearImmediate(this.timer.immediate);
    else clearTimeout(this.timer.timeout);
    this.timer = null;
  }

  private commitLoop(): Promise<void> {
    if (this.committing) return this.committing;
    if (this.stageLen === 0) return Promise.resolve();
    this.committing = (async () => {
      try {
        // Appends that arrive during a write+fsync have waited long enough: take them at once.
        while (this.stageLen > 0) await this.commitStage();
      } finally {
        this.committing = null;
      }
    })();
    return this.committing;
  }

  private async commitStage(): Promise<void> {
    const buf = this.stageBuf;
    const len = this.stageLen;
    const records = this.stageRecords;
    const waiters = this.stageWaiters;
    this.stageBuf = this.spareBuf && this.spareBuf.length >= buf.length ? this.spareBuf : Buffer.allocUnsafeSlow(buf.length);
    this.spareBuf = null;
    this.stageLen = 0;
    this.committingLen = len;
    this.stageRecords = 0;
    this.stageWaiters = [];

    try {
      const seg = await this.segmentFor(len);
      const file = seg.file!;
      const at = seg.end - seg.base;
      let done = 0;
      while (done < len) {
        const n = await file.write(buf, done, len - done, at + done);
        if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
        done += n;
      }
      seg.end += len;
      this.writtenEnd = seg.end;
      this.committingLen = 0;
      this.writtenSeq += records;
      for (const w of waiters) {
        if (!w.durable) {
          w.settled = true;
          w.resolve();
        }
      }
      if (!seg.dirSynced) {
        await this.io.syncDir(this.dir);
        seg.dirSynced = true;
      }
      await file.datasync();
      this.fsyncs++;
      this.syncedEnd = this.writtenEnd;
      this.syncedSeq = this.writtenSeq;
      this.writable = true;
      this.full = false;
      for (const w of waiters) {
        if (!w.settled) {
          w.settled = true;
          w.resolve();
        }
      }
      this.wakeReaders();
    } catch (e) {
      this.committingLen = 0;
      const err = unavailable(e, 'append');
      this.noteFailure(err);
      await this.rollBack();
      for (const w of waiters) {
        if (!w.settled) {
          w.settled = true;
          w.reject(err);
        }
      }
    } finally {
      if (buf.length <= 8 * 1024 * 1024) this.spareBuf = buf;
    }
  }

  private noteFailure(err: SpoolUnavailableError): void {
    this.appendErrors++;
    if (this.writable || this.lastError !== err.message) this.log.error({ code: err.code, dir: this.dir }, err.message);
    this.writable = false;
    this.lastError = err.message;
  }

  /** The segment the next `len` bytes go to, rolling over to a new one when the active is full. */
  private async segmentFor(len: number): Promise<Segment> {
    let seg = this.active;
    if (seg && seg.end > seg.base && seg.end - seg.base + len > this.segmentBytes) {
      this.active = null;
      const file = seg.file;
      seg.file = null;
      // Already fsynced by the commit that filled it; closing cannot lose anything.
      await file?.close().catch((e: unknown) => this.log.warn({ err: String(e), path: seg?.path }, 'closing a full segment failed'));
      seg = null;
    }
    if (seg) return seg;
    const base = this.writtenEnd;
    const path = join(this.dir, segmentName(base));
    const file = await this.io.open(path, 'create');
    seg = { base, end: base, path, file, dirSynced: false };
    this.segments.push(seg);
    this.active = seg;
    return seg;
  }

  /**
   * After a failed write or fsync: the file may hold part of the batch, or (after a failed
   * fsync) pages the kernel may have dropped. Cut it back to what is known to be on disk, so
   * that nothing unacknowledged lingers and the next commit starts from a clean end.
   */
  private async rollBack(): Promise<void> {
    const seg = this.active;
    this.writtenEnd = this.syncedEnd;
    this.writtenSeq = this.syncedSeq;
    if (!seg) return;
    seg.end = this.syncedEnd;
    try {
      await seg.file!.truncate(this.syncedEnd - seg.base);
      return;
    } catch (e) {
      this.log.error({ code: errnoOf(e), path: seg.path }, 'cannot cut a failed write off the segment; starting a new one');
    }
    // The file may keep a tail of garbage; recovery ends every segment where the next begins,
    // so the new segment (based at syncedEnd) makes that tail irrelevant.
    this.active = null;
    const file = seg.file;
    seg.file = null;
    await file?.close().catch(() => undefined);
    if (seg.end === seg.base) {
      this.segments = this.segments.filter((s) => s !== seg);
      await this.io.unlink(seg.path).catch(() => undefined);
    }
  }

  private wakeReaders(): void {
    const waiters = this.readableWaiters;
    this.readableWaiters = [];
    for (const w of waiters) w();
  }

  // ---- reading ------------------------------------------------------------------------------

  private async readNow(maxRecords: number): Promise<SpoolBatch | null> {
    // A rejection, not null: a drain loop that missed the close must back off, not spin.
    if (this.closed) throw new SpoolUnavailableError('CLOSED', 'spool is closed');
    const rewinds = this.rewinds;
    const out: Uint8Array[] = [];
    let offset = this.readPos.offset;
    let seq = this.readPos.seq;
    while (out.length < maxRecords && offset < this.syncedEnd) {
      const seg = this.segments.find((s) => s.end > offset);
      if (!seg) {
        offset = this.syncedEnd;
        break;
      }
      if (offset < seg.base) offset = seg.base;
      const to = Math.min(seg.end, this.syncedEnd);
      if (offset >= to) break;
      const file = await this.readerFor(seg);
      const r = await this.scan(seg, file, offset, to, maxRecords - out.length, out, false);
      offset = r.offset;
      seq += r.records;
    }
    const end: SpoolPosition = { offset, seq };
    // A rewind while this read ran wins: the caller asked to start over from the cursor.
    if (this.rewinds === rewinds) this.readPos = end;
    return out.length > 0 ? { records: out, end } : null;
  }

  private async readerFor(seg: Segment): Promise<SpoolFile> {
    if (this.reader?.seg === seg) return this.reader.file;
    if (this.reader) {
      const old = this.reader.file;
      this.reader = null;
      await old.close().catch(() => undefined);
    }
    const file = await this.io.open(seg.path, 'read');
    this.reader = { seg, file };
    return file;
  }

  /**
   * Walks records in [from, to) of one segment, pushing up to `max` payloads into `out`.
   * A damaged record followed by good ones is skipped with a warning. A damaged stretch that
   * runs to `to` is a torn tail: when recovering it is reported (`junkAt`) so the caller can cut
   * it; when reading it is skipped.
   */
  private async scan(
    seg: Segment,
    file: SpoolFile,
    from: number,
    to: number,
    max: number,
    out: Uint8Array[] | null,
    recovering: boolean,
  ): Promise<{ offset: number; records: number; junkAt: number | null }> {
    let offset = from;
    let records = 0;
    let need = 0;
    while (offset < to && records < max) {
      const want = Math.min(to - offset, Math.max(READ_CHUNK, need));
      const buf = await readAt(file, offset - seg.base, want);
      if (buf.length < want) {
        // The file is shorter than the spool believed: someone truncated it behind our back.
        if (recovering) to = offset + buf.length;
        else {
          this.corruptRecords++;
          this.log.error({ path: seg.path, offset, missing: want - buf.length }, 'spool segment is shorter than expected; skipping its missing part');
          return { offset: to, records, junkAt: null };
        }
      }
      need = 0;
      let at = 0;
      let corruptAt = -1;
      while (records < max && offset + at < to) {
        const r = parseRecord(buf, at, to - offset - at);
        if (r.kind === 'record') {
          out?.push(r.payload);
          records++;
          at = r.next;
        } else {
          if (r.kind === 'short') {
            if (at === 0) need = r.need;
          } else corruptAt = offset + at;
          break;
        }
      }
      offset += at;
      if (corruptAt >= 0) {
        const next = await this.skipCorrupt(seg, file, corruptAt, to, recovering);
        if (next === null) return { offset: corruptAt, records, junkAt: corruptAt };
        offset = next;
      }
    }
    return { offset, records, junkAt: null };
  }

  private async skipCorrupt(seg: Segment, file: SpoolFile, at: number, to: number, recovering: boolean): Promise<number | null> {
    const known = this.knownSkips.get(at);
    if (known !== undefined && known <= to) return known;
    const rest = await readAt(file, at - seg.base, to - at);
    const q = resync(rest, 1);
    if (q < 0) {
      if (recovering) return null;
      this.corruptRecords++;
      this.knownSkips.set(at, to);
      this.log.warn({ path: seg.path, offset: at, bytes: to - at }, 'damaged bytes at the end of a spool segment skipped');
      return to;
    }
    this.corruptRecords++;
    this.knownSkips.set(at, at + q);
    this.log.warn({ path: seg.path, offset: at, bytes: q }, 'damaged spool record skipped');
    return at + q;
  }

  // ---- confirming ---------------------------------------------------------------------------

  private async confirmNow(end: SpoolPosition): Promise<void> {
    if (end.offset <= this.confirmed.offset) return;
    if (end.offset > this.syncedEnd) {
      throw new RangeError(`cannot confirm offset ${end.offset}: the spool holds data only up to ${this.syncedEnd}`);
    }
    try {
      await this.writeCursor(end.offset);
    } catch (e) {
      const err = unavailable(e, 'cursor write');
      this.log.error({ code: err.code }, err.message);
      throw err;
    }
    this.confirmed = end;
    if (this.readPos.offset < end.offset) this.readPos = end;
    // Refused for the limit only (the disk itself is fine): room again means writable again,
    // without waiting for a device to try.
    if (this.full && this.writtenEnd - this.confirmed.offset < this.maxBacklogBytes) {
      this.full = false;
      this.writable = true;
    }
    while (this.segments.length > 0) {
      const seg = this.segments[0]!;
      if (seg === this.active || seg.end > end.offset) break;
      this.segments.shift();
      if (this.reader?.seg === seg) {
        const f = this.reader.file;
        this.reader = null;
        await f.close().catch(() => undefined);
      }
      // A failed unlink is harmless: recovery deletes segments below the cursor.
      await this.io.unlink(seg.path).catch((e: unknown) => this.log.warn({ path: seg.path, code: errnoOf(e) }, 'cannot delete a confirmed spool segment'));
    }
  }

  private async writeCursor(offset: number): Promise<void> {
    const tmp = join(this.dir, CURSOR_TMP);
    const data = Buffer.from(JSON.stringify({ version: CURSOR_VERSION, offset }) + '\n');
    const file = await this.io.open(tmp, 'create');
    try {
      let done = 0;
      while (done < data.length) {
        const n = await file.write(data, done, data.length - done, done);
        if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
        done += n;
      }
      await file.datasync();
    } finally {
      await file.close();
    }
    await this.io.rename(tmp, join(this.dir, CURSOR_FILE));
    await this.io.syncDir(this.dir);
  }

  private async readCursor(): Promise<number | null> {
    let raw: Buffer;
    try {
      raw = await this.io.readFile(join(this.dir, CURSOR_FILE));
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return null;
      throw e;
    }
    try {
      const parsed = JSON.parse(raw.toString('utf8')) as { version?: unknown; offset?: unknown };
      if (parsed.version === CURSOR_VERSION && typeof parsed.offset === 'number' && Number.isSafeInteger(parsed.offset) && parsed.offset >= 0) {
        return parsed.offset;
      }
    } catch {
      // fall through: replaying from the oldest segment is safe (writes are idempotent)
    }
    this.log.warn({ dir: this.dir }, 'spool cursor file is unreadable; replaying from the oldest segment');
    return null;
  }

  // ---- recovery -----------------------------------------------------------------------------

  private async recover(): Promise<void> {
    await this.io.mkdir(this.dir);
    this.acquireLock();
    const names = await this.io.readdir(this.dir);
    if (names.includes(CURSOR_TMP)) await this.io.unlink(join(this.dir, CURSOR_TMP)).catch(() => undefined);
    const bases = names
      .map(parseSegmentName)
      .filter((b): b is number => b !== null)
      .sort((a, b) => a - b);
    const cursor = (await this.readCursor()) ?? bases[0] ?? 0;
    let dirty = false;
    let records = 0;

    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const nextBase = bases[i + 1];
      const last = nextBase === undefined;
      const path = join(this.dir, segmentName(base));
      const file = await this.io.open(path, last ? 'write' : 'read');
      let keepOpen = false;
      try {
        const size = await file.size();
        // A segment abandoned after a failed write may run past where its successor begins.
        const limit = last ? base + size : Math.min(base + size, nextBase);
        if (limit <= cursor) {
          await this.io.unlink(path);
          dirty = true;
          continue;
        }
        const seg: Segment = { base, end: limit, path, file: null, dirSynced: true };
        const r = await this.scan(seg, file, Math.max(base, cursor), limit, Number.POSITIVE_INFINITY, null, true);
        records += r.records;
        if (r.junkAt !== null) {
          seg.end = r.junkAt;
          this.log.warn({ path, offset: r.junkAt, bytes: limit - r.junkAt }, last ? 'torn tail cut off the spool' : 'damaged end of a spool segment ignored');
          if (last) {
            await file.truncate(r.junkAt - base);
            dirty = true;
          }
        }
        if (last) {
          await file.datasync();
          if (seg.end > cursor) {
            seg.file = file;
            this.active = seg;
            keepOpen = true;
          }
        }
        if (seg.end > cursor || keepOpen) this.segments.push(seg);
        else {
          await this.io.unlink(path);
          dirty = true;
        }
      } finally {
        if (!keepOpen) await file.close();
      }
    }
    if (dirty) await this.io.syncDir(this.dir);

    const dataEnd = this.segments.at(-1)?.end ?? cursor;
    if (dataEnd < cursor) this.log.warn({ cursor, dataEnd }, 'spool cursor is past the data on disk; continuing from the cursor');
    this.writtenEnd = this.syncedEnd = Math.max(dataEnd, cursor);
    this.writtenSeq = this.syncedSeq = records;
    this.confirmed = { offset: cursor, seq: 0 };
    this.readPos = this.confirmed;
  }

  private acquireLock(): void {
    const dir = realpathSync(this.dir);
    if (heldDirs.has(dir)) throw new SpoolUnavailableError('LOCKED', `spool ${dir} is already open in this process`);
    const path = join(dir, LOCK_FILE);
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      // Our own pid in a stale lock means a previous run of a container (pid 1 again).
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new SpoolUnavailableError('LOCKED', `spool ${dir} is in use by process ${pid}`);
      }
      writeFileSync(path, String(process.pid));
    }
    heldDirs.add(dir);
    this.lockedDir = dir;
  }

  private releaseLock(): void {
    if (!this.lockedDir) return;
    heldDirs.delete(this.lockedDir);
    try {
      unlinkSync(join(this.lockedDir, LOCK_FILE));
    } catch {
      // a leftover lock names a dead process (or us) and is taken over on the next open
    }
    this.lockedDir = null;
  }

  private async closeFiles(): Promise<void> {
    const files = [this.active?.file, this.reader?.file];
    if (this.active) this.active.file = null;
    this.active = null;
    this.reader = null;
    for (const f of files) await f?.close().catch(() => undefined);
  }
}
