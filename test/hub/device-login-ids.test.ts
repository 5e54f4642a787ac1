import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { wialonPackets } from '../../simulators/protocols/wialon.ts';
import { RawClient } from '../gateways/support.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { REGISTRY_KINDS, testRegistry } from '../support/registries.ts';

interface ErrorBody { statusCode: number; message: string; issues?: { field: string; reason: string }[] }
interface DeviceBody { id: string; loginId: string | null; imei: string | null; secret?: string }

/** A login captured from a Wialon IPS 2.0 unit in the field: a 9-digit unit id, checksum 0x08A7 sent as "8A7". */
const REAL_WIALON_LOGIN = '#L#2.0;236010173;NA;8A7\r\n';

/** What each protocol logs in with (issue 12): registration over REST, then the device itself. */
describe.each(REGISTRY_KINDS)('device login ids, registry on %s', (kind) => {
  const registry = testRegistry(kind);
  let t: TestHub;
  const post = (json: unknown) => t.api('/api/v1/devices', { method: 'POST', json });
  beforeAll(async () => {
    t = await startTestHub(await registry.env());
  });
  afterAll(async () => {
    await t?.stop();
    await registry.stop();
  });

  it('registers the Wialon unit 236010173; it logs in over TCP, is answered #AL#1 and its data lands', async () => {
    const res = await post({ id: 'wln-field', kind: 'tracker', protocol: 'wialon-ips', loginId: '236010173', vehicleId: 'BUS-236' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id: 'wln-field', loginId: '236010173', imei: '236010173' });

    const c = await RawClient.connect(t.hub.ports.wialon);
    try {
      c.write(REAL_WIALON_LOGIN);
      expect(await c.readLine()).toBe('#AL#1');
      const ts = Math.floor(Date.now() / 1000) * 1000 - 30_000;
      c.write(wialonPackets.shortData({ ts, lat: 48.5132, lon: 32.2597, speedKmh: 18, courseDeg: 40, altitudeM: 120, satellites: 9 }));
      expect(await c.readLine()).toBe('#ASD#1');
      const track = await eventually(async () => {
        const points = (await (await t.api(`/api/v1/transit/vehicles/BUS-236/track?from=${new Date(ts - 60_000).toISOString()}`)).json()) as { deviceId: string; lat: number }[];
        return points.length ? points : undefined;
      });
      expect(track).toEqual([expect.objectContaining({ deviceId: 'wln-field', lat: 48.5132 })]);
    } finally {
      c.close();
    }
  });

  it('takes the older name imei as well, for Wialon unit ids of letters and digits', async () => {
    const res = await post({ id: 'wln-alias', kind: 'tracker', protocol: 'wialon-ips', imei: 'KR-BUS_17.a', vehicleId: 'BUS-17' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ loginId: 'KR-BUS_17.a', imei: 'KR-BUS_17.a' });
    const c = await RawClient.connect(t.hub.ports.wialon);
    try {
      c.write(wialonPackets.login('KR-BUS_17.a', 'NA', '1.1'));
      expect(await c.readLine()).toBe('#AL#1');
    } finally {
      c.close();
    }
    // Matched exactly: another case is another unit.
    const other = await RawClient.connect(t.hub.ports.wialon);
    other.write(wialonPackets.login('kr-bus_17.A'));
    expect(await other.readLine()).toBe('#AL#0');
    other.close();
  });

  it('refuses ids outside each protocol rule, naming the field the client used and the rule', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ protocol: 'teltonika', loginId: '236010173' }, 'loginId', 'must be 15 digits: the IMEI a Teltonika device logs in with'],
      [{ protocol: 'teltonika', imei: '35630704244101A' }, 'imei', 'must be 15 digits: the IMEI a Teltonika device logs in with'],
      [{ protocol: 'gt06', loginId: '0864717003283581' }, 'loginId', 'must be 15 digits: the IMEI a GT06 device logs in with'],
      [{ protocol: 'wialon-ips', loginId: 'bus 42' }, 'loginId', 'must be 1–64 characters of A–Z, a–z, 0–9, _ . : - : the unit id a Wialon IPS device logs in with'],
      [{ protocol: 'wialon-ips', loginId: '2360;10173' }, 'loginId', 'must be 1–64 characters of A–Z, a–z, 0–9, _ . : - : the unit id a Wialon IPS device logs in with'],
      [{ protocol: 'wialon-ips', imei: 'x'.repeat(65) }, 'imei', 'must be 1–64 characters of A–Z, a–z, 0–9, _ . : - : the unit id a Wialon IPS device logs in with'],
      [{ protocol: 'gt06', loginId: '' }, 'loginId', 'must be 15 digits: the IMEI a GT06 device logs in with'],
      [{ protocol: 'teltonika' }, 'loginId', 'a Teltonika device logs in with its 15-digit IMEI: give it as loginId'],
      [{ protocol: 'gt06' }, 'loginId', 'a GT06 device logs in with its 15-digit IMEI: give it as loginId'],
      [{ protocol: 'wialon-ips' }, 'loginId', 'a Wialon IPS device logs in with its unit id: give it as loginId'],
      [{ protocol: 'wialon-ips', loginId: '236010174', imei: '236010175' }, 'imei', 'imei is the older name of loginId: give one of the two, or the same value in both'],
      [{ protocol: 'mqtt', imei: '12345' }, 'imei', 'must be 15 digits (an IMEI); an MQTT or OPC UA device logs in without it, so it may be left out'],
    ];
    for (const [fields, field, reason] of cases) {
      const json = { id: 'trk-refused', kind: 'tracker', vehicleId: 'BUS-0', ...fields };
      const res = await post(json);
      expect(res.status, JSON.stringify(json)).toBe(400);
      const err = (await res.json()) as ErrorBody;
      expect(err.issues, JSON.stringify(json)).toEqual([{ field, reason }]);
    }
    expect((await t.api('/api/v1/devices/trk-refused')).status).toBe(404);
  });

  it('the same value under both names is one login id', async () => {
    const res = await post({ id: 'fmb-both', kind: 'tracker', protocol: 'teltonika', loginId: '352093081452401', imei: '352093081452401', vehicleId: 'TB-401' });
    expect(res.status).toBe(201);
    const dup = await post({ id: 'fmb-both-2', kind: 'tracker', protocol: 'teltonika', loginId: '352093081452401', vehicleId: 'TB-402' });
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as ErrorBody).issues).toEqual([{ field: 'loginId', reason: 'is already registered' }]);
  });

  it('PATCH checks a new login id against the device protocol, under either name', async () => {
    expect((await post({ id: 'gt-patch', kind: 'tracker', protocol: 'gt06', loginId: '868120145233611', vehicleId: 'BUS-711' })).status).toBe(201);
    const bad = await t.api('/api/v1/devices/gt-patch', { method: 'PATCH', json: { imei: '236010173' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).issues).toEqual([{ field: 'imei', reason: 'must be 15 digits: the IMEI a GT06 device logs in with' }]);
    const good = await t.api('/api/v1/devices/gt-patch', { method: 'PATCH', json: { loginId: '868120145233612' } });
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ loginId: '868120145233612', imei: '868120145233612' });
    // The old id no longer logs in; the registry looks the new one up.
    expect(t.hub.devices.findByLoginId('gt06', '868120145233611')).toBeUndefined();
    expect(t.hub.devices.findByLoginId('gt06', '868120145233612')?.id).toBe('gt-patch');
    const wialon = await t.api('/api/v1/devices/wln-field', { method: 'PATCH', json: { loginId: 'A 1' } });
    expect(((await wialon.json()) as ErrorBody).issues?.[0]?.field).toBe('loginId');
  });

  it('CSV import takes loginId or imei columns and refuses a row outside its protocol rule', async () => {
    const csv = [
      'id,kind,protocol,loginId,imei,vehicleId',
      'csv-wln,tracker,wialon-ips,236010199,,BUS-299',
      'csv-old,tracker,teltonika,,356307042441777,TB-777',
      'csv-gt,tracker,gt06,86812014523360,,BUS-798', // 14 digits
      'csv-mqtt,tracker,mqtt,,,BUS-800', // an onboard computer: no IMEI
    ].join('\n');
    const res = await t.api('/api/v1/devices/import', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } });
    const out = (await res.json()) as { rows: { id: string; status: string; error?: string }[] };
    expect(out.rows.map((r) => [r.id, r.status])).toEqual([['csv-wln', 'created'], ['csv-old', 'created'], ['csv-gt', 'refused'], ['csv-mqtt', 'created']]);
    expect(out.rows[2]!.error).toBe('loginId: must be 15 digits: the IMEI a GT06 device logs in with');
    const old = (await (await t.api('/api/v1/devices/csv-old')).json()) as DeviceBody;
    expect(old).toMatchObject({ loginId: '356307042441777', imei: '356307042441777' });
  });

  it('an MQTT tracker registered without an IMEI logs in with its id and secret and its positions are accepted', async () => {
    const res = await post({ id: 'obc-7', kind: 'tracker', protocol: 'mqtt', vehicleId: 'TRAM-7', routeId: 'T7' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as DeviceBody;
    expect(body).toMatchObject({ loginId: null, imei: null });
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: 'obc-7', password: body.secret!, reconnectPeriod: 0 });
    const ts = Date.now() - 1_000;
    await c.publishAsync(topics.position('obc-7'), JSON.stringify({ ts, lat: 48.5101, lon: 32.2702, speedKmh: 22 }), { qos: 1 });
    await c.endAsync();
    const live = await eventually(async () => {
      const vehicles = (await (await t.api('/api/v1/transit/vehicles')).json()) as { vehicleId: string; deviceId: string; lat: number; ts: string }[];
      return vehicles.find((v) => v.vehicleId === 'TRAM-7');
    });
    expect(live).toMatchObject({ deviceId: 'obc-7', lat: 48.5101, ts: new Date(ts).toISOString() });
  });
});
