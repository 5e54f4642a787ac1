import { describe, expect, it } from 'vitest';
import { SettingsError, parseSettings } from '../../services/config/settings.ts';

const problemsOf = (env: Record<string, string>): string => {
  try {
    parseSettings(env);
  } catch (err) {
    if (err instanceof SettingsError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('the settings were taken');
};

describe('scale-out settings', () => {
  it('REDIS_URL, MQTT_URL and the broker login are unset by default; the instance id is host and pid', () => {
    const s = parseSettings({});
    expect(s.REDIS_URL).toBeUndefined();
    expect(s.MQTT_URL).toBeUndefined();
    expect(s.MQTT_USERNAME).toBeUndefined();
    expect(s.MQTT_PASSWORD).toBeUndefined();
    expect(s.HUB_INSTANCE_ID).toMatch(new RegExp(`-${process.pid}$`));
  });

  it('takes redis:// and mqtt:// URLs and an instance id', () => {
    const s = parseSettings({ REDIS_URL: 'redis://:pw@redis:6379/0', MQTT_URL: 'mqtts://broker:8883', MQTT_USERNAME: 'svc-hub', MQTT_PASSWORD: 'x', HUB_INSTANCE_ID: 'hub-1' });
    expect(s).toMatchObject({ REDIS_URL: 'redis://:pw@redis:6379/0', MQTT_URL: 'mqtts://broker:8883', HUB_INSTANCE_ID: 'hub-1' });
  });

  it('names bad values and never prints a password', () => {
    const problems = problemsOf({ REDIS_URL: 'http://user:s3cret-pw@redis:6379', MQTT_URL: 'ws://u:other-secret@broker', HUB_INSTANCE_ID: 'has space', HUB_ADMIN_TOKEN: 'short-secret' });
    expect(problems).toMatch(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(problems).toMatch(/MQTT_URL: must be an mqtt:\/\/ or mqtts:\/\/ URL/);
    expect(problems).toMatch(/HUB_INSTANCE_ID="has space": must be 1–64 characters/);
    expect(problems).toMatch(/HUB_ADMIN_TOKEN: must be at least 24/);
    for (const secret of ['s3cret-pw', 'other-secret', 'short-secret']) expect(problems).not.toContain(secret);
  });

  it('LEASE_TTL_MS: 15 s by default, a number of milliseconds taken, a bad one named', () => {
    expect(parseSettings({}).LEASE_TTL_MS).toBe(15_000);
    expect(parseSettings({ LEASE_TTL_MS: '5000' }).LEASE_TTL_MS).toBe(5_000);
    expect(problemsOf({ LEASE_TTL_MS: '500' })).toMatch(/^LEASE_TTL_MS="500": must be 3000–300000 ms/);
    expect(problemsOf({ LEASE_TTL_MS: 'soon' })).toMatch(/^LEASE_TTL_MS="soon": /);
  });

  it('DATABASE_URL: unset by default (SQLite), a postgres:// URL taken, a bad one named without its password', () => {
    expect(parseSettings({}).DATABASE_URL).toBeUndefined();
    expect(parseSettings({ DATABASE_URL: 'postgresql://mistohub:pw@db:5432/mistohub' }).DATABASE_URL).toBe('postgresql://mistohub:pw@db:5432/mistohub');
    const problems = problemsOf({ DATABASE_URL: 'mysql://mistohub:db-s3cret@db/mistohub' });
    expect(problems).toMatch(/^DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(problems).not.toContain('db-s3cret');
  });
});
