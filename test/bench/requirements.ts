/**
 * What the bench needs from outside the project before it starts anything: influxd always, the
 * mosquitto broker for the peer pipeline (and bench:floor's mosquitto part). The Debian packages,
 * the install as root and the "install it with" message live in one script that `npm test` uses
 * too (test/support/require-packages.sh). Node-RED is no package: the bench installs it itself
 * into a cache folder with npm (peer.ts).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REPO } from './processes.ts';

export const REQUIRE_PACKAGES = join(REPO, 'test', 'support', 'require-packages.sh');

/** A part the bench needs is missing or could not be set up: said in a sentence, without a stack trace. */
export class BenchSetupError extends Error {}

/** Where the script also looks, as the mosquitto broker lives in /usr/sbin, often not on a user's PATH. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/**
 * The program to spawn for `command`: found on PATH or in the sbin folders (where the check found
 * it), else the bare name.
 */
export function resolveCommand(command: string): string {
  return findOnPath(command, [process.env.PATH ?? '', ...SBIN_DIRS].join(delimiter)) ?? command;
}

/** The outside programs a bench run starts. */
export function benchCommands(parts: { influxd: boolean; mosquitto: boolean }): string[] {
  return [...(parts.influxd ? ['influxd'] : []), ...(parts.mosquitto ? ['mosquitto'] : [])];
}

/** Where `command` is on `path` (a PATH string), if anywhere. */
export function findOnPath(command: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface RequireOptions {
  /** the environment the programs are looked up in (PATH); the bench's own by default */
  env?: NodeJS.ProcessEnv;
  /** only say what is missing, never install (tests) */
  checkOnly?: boolean;
  /** 'inherit' shows apt-get and the message as they come (the bench); 'pipe' captures them (tests) */
  stdio?: 'inherit' | 'pipe';
}

/**
 * Runs the shared check for `commands`: true when all are there (installed now if need be, as
 * root). Otherwise the script has said which are missing and how to install them.
 */
export function requirePackages(who: string, commands: string[], opts: RequireOptions = {}): { ok: boolean; output: string } {
  if (commands.length === 0) return { ok: true, output: '' };
  // bash is looked up on the bench's own PATH: the PATH given may be the one being checked.
  const bash = findOnPath('bash', process.env.PATH) ?? '/bin/bash';
  const args = [REQUIRE_PACKAGES, ...(opts.checkOnly ? ['--check'] : []), who, ...commands];
  const run = spawnSync(bash, args, { env: opts.env ?? process.env, stdio: opts.stdio === 'pipe' ? 'pipe' : 'inherit', encoding: 'utf8', timeout: 15 * 60_000 });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? `\n${run.error.message}` : ''}`;
  return { ok: run.status === 0, output };
}
