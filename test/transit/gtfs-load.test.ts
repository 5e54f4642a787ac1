import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../services/transit/gtfs/csv.ts';
import { formatIssue, loadGtfs, parseGtfsTime, serviceRunsOn, type GtfsIssue } from '../../services/transit/gtfs/load.ts';
import { unzipGtfs } from '../../services/transit/gtfs/read.ts';

/** A small real feed: one agency, two routes, four stops, three trips (one with an untimed stop). */
const BASE: Record<string, string> = {
  'agency.txt': 'agency_id,agency_name,agency_url,agency_timezone,agency_lang\nA,"DEMO Transit, Kropyvnytskyi",https://example.org,Europe/Kyiv,uk\n',
  'routes.txt': 'route_id,agency_id,route_short_name,route_long_name,route_type,route_color\nT1,A,1,"Вокзал — Ковалівка",11,D62828\nA5,A,5,,3,\n',
  'stops.txt': 'stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\nS1,Вокзал,48.523,32.288,,\nS2,"Ринок ""Центральний""",48.5094,32.2538,0,\nS3,Ковалівка,48.4924,32.2358,0,\nST,Вокзал (станція),48.523,32.288,1,\n',
  'calendar.txt': 'service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nALL,1,1,1,1,1,1,1,20240101,20301231\nWK,1,1,1,1,1,0,0,20240101,20301231\n',
  'calendar_dates.txt': 'service_id,date,exception_type\nWK,20261225,2\n',
  'shapes.txt': 'shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence,shape_dist_traveled\nSH1,48.523,32.288,1,0\nSH1,48.5094,32.2538,2,2900\nSH1,48.4924,32.2358,3,5200\n',
  'trips.txt': 'route_id,service_id,trip_id,trip_headsign,direction_id,block_id,shape_id\nT1,ALL,t1,Ковалівка,0,b1,SH1\nT1,WK,t2,Ковалівка,0,b1,SH1\nA5,ALL,t3,Вокзал,1,,\n',
  'stop_times.txt':
    'trip_id,arrival_time,departure_time,stop_id,stop_sequence,shape_dist_traveled\r\n' +
    't1,06:00:00,06:00:00,S1,1,0\r\nt1,,,S2,2,2900\r\nt1,06:20:00,06:20:00,S3,3,5200\r\n' +
    't2,24:10:00,24:11:00,S1,1,\r\nt2,24:30:00,24:30:00,S3,2,\r\n' +
    't3,7:05:00,07:05:00,S3,1,\r\nt3,07:30:00,07:31:00,S1,5,\r\n',
  'frequencies.txt': 'trip_id,start_time,end_time,headway_secs,exact_times\nt3,07:00:00,09:00:00,600,0\n',
};

const enc = new TextEncoder();
function feedFiles(over: Record<string, string | null> = {}): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries({ ...BASE, ...over })) if (v !== null) out.set(k, enc.encode(v));
  return out;
}

function errorsOf(over: Record<string, string | null>): GtfsIssue[] {
  const r = loadGtfs(feedFiles(over));
  if (r.ok) throw new Error('expected errors, the feed loaded');
  return r.errors;
}
const texts = (errs: GtfsIssue[]) => errs.map(formatIssue);

const replaceLine = (file: string, n: number, text: string) => {
  const lines = BASE[file]!.split(/\r?\n/);
  lines[n - 1] = text;
  return lines.join('\n');
};

describe('GTFS CSV', () => {
  it('reads quotes, doubled quotes, commas and line breaks inside quotes, CRLF and a BOM', () => {
    const recs = parseCsv('\uFEFFa,b\r\n"x, ""y""","line1\nline2"\r\n\r\nlast,1');
    expect(recs).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, "y"', 'line1\nline2'] },
      { line: 5, fields: ['last', '1'] },
    ]);
  });
});

