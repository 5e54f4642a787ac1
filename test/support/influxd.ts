import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './temp-dir.ts';
import { freePort } from './free-port.ts';

const INFLUXD = '/usr/bin/influxd';

export interface RunningInfluxd {
  /** base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Graceful stop (SIGTERM); the temp folder is removed. */
  stop(): Promise<void>;
  /** SIGKILL, for outage tests; the data stays for `restart()`. */
  kill(): void;
  /** Starts it again on the same port with the same data (stops it first if running). */
  restart(): Promise<void>;
  /** the folder of its data (meta, data, wal) */
  readonly dir: string;
  /** the running influxd's process id (benches read its CPU time) */
  pid(): number | undefined;
}


function configText(dir: string, httpPort: number, rpcPort: number): string {
  // Every listener influxd knows is either bound to loopback on a free port or turned off, so
  // parallel test files never collide and nothing is reachable from outside.
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  wal-fsync-delay = "0s"
  index-version = "inmem"
  query-log-enabled = false
  trace-logging-enabled = false

[coordinator]
  write-timeout = "10s"

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  suppress-write-log = true
  write-tracing = false
  pprof-enabled = false
  https-enabled = false
  unix-socket-enabled = false
  flux-enabled = false

[ifql]
  enabled = false

[logging]
  level = "error"
  suppress-logo = true

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false

[continuous_queries]
  enabled = false
  log-enabled = false
`;
}

async function pingOnce(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 204;
  } catch {
    return false;
  }
}

/**
 * Starts a real influxd (1.x; `binary` only for testing this helper) in a temp folder on free loopback ports and waits until `/ping`
 * answers. One per test file: start it in `beforeAll`, `stop()` it in `afterAll`.
 */
export async function startInfluxd(opts: { binary?: string } = {}): Promise<RunningInfluxd> {
  const binary = opts.binary ?? INFLUXD;
  if (!existsSync(binary)) throw new Error('influxd not found — install it with `apt-get install influxdb`');

  const temp = makeTempDir('influxd');
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  for (const sub of ['meta', 'data', 'wal']) mkdirSync(join(temp.path, sub));
  const configFile = join(temp.path, 'influxdb.conf');
  writeFileSync(configFile, configText(temp.path, httpPort, rpcPort));
  const url = `http://127.0.0.1:${httpPort}`;

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const proc = spawn(binary, ['run', '-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    // Keep only the tail: enough to explain a failed start without growing forever.
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let hasExited = false;
    exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        hasExited = true;
        if (child === proc) child = undefined;
        resolve();
      });
      proc.once('error', (err) => {
        output += `\n${String(err)}`;
        hasExited = true;
        if (child === proc) child = undefined;
        resolve();
      });
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (hasExited) throw new Error(`influxd exited during start:\n${output}`);
      if (await pingOnce(url)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`influxd did not answer /ping within 30 s:\n${output}`);
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined) return;
    const done = exited;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };

  // If the test process dies without afterAll, influxd must not outlive it.
  const reap = (): void => {
    child?.kill('SIGKILL');
  };
  process.on('exit', reap);

  try {
    await launch();
  } catch (err) {
    await halt();
    process.off('exit', reap);
    temp.remove();
    throw err;
  }

  return {
    url,
    dir: temp.path,
    pid: () => child?.pid,
    async stop() {
      await halt();
      process.off('exit', reap);
      temp.remove();
    },
    kill() {
      child?.kill('SIGKILL');
    },
    async restart() {
      // After kill() the process may not be reaped yet: halt() waits for its exit, so the port
      // is free again before the new one binds it.
      await halt();
      await launch();
    },
  };
}

/** How many positions a database of a running influxd holds, asked over its own HTTP API. */
export async function countPositions(url: string, db: string): Promise<number> {
  const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&q=${encodeURIComponent('SELECT count(lat) FROM position')}`);
  const body = (await res.json()) as { results: { series?: { values: [string, number][] }[] }[] };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}
