import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool, SpoolUnavailableError } from '../../services/spool/index.ts';
import { HEADER_BYTES, MAX_RECORD_BYTES } from '../../services/spool/format.ts';
import { nodeIo, type SpoolFile, type SpoolIo } from '../../services/spool/io.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { captureLog, drain, idx, openSpool, range, rec, segmentFiles } from './helpers.ts';

let tmp: { path: string; remove: () => void };
let dir: string;
const open: Spool[] = [];

async function spoolAt(extra: Parameters<typeof openSpool>[1] = {}): Promise<Spool> {
  const s = await openSpool(dir, extra);
  open.push(s);
  return s;
}

beforeEach(() => {
  tmp = makeTempDir('spool');
  dir = join(tmp.path, 'spool');
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  tmp.remove();
});

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: simulated fault`), { code });
}

/** A real file system with switchable faults at the spool's io seam. */
function faultyIo() {
  const faults = {
    write: null as string | null,
    /** The next data write writes only half and reports it (like a write at a size limit). */
    shortWrite: false,
    datasync: null as string | null,
    truncate: null as string | null,
    /** While set, datasync waits for it. */
    datasyncGate: null as Promise<void> | null,
    /** While set, data writes wait for it (after `writeEntered` is called). */
    writeGate: null as Promise<void> | null,
    writeEntered: () => undefined as void,
  };
  const wrap = (f: SpoolFile): SpoolFile => ({
    read: (b, o, l, p) => f.read(b, o, l, p),
    async write(b, o, l, p) {
      if (faults.shortWrite && l > 1) {
        faults.shortWrite = false;
        return f.write(b, o, Math.floor(l / 2), p);
      }
      if (faults.write) throw errno(faults.write);
      if (faults.writeGate) {
        faults.writeEntered();
        await faults.writeGate;
      }
      return f.write(b, o, l, p);
    },
    async datasync() {
      if (faults.datasyncGate) await faults.datasyncGate;
      if (faults.datasync) throw errno(faults.datasync);
      return f.datasync();
    },
    async truncate(n) {
      if (faults.truncate) throw errno(faults.truncate);
      return f.truncate(n);
    },
    size: () => f.size(),
    close: () => f.close(),
  });
  const io: SpoolIo = { ...nodeIo, open: async (p, m) => wrap(await nodeIo.open(p, m)) };
  return { io, faults };
}

async function expectUnavailable(p: Promise<unknown>, code: string): Promise<SpoolUnavailableError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SpoolUnavailableError);
  expect((e as SpoolUnavailableError).code).toBe(code);
  return e as SpoolUnavailableError;
}

describe('Spool basics', () => {
  it('gives back appended records in order, then nothing', async () => {
    const spool = await spoolAt();
    await spool.append([rec(0), rec(1)]);
    await spool.append([rec(2)]);
    const batch = await spool.read(2);
    expect(batch?.records.map(idx)).toEqual([0, 1]);
    expect((await spool.read(10))?.records.map(idx)).toEqual([2]);
    expect(await spool.read(10)).toBeNull();
    expect(spool.stats).toMatchObject({ backlogRecords: 3, segments: 1, writable: true, appendErrors: 0 });
  });

  it('keeps records across close and open; after confirm, resumes after the confirmed cursor', async () => {
    let spool = await spoolAt();
    await spool.append(range(0, 100).map((i) => rec(i)));
    await spool.close();
    spool = await spoolAt();
    expect(spool.stats.backlogRecords).toBe(100);
    const first = await spool.read(40);
    expect(first?.records.map(idx)).toEqual(range(0, 40));
    await spool.confirm(first!.end);
    expect(spool.stats.backlogRecords).toBe(60);
    // read but not confirmed: delivered again after a restart (at least once)
    expect((await spool.read(10))?.records.map(idx)).toEqual(range(40, 50));
    await spool.close();
    spool = await spoolAt();
    expect(spool.stats.backlogRecords).toBe(60);
    expect(await drain(spool)).toEqual(range(40, 100));
  });

  it('rewinds to the confirmed cursor after a failed store write', async () => {
    const spool = await spoolAt();
    await spool.append(range(0, 10).map((i) => rec(i)));
    const a = await spool.read(3);
    await spool.confirm(a!.end);
    expect((await spool.read(4))?.records.map(idx)).toEqual([3, 4, 5, 6]);
    spool.rewind();
    expect(await drain(spool)).toEqual(range(3, 10));
  });

  it('ignores a confirm of an older position and refuses one past the data', async () => {
    const spool = await spoolAt();
    await spool.append([rec(0), rec(1)]);
    const a = await spool.read(1);
    const b = await spool.read(1);
    await spool.confirm(b!.end);
    await spool.confirm(a!.end);
    expect(spool.stats.backlogRecords).toBe(0);
    await expect(spool.confirm({ offset: b!.end.offset + 1000, seq: 5 })).rejects.toThrow(RangeError);
  });

  it('commits many concurrent appends with far fewer fsyncs (group commit)', async () => {
    const spool = await spoolAt();
    await Promise.all(range(0, 2000).map((i) => spool.append([rec(i, 200)])));
    expect(spool.stats.fsyncs).toBeGreaterThan(0);
    expect(spool.stats.fsyncs).toBeLessThanOrEqual(20);
    expect(await drain(spool)).toEqual(range(0, 2000));
  });

  it('keeps order when durable and non-durable appends are mixed', async () => {
    const spool = await spoolAt();
    await Promise.all(range(0, 300).map((i) => spool.append([rec(i)], { durable: i % 3 !== 0 })));
    expect(await drain(spool)).toEqual(range(0, 300));
  });

  it('hands out only fsynced records; a non-durable append resolves before the fsync', async () => {
    const { io, faults } = faultyIo();
    const spool = await spoolAt({ io });
    let release!: () => void;
    faults.datasyncGate = new Promise((r) => (release = r));
    let durableDone = false;
    const durable = spool.append([rec(0)]).then(() => (durableDone = true));
    try {
      await spool.append([rec(1)], { durable: false });
      expect(durableDone).toBe(false);
      expect(await spool.read(10)).toBeNull();
    } finally {
      faults.datasyncGate = null;
      release();
    }
    await durable;
    expect(await drain(spool)).toEqual([0, 1]);
  });

  it('wakes a waiting reader when records arrive', async () => {
    const spool = await spoolAt();
    const woke = spool.waitReadable().then(() => 'woke');
    await new Promise((r) => setTimeout(r, 20));
    await spool.append([rec(7)]);
    expect(await woke).toBe('woke');
    expect((await spool.read(1))?.records.map(idx)).toEqual([7]);
  });

  it('round-trips records larger than one read chunk and refuses oversized ones', async () => {
    const spool = await spoolAt();
    const big = Buffer.alloc(3 * 1024 * 1024, 0x5a);
    await spool.append([rec(1), big, rec(2)]);
    const got = await spool.read(10);
    expect(got?.records.length).toBe(3);
    expect(Buffer.from(got!.records[1]!).equals(big)).toBe(true);
    await expect(spool.append([Buffer.alloc(MAX_RECORD_BYTES + 1)])).rejects.toThrow(RangeError);
  });

  it('commits what is pending on close and refuses appends afterwards', async () => {
    let spool = await spoolAt({ groupCommitMs: 50 });
    const pending = spool.append([rec(0)]);
    await spool.close();
    await pending;
    await expectUnavailable(spool.append([rec(1)]), 'CLOSED');
    await expectUnavailable(spool.read(10), 'CLOSED');
    await spool.waitReadable(); // does not hang a drain loop on a closed spool
    spool = await spoolAt();
    expect(await drain(spool)).toEqual([0]);
  });

  it('refuses a second open of the same folder while it is open', async () => {
    const spool = await spoolAt();
    await expectUnavailable(Spool.open({ dir, logger: captureLog() }), 'LOCKED');
    await spool.close();
    await spoolAt();
  });
});

describe('Spool segments', () => {
  it('rolls over to new segments and deletes the ones the store confirmed', async () => {
    const spool = await spoolAt({ segmentBytes: 4096 });
    for (let i = 0; i < 500; i += 50) await spool.append(range(i, i + 50).map((k) => rec(k, 100)));
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(5);
    expect(spool.stats.segments).toBe(files.length);

    const half = await spool.read(250);
    await spool.confirm(half!.end);
    const left = segmentFiles(dir);
    expect(left.length).toBeLessThan(files.length);
    expect(left.length).toBeGreaterThan(1);
    expect(left).toEqual(files.slice(files.length - left.length));

    expect(await drain(spool, { confirm: true })).toEqual(range(250, 500));
    // the active segment stays for the next appends
    expect(segmentFiles(dir)).toEqual([files.at(-1)]);
    expect(spool.stats).toMatchObject({ segments: 1, backlogRecords: 0, backlogBytes: 0 });
    await spool.close();

    const again = await spoolAt({ segmentBytes: 4096 });
    expect(again.stats.backlogRecords).toBe(0);
    await again.append([rec(500)]);
    expect(await drain(again)).toEqual([500]);
  });

  it('reads across segment boundaries in one batch', async () => {
    const spool = await spoolAt({ segmentBytes: 1024 });
    for (let i = 0; i < 100; i += 10) await spool.append(range(i, i + 10).map((k) => rec(k, 60)));
    expect(spool.stats.segments).toBeGreaterThan(3);
    expect((await spool.read(100))?.records.map(idx)).toEqual(range(0, 100));
  });

  it('refuses appends past maxBacklogBytes (SPOOL_FULL) until the store confirms', async () => {
    const spool = await spoolAt({ maxBacklogBytes: 10 * (HEADER_BYTES + 100) });
    await spool.append(range(0, 10).map((i) => rec(i, 100)));
    const err = await expectUnavailable(spool.append([rec(10, 100)]), 'SPOOL_FULL');
    expect(err.message).toMatch(/backlog/);
    expect(spool.stats).toMatchObject({ writable: false, full: true, maxBacklogBytes: 10 * (HEADER_BYTES + 100) });
    const all = await spool.read(100);
    // Room again once the store confirms: writable before any device tries again (health recovers).
    await spool.confirm(all!.end);
    expect(spool.stats).toMatchObject({ writable: true, full: false });
    await spool.append([rec(10, 100)]);
    expect(spool.stats.writable).toBe(true);
    expect(await drain(spool)).toEqual([10]);
  });

  it('counts the bytes being written against maxBacklogBytes, not only those staged or written', async () => {
    const { io, faults } = faultyIo();
    const spool = await spoolAt({ io, maxBacklogBytes: 10 * (HEADER_BYTES + 100) });
    let release!: () => void;
    faults.writeGate = new Promise((r) => (release = r));
    const writing = new Promise<void>((r) => (faults.writeEntered = r));
    const first = spool.append(range(0, 10).map((i) => rec(i, 100)));
    await writing;
    // The ten records are in the file's write right now: the limit is reached already.
    await expectUnavailable(spool.append([rec(10, 100)]), 'SPOOL_FULL');
    faults.writeGate = null;
    release();
    await first;
    expect(spool.stats.backlogBytes).toBe(10 * (HEADER_BYTES + 100));
  });

  it('does not call a failing disk full: a write error stays unwritable after a confirm', async () => {
    const { io, faults } = faultyIo();
    const spool = await spoolAt({ io, maxBacklogBytes: 1024 * 1024 });
    await spool.append([rec(0)]);
    faults.write = 'EIO';
    await expectUnavailable(spool.append([rec(1)]), 'EIO');
    faults.write = null;
    const all = await spool.read(100);
    await spool.confirm(all!.end);
    // Only a successful append says the disk works again.
    expect(spool.stats).toMatchObject({ writable: false, full: false });
    await spool.append([rec(2)]);
    expect(spool.stats.writable).toBe(true);
  });
});

describe('Spool recovery', () => {
  it('cuts a torn tail record and goes on appending after the good records', async () => {
    const log = captureLog();
    let spool = await spoolAt();
    await spool.append(range(0, 20).map((i) => rec(i, 150)));
    await spool.close();
    const [file] = segmentFiles(dir);
    const path = join(dir, file!);
    const goodSize = statSync(path).size;
    // a header announcing 150 bytes, and only 40 of them: a write cut short by a crash
    const torn = Buffer.alloc(HEADER_BYTES + 40, 0x41);
    torn.writeUInt32LE(150, 0);
    appendFileSync(path, torn);

    spool = await spoolAt({ logger: log });
    expect(statSync(path).size).toBe(goodSize);
    expect(log.warnings.some((w) => /torn tail/.test(w))).toBe(true);
    expect(spool.stats.backlogRecords).toBe(20);
    await spool.append([rec(20, 150)]);
    expect(await drain(spool)).toEqual(range(0, 21));
    expect(spool.stats.corruptRecords).toBe(0);
  });

  it('cuts a tail of zeros (unwritten blocks after a power cut)', async () => {
    let spool = await spoolAt();
    await spool.append(range(0, 5).map((i) => rec(i)));
    await spool.close();
    const path = join(dir, segmentFiles(dir)[0]!);
    const goodSize = statSync(path).size;
    appendFileSync(path, Buffer.alloc(4096));
    spool = await spoolAt();
    expect(statSync(path).size).toBe(goodSize);
    expect(await drain(spool)).toEqual(range(0, 5));
  });

  it('skips a damaged record in the middle with one warning and keeps the rest', async () => {
    const log = captureLog();
    let spool = await spoolAt();
    await spool.append(range(0, 10).map((i) => rec(i, 100)));
    await spool.close();
    const path = join(dir, segmentFiles(dir)[0]!);
    const bytes = readFileSync(path);
    const recordBytes = HEADER_BYTES + 100;
    bytes[4 * recordBytes + HEADER_BYTES + 20]! ^= 0x10; // inside record 4's payload
    writeFileSync(path, bytes);

    spool = await spoolAt({ logger: log });
    expect(spool.stats.corruptRecords).toBe(1);
    expect(spool.stats.backlogRecords).toBe(9);
    expect(await drain(spool)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    spool.rewind();
    expect(await drain(spool)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(spool.stats.corruptRecords).toBe(1);
    expect(log.warnings.filter((w) => /damaged spool record/.test(w))).toHaveLength(1);
  });

  it('detects damage that appears after open, while reading', async () => {
    const log = captureLog();
    const spool = await spoolAt({ logger: log });
    await spool.append(range(0, 10).map((i) => rec(i, 100)));
    const path = join(dir, segmentFiles(dir)[0]!);
    const bytes = readFileSync(path);
    bytes[2 * (HEADER_BYTES + 100) + 1]! ^= 0xff; // record 2's length
    writeFileSync(path, bytes);
    expect(await drain(spool)).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 9]);
    expect(spool.stats.corruptRecords).toBe(1);
  });

  it('replays from the oldest segment when the cursor file is unreadable', async () => {
    const log = captureLog();
    let spool = await spoolAt();
    await spool.append(range(0, 10).map((i) => rec(i)));
    const b = await spool.read(5);
    await spool.confirm(b!.end);
    await spool.close();
    writeFileSync(join(dir, 'cursor.json'), '{"vers');
    spool = await spoolAt({ logger: log });
    expect(log.warnings.some((w) => /cursor/.test(w))).toBe(true);
    expect(await drain(spool)).toEqual(range(0, 10));
  });
});

describe('Spool when the disk fails', () => {
  it('refuses appends on ENOSPC, says so in stats, and recovers when the disk has room again', async () => {
    const log = captureLog();
    const { io, faults } = faultyIo();
    let spool = await spoolAt({ io, logger: log });
    await spool.append([rec(0)]);
    faults.write = 'ENOSPC';
    const err = await expectUnavailable(spool.append([rec(1)]), 'ENOSPC');
    expect(err.message).toMatch(/ENOSPC/);
    await expectUnavailable(spool.append([rec(2)], { durable: false }), 'ENOSPC');
    expect(spool.stats).toMatchObject({ writable: false, appendErrors: 2, backlogRecords: 1 });
    expect(spool.stats.lastError).toMatch(/ENOSPC/);
    expect(log.errors.length).toBeGreaterThan(0);
    expect((await spool.read(10))?.records.map(idx)).toEqual([0]);

    faults.write = null;
    await spool.append([rec(3)]);
    expect(spool.stats.writable).toBe(true);
    expect((await spool.read(10))?.records.map(idx)).toEqual([3]);
    await spool.close();
    spool = await spoolAt();
    expect(await drain(spool)).toEqual([0, 3]);
  });

  it('cuts a half-written batch back off the file', async () => {
    const { io, faults } = faultyIo();
    let spool = await spoolAt({ io });
    await spool.append([rec(0, 100)]);
    const path = join(dir, segmentFiles(dir)[0]!);
    const goodSize = statSync(path).size;
    faults.shortWrite = true; // half the batch lands, then the disk is full
    faults.write = 'ENOSPC';
    await expectUnavailable(spool.append(range(1, 10).map((i) => rec(i, 100))), 'ENOSPC');
    expect(statSync(path).size).toBe(goodSize);
    faults.write = null;
    await spool.append([rec(10, 100)]);
    await spool.close();
    spool = await spoolAt();
    expect(await drain(spool)).toEqual([0, 10]);
  });

  it('refuses durable appends whose fsync failed and drops their bytes', async () => {
    const { io, faults } = faultyIo();
    let spool = await spoolAt({ io });
    await spool.append([rec(0)]);
    faults.datasync = 'EIO';
    const quick = spool.append([rec(1)], { durable: false });
    const slow = spool.append([rec(2)]);
    await quick; // written to the file: a QoS 0 message is not waited for
    await expectUnavailable(slow, 'EIO');
    expect(spool.stats.writable).toBe(false);
    expect((await spool.read(10))?.records.map(idx)).toEqual([0]);
    faults.datasync = null;
    await spool.append([rec(3)]);
    await spool.close();
    spool = await spoolAt();
    expect(await drain(spool)).toEqual([0, 3]);
  });

  it('starts a new segment when a failed write cannot be cut off, and recovery ignores the garbage', async () => {
    const { io, faults } = faultyIo();
    let spool = await spoolAt({ io });
    await spool.append([rec(0, 100)]);
    faults.shortWrite = true;
    faults.write = 'EIO';
    faults.truncate = 'EIO';
    await expectUnavailable(spool.append(range(1, 10).map((i) => rec(i, 100))), 'EIO');
    faults.write = null;
    faults.truncate = null;
    await spool.append([rec(10, 100)]);
    expect(segmentFiles(dir)).toHaveLength(2);
    expect(await drain(spool)).toEqual([0, 10]);
    await spool.close();
    spool = await spoolAt();
    expect(await drain(spool)).toEqual([0, 10]);
  });

  it('reports a failed cursor write from confirm and keeps the old cursor', async () => {
    const { io, faults } = faultyIo();
    let spool = await spoolAt({ io });
    await spool.append(range(0, 4).map((i) => rec(i)));
    const b = await spool.read(2);
    faults.write = 'ENOSPC';
    await expectUnavailable(spool.confirm(b!.end), 'ENOSPC');
    expect(spool.stats.backlogRecords).toBe(4);
    faults.write = null;
    await spool.close();
    spool = await spoolAt();
    expect(await drain(spool)).toEqual(range(0, 4));
  });
});
