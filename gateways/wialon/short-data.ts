import { WialonFieldError, checkCrc, parseShortFields } from './fields.ts';
import type { WialonRecord } from './fields.ts';

export type RecordOutcome = { ok: true; record: WialonRecord } | { ok: false; code: string; reason: string };

/**
 * "Short data packet": #SD#date;time;lat1;lat2;lon1;lon2;speed;course;height;sats[;crc16].
 * Answer #ASD# with 1, or -1 structure, 0 time, 10 coordinates, 11 speed/course/height,
 * 12 satellites, 13 checksum.
 */
export function decodeShortData(body: Buffer, version: '1.1' | '2.0', now: number): RecordOutcome {
  let data = body;
  if (version === '2.0') {
    const crc = checkCrc(body);
    if (!crc.ok) return { ok: false, code: '13', reason: crc.reason };
    data = crc.body;
  }
  const fields = data.toString('utf8').split(';');
  if (fields.length !== 10) return { ok: false, code: '-1', reason: `short data packet has ${fields.length} fields, expected 10` };
  try {
    return { ok: true, record: parseShortFields(fields, now) };
  } catch (e) {
    if (e instanceof WialonFieldError) return { ok: false, code: e.code, reason: e.message };
    throw e;
  }
}
