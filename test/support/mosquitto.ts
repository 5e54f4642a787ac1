import { execFile, spawn } from 'node:child_process';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const MISSING = 'not found — install it with apt-get install mosquitto-clients';

/** Runs mosquitto_pub, an MQTT client from outside the project, and returns its exit code and output. */
export function mosquittoPub(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile('mosquitto_pub', args, { timeout: 15_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return reject(new Error(`mosquitto_pub ${MISSING}`));
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts mosquitto_sub; `stop()` ends it and gives what it printed. */
export function mosquittoSub(args: string[]): { stop(): Promise<CliResult>; exited: Promise<CliResult> } {
  const child = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`mosquitto_sub ${MISSING} (${err.message})`)));
    // 'close', not 'exit': 'exit' can come before the last of stdout has been read, and on a busy
    // machine a subscriber that printed its one message and quit then seemed to print nothing.
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    exited,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
