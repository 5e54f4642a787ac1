/**
 * The GTFS feed in a real hub: read from GTFS_PATH at start, served, replaced by an upload that
 * a restart keeps, refused at start when broken; the street map relayed from MAP_TILE_URL.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import type { Health, TransitStop } from '../../services/contracts/index.ts';
import { readGtfsFolder } from '../../services/transit/gtfs/read.ts';
import { DEMO_GTFS_DIR } from '../../simulators/city/demo-gtfs.ts';
import { startTestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const temps: Array<{ remove(): void }> = [];
afterAll(() => temps.forEach((t) => t.remove()));

const SMALL: Record<string, string> = {
  'agency.txt': 'agency_name,agency_url,agency_timezone\nDEMO Small,https://example.org,Europe/Kyiv\n',
  'routes.txt': 'route_id,route_short_name,route_type\nR9,9,3\n',
  'stops.txt': 'stop_id,stop_name,stop_lat,stop_lon\nA,Перша,48.5,32.2\nB,Друга,48.51,32.21\n',
  'calendar.txt': 'service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nS,1,1,1,1,1,1,1,20240101,20301231\n',
  'trips.txt': 'route_id,service_id,trip_id\nR9,S,x1\n',
  'stop_times.txt': 'trip_id,arrival_time,departure_time,stop_id,stop_sequence\nx1,08:00:00,08:00:00,A,1\nx1,08:10:00,08:10:00,B,2\n',
};
const zipOf = (files: Record<string, string>) => zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, new TextEncoder().encode(v)])));

describe('GTFS in the hub', () => {
  it('runs on GTFS_PATH, serves it, swaps an upload in, and keeps the upload across a restart', async () => {
    const data = makeTempDir('gtfs-hub');
    temps.push(data);
    let t = await startTestHub({ GTFS_PATH: DEMO_GTFS_DIR }, { dataDir: data.path });
    try {
      const health = (await (await t.api('/api/v1/health')).json()) as Health;
      expect(health.components.transit).toEqual({ status: 'ok', detail: '0 vehicles live; GTFS 10 routes, 44 stops, 1424 trips' });
      const stops = (await (await t.api('/api/v1/transit/stops')).json()) as TransitStop[];
      expect(stops.find((s) => s.stopId === 'st-rynok')?.routeIds).toEqual(['A101', 'T2']);
      const zip = unzipSync(new Uint8Array(await (await t.api('/gtfs/static.zip', { token: null })).arrayBuffer()));
      expect(Object.keys(zip).sort()).toEqual([...readGtfsFolder(DEMO_GTFS_DIR).keys()].sort());

      const res = await t.api('/api/v1/transit/gtfs', { method: 'POST', headers: { 'content-type': 'application/zip' }, body: Buffer.from(zipOf(SMALL)) });
      expect(res.status).toBe(200);
      expect(((await (await t.api('/api/v1/transit/stops')).json()) as TransitStop[]).map((s) => s.stopId)).toEqual(['A', 'B']);
      const audit = (await (await t.api('/api/v1/audit')).json()) as Array<{ action: string }>;
      expect(audit.map((a) => a.action)).toContain('gtfs.replace');
    } finally {
      await t.stop();
    }
    t = await startTestHub({ GTFS_PATH: DEMO_GTFS_DIR }, { dataDir: data.path });
    try {
      expect(((await (await t.api('/api/v1/transit/stops')).json()) as TransitStop[]).map((s) => s.stopId)).toEqual(['A', 'B']);
    } finally {
      await t.stop();
    }
  });

  it('starts with no feed when GTFS_PATH is unset, and refuses to start on a broken one', async () => {
    const t = await startTestHub();
    try {
      expect(await (await t.api('/api/v1/transit/stops')).json()).toEqual([]);
      expect((await t.api('/gtfs/static.zip', { token: null })).status).toBe(404);
    } finally {
      await t.stop();
    }
    const broken = makeTempDir('gtfs-broken');
    temps.push(broken);
    cpSync(DEMO_GTFS_DIR, broken.path, { recursive: true });
    writeFileSync(join(broken.path, 'trips.txt'), 'route_id,service_id,trip_id\nT404,DAILY,x\n');
    await expect(startTestHub({ GTFS_PATH: broken.path })).rejects.toThrow(/trips\.txt line 2: route_id: "T404" is not in routes\.txt/);
  });

  it('relays the street map of MAP_TILE_URL and tells the page about it', async () => {
    const asked: string[] = [];
    const tileServer: Server = createServer((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    });
    await new Promise<void>((r) => tileServer.listen(0, '127.0.0.1', r));
    const port = (tileServer.address() as AddressInfo).port;
    const t = await startTestHub({ MAP_TILE_URL: `http://127.0.0.1:${port}/tiles/{z}/{x}/{y}.png` });
    try {
      expect(await (await t.api('/api/v1/transit/map')).json()).toEqual({ tileUrl: '/map/tiles/{z}/{x}/{y}' });
      for (let i = 0; i < 2; i++) {
        const res = await t.api('/map/tiles/13/4829/2821', { token: null });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('image/png');
        expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      }
      // Asked once: the second came from the cache.
      expect(asked).toEqual(['/tiles/13/4829/2821.png']);
      expect((await t.api('/map/tiles/2/4/0', { token: null })).status).toBe(400);
    } finally {
      await t.stop();
      tileServer.close();
    }
    const plain = await startTestHub();
    try {
      expect(await (await plain.api('/api/v1/transit/map')).json()).toEqual({ tileUrl: null });
      expect((await plain.api('/map/tiles/1/0/0', { token: null })).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
