import { spawn, type ChildProcess } from 'node:child_process';
import { ADMIN_TOKEN } from './hub.ts';

export interface HubProcess {
  child: ChildProcess;
  httpUrl: string;
  mqttPort: number;
  /** ends with SIGKILL: no shutdown code runs, as in a crash or power cut */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `npm run hub` as a child process, for tests that crash it. Resolves once it logs that it is up.
 * `fileSizeLimitKiB` sets RLIMIT_FSIZE: past it the kernel refuses writes with EFBIG, a real
 * disk-full for the hub's files.
 */
export function startHubProcess(env: Record<string, string>, opts: { fileSizeLimitKiB?: number } = {}): Promise<HubProcess> {
  const node = `exec '${process.execPath}' --import tsx services/hub/main.ts`;
  const child = spawn('bash', ['-c', opts.fileSizeLimitKiB ? `ulimit -S -f ${opts.fileSizeLimitKiB} && ${node}` : node], {
    env: {
      PATH: process.env.PATH, HTTP_PORT: '0', MQTT_PORT: '0', TELTONIKA_PORT: '0', WIALON_PORT: '0', GT06_PORT: '0',
      HTTP_HOST: '127.0.0.1', HUB_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'info', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start in 60 s:\n${log.slice(-2000)}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
      const line = log.split('\n').find((l) => l.includes('"mistohub is up"'));
      if (!line) return;
      clearTimeout(timer);
      const { http, mqtt } = JSON.parse(line) as { http: number; mqtt: number };
      log = '';
      resolve({
        child,
        httpUrl: `http://127.0.0.1:${http}`,
        mqttPort: mqtt,
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code} before it was up:\n${log.slice(-2000)}`));
    });
  });
}
