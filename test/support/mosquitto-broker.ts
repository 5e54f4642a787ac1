import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { makeTempDir } from './temp-dir.ts';
import { freePort } from './free-port.ts';

const MOSQUITTO = '/usr/sbin/mosquitto';

export interface RunningMosquitto {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * A real mosquitto 2 broker on a free loopback port, in a temp folder, for external broker
 * mode. `config` lines are added to the listener's (plugins, auth); anonymous clients are
 * allowed unless `config` says otherwise. Queues are large: the test must see loss by the hub,
 * not by the broker's limits.
 */
export async function startMosquitto(opts: { config?: string[]; files?: Record<string, string> } = {}): Promise<RunningMosquitto> {
  if (!existsSync(MOSQUITTO)) throw new Error('mosquitto not found — install it with `apt-get install mosquitto`');
  const temp = makeTempDir('mosquitto');
  const port = await freePort();
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(temp.path, name), text, { mode: 0o600 });
  const config = [
    // Run as root, mosquitto would drop to the `mosquitto` user, which cannot read the temp folder.
    `user ${userInfo().username}`,
    'per_listener_settings false',
    'persistence false',
    'max_queued_messages 1000000',
    'max_inflight_messages 1000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ...(process.env.MOSQ_DEBUG ? ['log_type all'] : []),
    `listener ${port} 127.0.0.1`,
    ...(opts.config ?? ['allow_anonymous true']),
  ].map((l) => l.replaceAll('{dir}', temp.path));
  const file = join(temp.path, 'mosquitto.conf');
  writeFileSync(file, `${config.join('\n')}\n`);
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
    // MOSQ_DEBUG=1 shows the broker's log while a test runs.
    if (process.env.MOSQ_DEBUG) process.stderr.write(d);
  });
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => ((gone = true), resolve())));
  const reap = () => child.kill('SIGKILL');
  process.on('exit', reap);
  const stop = async () => {
    if (!gone) child.kill('SIGTERM');
    await exited;
    process.off('exit', reap);
    temp.remove();
  };
  const deadline = Date.now() + 20_000;
  while (!(await listening(port))) {
    if (gone || Date.now() > deadline) {
      await stop();
      throw new Error(`mosquitto did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `mqtt://127.0.0.1:${port}`, port, stop };
}
