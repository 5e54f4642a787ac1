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
    // INFLUX_URL may carry user:password@, so it is named with the reason, never shown.
    expect(r.stderr).toMatch(/INFLUX_URL: must be an http\(s\) URL/);
    expect(r.stderr).not.toContain('not a url');
  });

  it('names a bad secret and the reason, never its value', () => {
    const secrets = {
      HUB_ADMIN_TOKEN: 'tooShortSecretValue',
      INFLUX_URL: 'ftp://reader:hunter2-secret@influx.local:8086',
      INFLUX_PASSWORD: '',
      METRICS_TOKEN: 'shortMetricsTok',
    };
    let err: unknown;
    try {
      parseSettings({ ...secrets, INFLUX_TOKEN: 'tok' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SettingsError);
    const message = (err as SettingsError).message;
    expect(message).toContain('HUB_ADMIN_TOKEN: must be at least 24 characters');
    expect(message).toContain('METRICS_TOKEN: must be at least 16 characters');
    expect(message).toMatch(/INFLUX_URL: must be an http\(s\) URL/);
    for (const value of ['tooShortSecretValue', 'hunter2', 'reader', 'shortMetricsTok']) expect(message).not.toContain(value);
  });

  it('the same through `npm run hub`: stderr names the variable, not the value', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'services/hub/main.ts'], {
      env: { PATH: process.env.PATH, HUB_ADMIN_TOKEN: 'abc-secret-xyz', INFLUX_URL: 'gopher://u:p4ssw0rd@host' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('HUB_ADMIN_TOKEN: must be at least 24 characters');
    expect(r.stderr).not.toContain('abc-secret-xyz');
    expect(r.stderr).not.toContain('p4ssw0rd');
  });

  it('TRUST_PROXY: false by default; true, a hop count or proxy addresses; anything else is refused', () => {
    expect(parseSettings({}).TRUST_PROXY).toBe(false);
    expect(parseSettings({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(parseSettings({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(parseSettings({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => parseSettings({ TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY="yes please": must be false, true, a hop count/);
  });

  it('OPCUA_AUTO_TRUST: off unless set to true (npm start sets it); anything else is refused', () => {
    expect(parseSettings({}).OPCUA_AUTO_TRUST).toBe(false);
    expect(parseSettings({ OPCUA_AUTO_TRUST: 'true' }).OPCUA_AUTO_TRUST).toBe(true);
    expect(parseSettings({ OPCUA_AUTO_TRUST: 'false' }).OPCUA_AUTO_TRUST).toBe(false);
    expect(() => parseSettings({ OPCUA_AUTO_TRUST: 'yes' })).toThrow(/OPCUA_AUTO_TRUST="yes": must be true or false/);
  });
});
