import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SettingsError, parseSettings } from '../../services/config/settings.ts';

describe('settings', () => {
  it('has the defaults of the product contract', () => {
    const s = parseSettings({});
    expect(s).toMatchObject({ HTTP_PORT: 8080, MQTT_PORT: 1883, TELTONIKA_PORT: 5027, WIALON_PORT: 5039, GT06_PORT: 5023, HUB_DATA_DIR: './data', INFLUX_DB: 'mistohub' });
    expect(s.INFLUX_URL).toBeUndefined();
  });

  it('names every bad variable at once', () => {
    let err: unknown;
    try {
      parseSettings({ HTTP_PORT: 'eighty', MQTT_PORT: '70000', INFLUX_URL: 'ftp://x', HUB_ADMIN_TOKEN: 'short', GT06_PORT: '5023' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SettingsError);
    const problems = (err as SettingsError).problems.join('\n');
    for (const name of ['HTTP_PORT', 'MQTT_PORT', 'INFLUX_URL', 'HUB_ADMIN_TOKEN']) expect(problems).toContain(name);
    expect(problems).not.toContain('GT06_PORT');
  });

  it('a bad value stops `npm run hub` with exit code 2 and one message', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'services/hub/main.ts'], {
      env: { PATH: process.env.PATH, HTTP_PORT: '-1', INFLUX_URL: 'not a url' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/HTTP_PORT="-1": must be 0–65535/);
    expect(r.stderr).toMatch(/INFLUX_URL="not a url"/);
  });
});
