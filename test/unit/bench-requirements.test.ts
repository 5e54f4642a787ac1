import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../../test/bench/processes.ts';
import { benchCommands, findOnPath, requirePackages } from '../../test/bench/requirements.ts';
import { makeTempDir } from '../support/temp-dir.ts';

/**
 * The dependency check of `npm run bench` (and `npm test`), run against folders of stand-in
 * programs instead of this machine's PATH: nothing is uninstalled, and with `--check` (or no
 * apt-get on the PATH given) nothing is installed.
 */
describe('what the bench needs from outside the project', () => {
  let temp: { path: string; remove: () => void };
  /** a folder holding executable stand-ins named `names` */
  const folder = (name: string, names: string[]): string => {
    const dir = join(temp.path, name);
    mkdirSync(dir, { recursive: true });
    for (const n of names) {
      writeFileSync(join(dir, n), '#!/bin/sh\nexit 0\n');
      chmodSync(join(dir, n), 0o755);
    }
    return dir;
  };
  const env = (path: string, sbin = ''): NodeJS.ProcessEnv => ({ PATH: path, REQUIRE_PACKAGES_SBIN_DIRS: sbin });
  const check = (commands: string[], e: NodeJS.ProcessEnv) => requirePackages('npm run bench', commands, { env: e, checkOnly: true, stdio: 'pipe' });

  beforeAll(() => {
    temp = makeTempDir('bench-requirements');
  });
  afterAll(() => temp.remove());

  it('asks for influxd always and for mosquitto only with the peer', () => {
    expect(benchCommands({ influxd: true, mosquitto: true })).toEqual(['influxd', 'mosquitto']);
    expect(benchCommands({ influxd: true, mosquitto: false })).toEqual(['influxd']);
  });

  it('with influxd missing from the PATH, names it, its Debian package and the exact install command', () => {
    const path = folder('no-influxd', ['mosquitto']);
    const r = check(['influxd', 'mosquitto'], env(path));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('npm run bench: missing influxd:');
    expect(r.output).toContain('  - influxd (InfluxDB 1.x server): Debian package influxdb');
    expect(r.output).toMatch(/^ {2}install with: (sudo )?apt-get install influxdb$/m);
    expect(r.output).not.toMatch(/mosquitto \(MQTT broker\)/);
  });

  it('with nothing there, asks for both packages in one command', () => {
    const r = check(['influxd', 'mosquitto'], env(folder('empty', [])));
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/^ {2}install with: (sudo )?apt-get install influxdb mosquitto$/m);
  });

  it('finds the broker in an sbin folder a user PATH lacks, and passes when all are there', () => {
    const bin = folder('bin-influxd', ['influxd']);
    const sbin = folder('sbin-mosquitto', ['mosquitto']);
    expect(check(['influxd', 'mosquitto'], env(bin))).toMatchObject({ ok: false });
    expect(check(['influxd', 'mosquitto'], env(bin, sbin))).toEqual({ ok: true, output: '' });
  });

  it('names a package once for the commands it gives (npm test: the mosquitto clients)', () => {
    const r = requirePackages('npm test', ['mosquitto_pub', 'mosquitto_sub', 'chromium'], { env: env(folder('clients-none', [])), checkOnly: true, stdio: 'pipe' });
    expect(r.output).toContain('npm test: missing mosquitto_pub mosquitto_sub chromium:');
    expect(r.output).toMatch(/^ {2}install with: (sudo )?apt-get install mosquitto-clients chromium$/m);
  });

  it('refuses a command it knows no package for, naming it', () => {
    const r = check(['influxd', 'nats-server'], env(folder('any', ['influxd'])));
    expect(r.ok).toBe(false);
    expect(r.output).toContain('no Debian package known for "nats-server"');
  });

  it('npm run bench on a PATH without influxd (nor apt-get) stops at once with that message, no stack trace', () => {
    const path = folder('fresh-machine', ['mosquitto']);
    expect(findOnPath('apt-get', path)).toBeUndefined();
    // Small options, so that a broken check could not start a long run; nothing else starts before the check.
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'test/bench/bench.ts'), '--no-peer', '--duration', '1', '--latency-duration', '1', '--connections', '1', '--overload-duration', '0', '--step', '0'], {
      cwd: REPO, env: env(path), encoding: 'utf8', timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('npm run bench: missing influxd:');
    expect(run.stderr).toMatch(/^ {2}install with: (sudo )?apt-get install influxdb$/m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).not.toContain('spool alone');
  });
});
