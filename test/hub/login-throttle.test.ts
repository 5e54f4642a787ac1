import { request } from 'node:http';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashing } from '../../services/registry/secrets.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';

interface Answer {
  status: number;
  retryAfter: string | undefined;
}

/** 3 free failures, then at most one per hold of 250, 500, 1000 ms: what a 2-second spread of arrivals allows. */
const MOST_CHECKED = 6;

/** Failed logins and parallel guesses against a real hub, through a (pretend) reverse proxy. */
describe('login throttling: counted before the hash, per address and per account', () => {
  let t: TestHub;
  /** POST /auth/login from a chosen loopback address, optionally as a proxy forwarding for `forwardedFor`. */
  const login = (username: string, password: string, from: string, forwardedFor?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const body = JSON.stringify({ username, password });
      const req = request(
        {
          host: '127.0.0.1', port: t.hub.ports.http, path: '/api/v1/auth/login', method: 'POST', localAddress: from,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const count = (answers: Answer[], status: number) => answers.filter((a) => a.status === status).length;
  /**
   * Sent at once, the attempts are checked three times (the free failures) and refused unhashed
   * after that. On a loaded machine they may reach the hub spread over a second or two, and an
   * attempt arriving after a hold (250 ms, then 500, 1000…) ended is checked too: a few more.
   */
  const expectThrottled = (answers: Answer[]) => {
    const checked = count(answers, 401);
    expect(checked).toBeGreaterThanOrEqual(3);
    expect(checked).toBeLessThanOrEqual(MOST_CHECKED);
    expect(count(answers, 429)).toBe(answers.length - checked);
  };

  beforeAll(async () => {
    // 127.0.0.1 plays the reverse proxy; every other address is a client of its own.
    t = await startTestHub({ TRUST_PROXY: '127.0.0.1' });
    for (const name of ['alice', 'bob']) {
      const res = await t.api('/api/v1/users', { method: 'POST', json: { username: name, password: `${name}-password-123`, roles: ['dispatcher'] } });
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => t?.stop());

  it('16 parallel failed logins from one address: the free three are checked, the rest refused with 429 unhashed', async () => {
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => login(`nobody-${i}`, 'guess', '127.0.0.2')));
    expectThrottled(answers);
    expect(answers.find((a) => a.status === 429)?.retryAfter).toMatch(/^\d+$/);
  });

  it('an untrusted peer cannot pick its address with X-Forwarded-For', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => login(`someone-${i}`, 'guess', '127.0.0.3', `198.51.100.${i}`)));
    expectThrottled(answers);
  });

  it('16 parallel guesses at one account from 16 addresses behind the proxy: the account is held back', async () => {
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => login('alice', `guess-${i}`, '127.0.0.1', `203.0.113.${i + 1}`)));
    expectThrottled(answers);
  });

  it('many addresses and many accounts: each is checked, one hash at a time', async () => {
    hashing.password.peakActive = 0;
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => login(`user-${i}`, 'guess', '127.0.0.1', `192.0.2.${i + 1}`)));
    expect(count(answers, 401)).toBe(8);
    expect(hashing.password.peakActive).toBe(1);
  }, 60_000);

  it('the right password from a fresh address still signs in', async () => {
    expect((await login('bob', 'bob-password-123', '127.0.0.1', '192.0.2.200')).status).toBe(200);
  });

  it('MQTT: 16 parallel connects with a wrong secret are checked three times; the rest are refused unhashed', async () => {
    const { id } = await t.register({ id: 'trk-guess', kind: 'tracker', protocol: 'mqtt', imei: '356307042449991', vehicleId: 'TB-999' });
    hashing.secret.peakActive = 0;
    const codes = await Promise.all(
      Array.from({ length: 16 }, () =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: id, password: 'wrong', reconnectPeriod: 0, connectTimeout: 20_000 }).then(
          async (c) => {
            await c.endAsync();
            return 0;
          },
          (err: { code?: number }) => err.code ?? -1,
        ),
      ),
    );
    // 4: bad username or password (checked); 3: server unavailable (held back, no hash).
    const checked = codes.filter((c) => c === 4).length;
    expect(checked).toBeGreaterThanOrEqual(3);
    expect(checked).toBeLessThanOrEqual(MOST_CHECKED);
    expect(codes.filter((c) => c === 3)).toHaveLength(16 - checked);
    expect(hashing.secret.peakActive).toBe(1);
  });
});
