/**
 * The GTFS folders the hub tests run on (test/support/gtfs-folder.ts): written from the model they
 * load back to the same feed, and the demo city around the clock has trips at every hour of the
 * day on every route, with the demo's stops, shapes and English names kept.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGtfsPath } from '../../services/transit/gtfs/read.ts';
import type { GtfsFeed } from '../../services/transit/gtfs/model.ts';
import { translations } from '../../services/transit/gtfs/views.ts';
import { DEMO_GTFS_DIR } from '../../simulators/city/demo-gtfs.ts';
import { EVERY_DAY, writeDemoAroundTheClock, writeGtfsFolder } from '../support/gtfs-folder.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { lineFeed } from './realtime/feed-fixture.ts';

const load = (dir: string): GtfsFeed => {
  const r = loadGtfsPath(dir);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  expect(r.warnings).toEqual([]);
  return r.feed;
};
/** The model's tables, without the raw files. */
const tables = ({ files: _files, ...rest }: GtfsFeed) => rest;

describe('GTFS folders for tests', () => {
  const dirs: Array<{ path: string; remove: () => void }> = [];
  const dir = () => dirs[dirs.push(makeTempDir('gtfs-folder')) - 1]!.path;
  afterAll(() => dirs.forEach((d) => d.remove()));

  it('writes a feed built in code that loads back to the same model', () => {
    const feed = lineFeed({ firstH: 0, lastH: 25 });
    feed.calendars.set('WK', { serviceId: 'WK', ...EVERY_DAY });
    const out = dir();
    writeGtfsFolder(out, feed);
    expect(tables(load(out))).toEqual(tables(feed));
  });

  it('gives the demo city trips every 20 minutes on every route, day and night, every day, its names kept', () => {
    const demo = load(DEMO_GTFS_DIR);
    const out = dir();
    writeDemoAroundTheClock(out);
    const feed = load(out);
    expect(tables(feed)).toMatchObject({ routes: demo.routes, stops: demo.stops, shapes: demo.shapes, agencies: demo.agencies });
    expect(translations(feed)).toEqual(translations(demo));
    expect(readFileSync(join(out, 'feed_info.txt'))).toEqual(readFileSync(join(DEMO_GTFS_DIR, 'feed_info.txt')));
    expect([...feed.calendars.values()]).toEqual([{ serviceId: 'EVERY-DAY', ...EVERY_DAY }]);

    // Every route and direction leaves its first stop every twenty minutes of the day, 00:00 to 23:40.
    const starts = new Map<string, number[]>();
    for (const [id, times] of feed.stopTimes) {
      const t = feed.trips.get(id)!;
      const key = `${t.routeId}-${t.directionId}`;
      (starts.get(key) ?? starts.set(key, []).get(key)!).push(times[0]!.departureS);
    }
    const everyTwenty = Array.from({ length: 72 }, (_, i) => i * 1200);
    expect([...starts.keys()].sort()).toEqual([...demo.routes.keys()].flatMap((r) => [`${r}-0`, `${r}-1`]).sort());
    for (const [key, s] of starts) expect(s.sort((a, b) => a - b), key).toEqual(everyTwenty);
    // Each a copy of a demo trip of that route and direction: the same stops, headsign and shape, shifted.
    const t1 = feed.trips.get('T1-0-0320')!;
    const template = [...demo.trips.values()].find((t) => t.routeId === 'T1' && t.directionId === 0)!;
    expect(t1).toEqual({ tripId: 'T1-0-0320', routeId: 'T1', serviceId: 'EVERY-DAY', directionId: 0, headsign: template.headsign, shapeId: template.shapeId });
    expect(feed.stopTimes.get('T1-0-0320')!.map((st) => st.stopId)).toEqual(demo.stopTimes.get(template.tripId)!.map((st) => st.stopId));
  });
});
