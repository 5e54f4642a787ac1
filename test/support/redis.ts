import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { makeTempDir } from './temp-dir.ts';
import { freePort } from './free-port.ts';

const REDIS_SERVER = '/usr/bin/redis-server';

export interface RunningRedis {
  /** e.g. redis://127.0.0.1:40123 */
  url: string;
  port: number;
  /** SIGTERM, waits for the exit, removes the temp folder. */
  stop(): Promise<void>;
}

/** One PING over a fresh TCP connection: true when the server answers PONG. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d: Buffer) => done(d.toString().startsWith('+PONG')));
  });
}

/**
 * A real redis-server (Debian's redis 7) on a free loopback port, in a temp folder, without
 * persistence to disk. One per test file: start it in `beforeAll`, `stop()` it in `afterAll`.
 */
export async function startRedis(): Promise<RunningRedis> {
  if (!existsSync(REDIS_SERVER)) throw new Error('redis-server not found — install it with `apt-get install redis-server`');
  const temp = makeTempDir('redis');
  const port = await freePort();
  const child: ChildProcess = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', temp.path, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
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
    if (!exitedFlag) child.kill('SIGTERM');
    await exited;
    process.off('exit', reap);
    temp.remove();
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exitedFlag) {
      await stop();
      throw new Error(`redis-server exited during start:\n${output}`);
    }
    if (await pingOnce(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer PING within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}
