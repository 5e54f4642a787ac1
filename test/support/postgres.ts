import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';
import { makeTempDir } from './temp-dir.ts';

/** Debian's postgresql 15 (`apt-get install postgresql`). */
export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface RunningPostgres {
  /** the superuser's URL of the database `postgres`: postgres://postgres@127.0.0.1:{port}/postgres */
  url: string;
  port: number;
  /** Creates an empty database and answers its URL: one per hub, so tests do not share a registry. */
  createDatabase(name: string): Promise<string>;
  /** SIGTERM (fast shutdown), waits for the exit, removes the temp folder. */
  stop(): Promise<void>;
}

/**
 * PostgreSQL refuses to run as root (initdb and the server alike). As root the cluster belongs
 * to Debian's `postgres` account, created by the package; as anyone else, to that user.
 */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid === 0) throw new Error('running as root, and there is no `postgres` account to run PostgreSQL as (apt-get install postgresql creates it)');
  return { uid, gid };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A real PostgreSQL 15 server on a free loopback port: initdb into a temp folder (trust
 * authentication, loopback only, its unix socket in the same folder), without fsync — a test
 * server. One per test file: start it in `beforeAll`, `stop()` it in `afterAll`.
 */
export async function startPostgres(): Promise<RunningPostgres> {
  for (const bin of ['initdb', 'postgres']) {
    if (!existsSync(join(PG_BIN, bin))) throw new Error(`${PG_BIN}/${bin} not found — install PostgreSQL 15 with \`apt-get install postgresql\``);
  }
  const owner = runAs();
  const temp = makeTempDir('postgres');
  const dataDir = join(temp.path, 'data');
  const socketDir = join(temp.path, 'socket');
  mkdirSync(dataDir, { mode: 0o700 });
  mkdirSync(socketDir, { mode: 0o700 });
  if (owner) for (const dir of [temp.path, dataDir, socketDir]) chownSync(dir, owner.uid, owner.gid);
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};

  const init = spawnSync(join(PG_BIN, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'], { ...asOwner, encoding: 'utf8', cwd: temp.path });
  if (init.status !== 0) {
    temp.remove();
    throw new Error(`initdb failed (${init.status ?? init.signal}) as ${owner ? 'postgres' : userInfo().username}:\n${init.stderr}${init.stdout}`);
  }

  const port = await freePort();
  const child: ChildProcess = spawn(
    join(PG_BIN, 'postgres'),
    ['-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    { ...asOwner, cwd: temp.path, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitedFlag = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exitedFlag = true;
      resolve();
    });
    child.once('error', (err) => {
      output += `\n${String(err)}`;
      exitedFlag = true;
      resolve();
    });
  });
  const reap = () => child.kill('SIGKILL');
  process.on('exit', reap);

  const stop = async () => {
    // SIGINT: "fast shutdown", which ends the clients' connections instead of waiting for them.
    if (!exitedFlag) child.kill('SIGINT');
    await exited;
    process.off('exit', reap);
    temp.remove();
  };

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exitedFlag) {
      await stop();
      throw new Error(`postgres exited during start:\n${output}`);
    }
    if (await answers(url)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`postgres did not answer within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name "${name}": lower-case letters, digits and _ only`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}
