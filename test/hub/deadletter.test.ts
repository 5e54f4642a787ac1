import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { mosquittoPub } from '../support/mosquitto.ts';

interface Dead { reason: string; detail: string; deviceId: string | null; topic: string | null; payloadBytes: number; payloadPreview: string }

/** Bad input ends in the dead letter with a reason, and the pipeline goes on. */
describe('dead letter', () => {
  let t: TestHub;
  let dev: { id: string; secret: string };
  // Large payloads go through a file: a command line cannot hold 300 KB.
  const pub = (payload: string, topic = topics.position('trk-dl')) => {
    const file = join(t.dataDir, 'payload.txt');
    writeFileSync(file, payload);
    return mosquittoPub(['-h', '127.0.0.1', '-p', String(t.mqttPort), '-u', dev.id, '-P', dev.secret, '-q', '1', '-t', topic, '-f', file]);
  };
  const deadLetters = async () => (await (await t.api('/api/v1/deadletter?limit=100')).json()) as Dead[];

  beforeAll(async () => {
    t = await startTestHub();
    dev = await t.register({ id: 'trk-dl', kind: 'tracker', protocol: 'mqtt', imei: '356307042441099', vehicleId: 'BUS-9' });
  });
  afterAll(() => t?.stop());

  it.each([
    ['malformed JSON', '{"ts": 1, "lat": ', 'malformed-json', /not JSON/],
    ['not an object', '[1,2,3]', 'not-an-object', /JSON object/],
    ['wrong types', JSON.stringify({ ts: Date.now(), lat: '48.5', lon: 32.2 }), 'invalid-payload', /lat: .*number/i],
    ['unknown fields', JSON.stringify({ ts: Date.now(), lat: 48.5, lon: 32.2, colour: 'red' }), 'invalid-payload', /colour: unknown field/],
    ['latitude out of range', JSON.stringify({ ts: Date.now(), lat: 91, lon: 32.2 }), 'invalid-payload', /lat: must be ≤ 90/],
    ['NaN smuggled as a string', '{"ts": 1700000000000, "lat": NaN, "lon": 32.2}', 'malformed-json', /not JSON/],
    ['timestamp an hour ahead', JSON.stringify({ ts: Date.now() + 3600_000, lat: 48.5, lon: 32.2 }), 'future-timestamp', /ahead of the hub's clock/],
  ])('%s is refused with a reason', async (_name, payload, reason, detail) => {
    const r = await pub(payload);
    expect(r.code).toBe(0);
    const found = await eventually(async () => (await deadLetters()).find((d) => d.payloadPreview === payload.slice(0, 512)));
    expect(found.reason).toBe(reason);
    expect(found.detail).toMatch(detail);
    expect(found.deviceId).toBe('trk-dl');
  });

  it('a 300 KB payload is refused unread, and the hub keeps serving', async () => {
    const big = JSON.stringify({ ts: Date.now(), lat: 48.5, lon: 32.2, pad: 'x'.repeat(300 * 1024) });
    const r = await pub(big);
    expect(r.code).toBe(0);
    const found = await eventually(async () => (await deadLetters()).find((d) => d.reason === 'too-large'));
    expect(found.payloadBytes).toBe(Buffer.byteLength(big));
    expect(found.payloadPreview.length).toBeLessThanOrEqual(512);

    // The same connection path still takes good data afterwards.
    const ok = await pub(JSON.stringify({ ts: Date.now(), lat: 48.515, lon: 32.25 }));
    expect(ok.code).toBe(0);
    const v = await eventually(async () => ((await (await t.api('/api/v1/transit/vehicles')).json()) as { vehicleId: string; lat: number }[]).find((x) => x.vehicleId === 'BUS-9'));
    expect(v.lat).toBe(48.515);
    const health = (await (await t.api('/api/v1/health', { token: null })).json()) as { status: string };
    expect(health.status).toBe('ok');
  });

  it('counts refusals by reason in /metrics', async () => {
    const text = await (await t.api('/metrics', { token: null })).text();
    expect(text).toMatch(/mistohub_messages_rejected_total\{source="mqtt",reason="invalid-payload"\} [3-9]/);
    expect(text).toMatch(/mistohub_messages_rejected_total\{source="mqtt",reason="too-large"\} 1/);
  });

  it('the dead letter is for admins only', async () => {
    const res = await t.api('/api/v1/deadletter', { token: null });
    expect(res.status).toBe(401);
  });
});
