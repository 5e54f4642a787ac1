/** Small GTFS feeds built in code for the realtime tests. */
import type { GtfsFeed, GtfsStopTime } from '../../../services/transit/gtfs/model.ts';

export const LAT0 = 48.508;
export const LON0 = 32.23;
const M_PER_DEG_LAT = 111_195;
const M_PER_DEG_LON = M_PER_DEG_LAT * Math.cos((LAT0 * Math.PI) / 180);

/** A point `eastM` metres east and `northM` north of (LAT0, LON0). */
export const at = (eastM: number, northM = 0) => ({ lat: LAT0 + northM / M_PER_DEG_LAT, lon: LON0 + eastM / M_PER_DEG_LON });

export const hms = (h: number, m = 0, s = 0) => h * 3600 + m * 60 + s;

export function emptyFeed(): GtfsFeed {
  return {
    agencies: [{ agencyId: 'A', name: 'Demo', url: 'https://example.org', timezone: 'Europe/Kyiv' }],
    routes: new Map(), stops: new Map(), trips: new Map(), stopTimes: new Map(), calendars: new Map(), calendarDates: [],
    shapes: new Map(), frequencies: [], files: new Map(),
  };
}

/**
 * Route `R1`: five stops 500 m apart on a straight street running east (S1 … S5), back west
 * (direction 1). Outbound trips every `headwayMin` minutes from `firstH` to `lastH`, each stop
 * two minutes after the last (one-minute dwell … none, arrival = departure), inbound the same.
 * Service `WK` runs every day of 2026.
 */
export function lineFeed(opts: { headwayMin?: number; firstH?: number; lastH?: number; segmentS?: number; dwellS?: number } = {}): GtfsFeed {
  const { headwayMin = 10, firstH = 6, lastH = 22, segmentS = 120, dwellS = 0 } = opts;
  const feed = emptyFeed();
  feed.routes.set('R1', { routeId: 'R1', agencyId: 'A', shortName: '1', longName: 'Vokzal – Center', type: 3, color: 'CC0000' });
  for (let i = 0; i < 5; i++) feed.stops.set(`S${i + 1}`, { stopId: `S${i + 1}`, name: `Stop ${i + 1}`, ...at(i * 500), locationType: 0 });
  feed.shapes.set('SH0', [0, 500, 1000, 1500, 2000].map((x, k) => ({ ...at(x), sequence: k })));
  feed.shapes.set('SH1', [2000, 1500, 1000, 500, 0].map((x, k) => ({ ...at(x, 0), sequence: k })));
  feed.calendars.set('WK', { serviceId: 'WK', days: [true, true, true, true, true, true, true], startDate: '20260101', endDate: '20261231' });
  for (let start = hms(firstH); start <= hms(lastH); start += headwayMin * 60) {
    for (const dir of [0, 1] as const) {
      const tripId = `T${dir}-${start / 60}`;
      feed.trips.set(tripId, { tripId, routeId: 'R1', serviceId: 'WK', directionId: dir, shapeId: `SH${dir}`, headsign: dir === 0 ? 'Stop 5' : 'Stop 1' });
      const order = dir === 0 ? [1, 2, 3, 4, 5] : [5, 4, 3, 2, 1];
      const times: GtfsStopTime[] = order.map((s, k) => ({
        tripId, stopSequence: k + 1, stopId: `S${s}`, arrivalS: start + k * (segmentS + dwellS), departureS: start + k * (segmentS + dwellS) + (k === 0 || k === 4 ? 0 : dwellS),
      }));
      feed.stopTimes.set(tripId, times);
    }
  }
  return feed;
}

/** The epoch ms of a local wall-clock time in Kyiv on 2026-11-27 (UTC+2 in winter). */
export const kyivMs = (h: number, m = 0, s = 0) => Date.UTC(2026, 10, 27, h - 2, m, s);
