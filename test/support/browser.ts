import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { makeTempDir } from './temp-dir.ts';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function findChromium(): string | null {
  for (const path of CANDIDATES) if (existsSync(path)) return path;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('which', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (found) return found;
    } catch {
      // not on PATH
    }
  }
  return null;
}

/**
 * A headless system Chromium, with its profile, config and cache in a temp folder that is
 * removed when the browser closes. Throws when Chromium is not installed.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('chromium not found — install it with apt-get install chromium');
  const home = makeTempDir('chromium');
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    env: { ...process.env, HOME: home.path, XDG_CONFIG_HOME: `${home.path}/config`, XDG_CACHE_HOME: `${home.path}/cache` },
  }).catch((err: unknown) => {
    home.remove();
    throw err;
  });
  browser.on('disconnected', () => home.remove());
  return browser;
}
