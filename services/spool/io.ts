import { constants, promises as fsp } from 'node:fs';

/**
 * The spool's only door to the file system. It exists so tests can inject faults (ENOSPC, EIO,
 * short writes) at the narrowest point; production always uses `nodeIo`.
 */
export interface SpoolFile {
  /** Bytes read; fewer than `length` only at end of file. */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Bytes written; may be fewer than `length` (e.g. just before a file size limit). */
  write(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export type OpenMode = 'read' | 'write' | 'create';

export interface SpoolIo {
  open(path: string, mode: OpenMode): Promise<SpoolFile>;
  mkdir(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync of a directory, so that creations, renames and removals in it survive a power cut. */
  syncDir(dir: string): Promise<void>;
}

const FLAGS: Record<OpenMode, number> = {
  read: constants.O_RDONLY,
  write: constants.O_RDWR,
  create: constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC,
};

class NodeFile implements SpoolFile {
  constructor(private readonly fh: fsp.FileHandle) {}
  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.read(buf, offset, length, position)).bytesRead;
  }
  async write(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.write(buf, offset, length, position)).bytesWritten;
  }
  datasync(): Promise<void> {
    return this.fh.datasync();
  }
  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

export const nodeIo: SpoolIo = {
  async open(path, mode) {
    return new NodeFile(await fsp.open(path, FLAGS[mode], 0o644));
  },
  async mkdir(dir) {
    await fsp.mkdir(dir, { recursive: true });
  },
  readdir: (dir) => fsp.readdir(dir),
  readFile: (path) => fsp.readFile(path),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  async syncDir(dir) {
    const fh = await fsp.open(dir, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};