describe('GTFS loader', () => {
  it('loads a valid feed with every file', () => {
    const r = loadGtfs(feedFiles());
    expect(r.ok, r.ok ? '' : texts(r.errors).join('\n')).toBe(true);
    if (!r.ok) return;
    const f = r.feed;
    expect(f.agencies).toEqual([{ agencyId: 'A', name: 'DEMO Transit, Kropyvnytskyi', url: 'https://example.org', timezone: 'Europe/Kyiv', lang: 'uk' }]);
    expect(f.routes.get('T1')).toMatchObject({ shortName: '1', type: 11, color: 'D62828', agencyId: 'A' });
    expect(f.stops.get('S2')!.name).toBe('Ринок "Центральний"');
    expect(f.stops.get('ST')!.locationType).toBe(1);
    expect(f.trips.get('t1')).toMatchObject({ routeId: 'T1', serviceId: 'ALL', directionId: 0, blockId: 'b1', shapeId: 'SH1' });
    // The untimed stop is interpolated by distance along the shape.
    expect(f.stopTimes.get('t1')!.map((s) => [s.stopId, s.arrivalS])).toEqual([['S1', 6 * 3600], ['S2', 6 * 3600 + Math.round((2900 / 5200) * 1200)], ['S3', 6 * 3600 + 1200]]);
    expect(f.stopTimes.get('t2')![0]).toMatchObject({ arrivalS: 24 * 3600 + 600, departureS: 24 * 3600 + 660 });
    expect(f.stopTimes.get('t3')!.map((s) => s.stopSequence)).toEqual([1, 5]);
    expect(f.shapes.get('SH1')!.map((p) => p.sequence)).toEqual([1, 2, 3]);
    expect(f.frequencies).toEqual([{ tripId: 't3', startS: 7 * 3600, endS: 9 * 3600, headwayS: 600, exactTimes: 0 }]);
    expect(f.calendars.get('WK')!.days).toEqual([true, true, true, true, true, false, false]);
    expect(serviceRunsOn(f, 'WK', '20261224', 4)).toBe(true);
    expect(serviceRunsOn(f, 'WK', '20261225', 5)).toBe(false);
    expect(serviceRunsOn(f, 'WK', '20261226', 6)).toBe(false);
    expect([...f.files.keys()].sort()).toEqual(Object.keys(BASE).sort());
  });

  it('parses GTFS times, past midnight too, and refuses malformed ones', () => {
    expect(parseGtfsTime('25:07:00')).toBe(25 * 3600 + 420);
    expect(parseGtfsTime('7:05:09')).toBe(7 * 3600 + 309);
    for (const bad of ['25:7:00', '07:60:00', '07:00', 'noon', '-1:00:00', '07:00:00 ']) expect(parseGtfsTime(bad)).toBeUndefined();
  });

  it('names a bad time by file, line and field', () => {
    const errs = errorsOf({ 'stop_times.txt': replaceLine('stop_times.txt', 14 - 10, 't1,25:7:00,06:20:00,S3,3,5200') });
    expect(texts(errs)).toContain('stop_times.txt line 4: arrival_time: "25:7:00" is not HH:MM:SS');
  });

  it('reports missing required files, and a feed with neither calendar file', () => {
    const errs = texts(errorsOf({ 'stops.txt': null, 'calendar.txt': null, 'calendar_dates.txt': null }));
    expect(errs).toContain('stops.txt: is missing (a GTFS feed needs it)');
    expect(errs).toContain('calendar.txt: is missing, and so is calendar_dates.txt (one of them is required)');
  });

  it('reports a required column missing from a header', () => {
    const errs = texts(errorsOf({ 'routes.txt': 'route_id,route_short_name\nT1,1\n' }));
    expect(errs).toContain('routes.txt line 1: route_type: required column is missing from the header');
  });

  it('reports an empty required value', () => {
    expect(texts(errorsOf({ 'agency.txt': 'agency_name,agency_url,agency_timezone\n,https://x.org,Europe/Kyiv\n' }))).toContain('agency.txt line 2: agency_name: is required');
  });

  it('reports rows with the wrong number of fields and broken quoting', () => {
    expect(texts(errorsOf({ 'stops.txt': replaceLine('stops.txt', 3, 'S2,Ринок,48.5,32.25') }))).toContain('stops.txt line 3: has 4 fields; the header has 6');
    expect(texts(errorsOf({ 'stops.txt': `${BASE['stops.txt']}S9,"Unclosed,48.5,32.2,,\n` }))).toContain('stops.txt line 6: a quoted field is not closed (missing ")');
    expect(texts(errorsOf({ 'stops.txt': `${BASE['stops.txt']}S9,Say "hi",48.5,32.2,,\n` }))[0]).toMatch(/^stops\.txt line 6: a quote inside an unquoted field/);
  });

  it('reports bytes that are not UTF-8', () => {
    const files = feedFiles();
    files.set('stops.txt', new Uint8Array([0x73, 0x74, 0x6f, 0x70, 0x5f, 0x69, 0x64, 0x0a, 0xc3, 0x28, 0x0a]));
    const r = loadGtfs(files);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(texts(r.errors)).toContain('stops.txt: is not UTF-8 text');
  });

  it('reports numbers out of range and not numbers', () => {
    const errs = texts(errorsOf({ 'stops.txt': replaceLine('stops.txt', 3, 'S2,Ринок,98.5,east,0,') }));
    expect(errs).toContain('stops.txt line 3: stop_lat: 98.5 is above 90');
    expect(errs).toContain('stops.txt line 3: stop_lon: "east" is not a number');
  });

  it('reports unknown enumerations, colours and dates', () => {
    expect(texts(errorsOf({ 'trips.txt': replaceLine('trips.txt', 2, 'T1,ALL,t1,Ковалівка,2,b1,SH1') }))).toContain('trips.txt line 2: direction_id: "2" is not one of 0, 1');
    expect(texts(errorsOf({ 'routes.txt': replaceLine('routes.txt', 2, 'T1,A,1,x,11,red') }))).toContain('routes.txt line 2: route_color: "red" is not a colour RRGGBB');
    expect(texts(errorsOf({ 'calendar.txt': replaceLine('calendar.txt', 2, 'ALL,1,1,1,1,1,1,1,20240230,20301231') }))).toContain('calendar.txt line 2: start_date: "20240230" is not a date YYYYMMDD');
    expect(texts(errorsOf({ 'routes.txt': replaceLine('routes.txt', 2, 'T1,A,1,x,55,') }))).toContain('routes.txt line 2: route_type: 55 is not a GTFS route type');
  });

  it('reports duplicate ids', () => {
    expect(texts(errorsOf({ 'stops.txt': `${BASE['stops.txt']}S1,Again,48.5,32.2,0,\n` }))).toContain('stops.txt line 6: stop_id: "S1" appears twice');
    expect(texts(errorsOf({ 'stop_times.txt': `${BASE['stop_times.txt']}t1,06:30:00,06:30:00,S1,3,\n` }))).toContain('stop_times.txt line 9: stop_sequence: trip "t1" has stop_sequence 3 twice');
  });

  it('checks references: trip → route, service, shape; stop_time → trip, stop; route → agency; stop → parent', () => {
    const trips = texts(errorsOf({ 'trips.txt': `${BASE['trips.txt']}X9,NOPE,t4,,,,SH9\n` }));
    expect(trips).toContain('trips.txt line 5: route_id: "X9" is not in routes.txt');
    expect(trips).toContain('trips.txt line 5: service_id: "NOPE" is not in calendar.txt or calendar_dates.txt');
    expect(trips).toContain('trips.txt line 5: shape_id: "SH9" is not in shapes.txt');
    const st = texts(errorsOf({ 'stop_times.txt': `${BASE['stop_times.txt']}t9,08:00:00,08:00:00,S1,1,\nt3,08:00:00,08:00:00,S404,9,\n` }));
    expect(st).toContain('stop_times.txt line 9: trip_id: "t9" is not in trips.txt');
    expect(st).toContain('stop_times.txt line 10: stop_id: "S404" is not in stops.txt');
    expect(texts(errorsOf({ 'stop_times.txt': `${BASE['stop_times.txt']}t3,08:00:00,08:00:00,ST,9,\n` }))).toContain(
      'stop_times.txt line 9: stop_id: "ST" is a station or entrance, not a stop (location_type 1)',
    );
    expect(texts(errorsOf({ 'routes.txt': replaceLine('routes.txt', 3, 'A5,B,5,,3,') }))).toContain('routes.txt line 3: agency_id: "B" is not in agency.txt');
    expect(texts(errorsOf({ 'stops.txt': replaceLine('stops.txt', 2, 'S1,Вокзал,48.523,32.288,0,S2') }))).toContain('stops.txt line 2: parent_station: "S2" is not a station (location_type 1)');
  });

  it('checks the order of times along a trip and the timed ends of a trip', () => {
    expect(texts(errorsOf({ 'stop_times.txt': replaceLine('stop_times.txt', 4, 't1,05:50:00,05:50:00,S3,3,5200') }))[0]).toMatch(
      /^stop_times\.txt line 4: arrival_time: is earlier than the departure from the stop before/,
    );
    expect(texts(errorsOf({ 'stop_times.txt': replaceLine('stop_times.txt', 4, 't1,,,S3,3,5200') }))).toContain('stop_times.txt line 4: arrival_time: the last stop of trip "t1" needs a time');
    expect(texts(errorsOf({ 'stop_times.txt': replaceLine('stop_times.txt', 2, 't1,06:00:00,05:59:00,S1,1,0') }))).toContain('stop_times.txt line 2: departure_time: is before arrival_time');
  });

  it('checks shapes and frequencies', () => {
    expect(texts(errorsOf({ 'shapes.txt': replaceLine('shapes.txt', 4, 'SH1,48.4924,32.2358,3,100') }))).toContain('shapes.txt line 4: shape_dist_traveled: decreases along shape "SH1" (100 after 2900)');
    expect(texts(errorsOf({ 'frequencies.txt': 'trip_id,start_time,end_time,headway_secs\nt3,09:00:00,07:00:00,0\n' }))).toEqual([
      'frequencies.txt line 2: headway_secs: 0 is below 1',
      'frequencies.txt line 2: end_time: is not after start_time',
    ]);
  });

  it('lists at most a few hundred errors and counts the rest', () => {
    const many = Array.from({ length: 500 }, (_, i) => `t1,bad,bad,S1,${100 + i},`).join('\n');
    const errs = errorsOf({ 'stop_times.txt': `${BASE['stop_times.txt']}${many}\n` });
    expect(errs.length).toBe(201);
    expect(errs[200]!.reason).toMatch(/^and \d+ more errors$/);
  });

  it('reads a zip, also with the files in one folder', () => {
    const entries = Object.fromEntries([...feedFiles()].map(([k, v]) => [`feed/${k}`, v]));
    const files = unzipGtfs(zipSync(entries));
    expect([...files.keys()].sort()).toEqual(Object.keys(BASE).sort());
    expect(loadGtfs(files).ok).toBe(true);
    expect(() => unzipGtfs(new Uint8Array([1, 2, 3, 4]))).toThrow(/not a readable zip/);
  });
});
