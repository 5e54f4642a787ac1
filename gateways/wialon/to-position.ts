import type { PositionPayload } from '../../services/contracts/index.ts';
import type { WialonRecord } from './fields.ts';

/**
 * Maps a record to the position contract. NA coordinates become 0/0 with `fix: false`, as the
 * contract keeps fix-less records; a fix needs coordinates and, when reported, 3+ satellites.
 * Numerically named numeric parameters ("239:1:1") go to `io`; other names have no contract field.
 */
export function wialonRecordToPayload(rec: WialonRecord): PositionPayload {
  const hasCoordinates = rec.lat !== undefined && rec.lon !== undefined;
  const payload: PositionPayload = {
    ts: rec.ts,
    lat: rec.lat ?? 0,
    lon: rec.lon ?? 0,
    fix: hasCoordinates && (rec.satellites === undefined || rec.satellites >= 3),
  };
  if (rec.speedKmh !== undefined) payload.speedKmh = rec.speedKmh;
  if (rec.courseDeg !== undefined) payload.courseDeg = rec.courseDeg;
  if (rec.altitudeM !== undefined) payload.altitudeM = rec.altitudeM;
  if (rec.satellites !== undefined) payload.satellites = rec.satellites;
  if (rec.hdop !== undefined) payload.hdop = rec.hdop;
  const io: Record<string, number> = {};
  for (const [name, value] of Object.entries(rec.params)) {
    if (typeof value === 'number' && /^\d{1,5}$/.test(name)) io[name] = value;
  }
  if (Object.keys(io).length > 0) payload.io = io;
  return payload;
}

/** Which answer code a contract violation maps to, by the first failing field. */
export function codeForContractPath(path: string, kind: 'short-data' | 'data'): string {
  switch (path) {
    case 'ts':
      return '0';
    case 'lat':
    case 'lon':
      return '10';
    case 'speedKmh':
    case 'courseDeg':
    case 'altitudeM':
      return '11';
    case 'satellites':
    case 'hdop':
      return '12';
    case 'io':
      return kind === 'data' ? '15' : '-1';
    default:
      return '-1';
  }
}
