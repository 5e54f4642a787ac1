import { checkCrc } from './fields.ts';
import { decodeDataRecord } from './data.ts';
import type { RecordOutcome } from './short-data.ts';

export type BlackBoxPacket = { type: 'black-box'; records: RecordOutcome[] } | { type: 'black-box-crc-error'; reason: string };

/** More records than this in one packet is not a black box, it is an attack. */
export const MAX_BLACK_BOX_RECORDS = 5_000;

/**
 * "Black box packet": #B#record|record|…[|crc16], each record in SD or D layout. The answer
 * #AB#n gives the number of records received; on a checksum error the answer is #AB# alone.
 */
export function decodeBlackBox(body: Buffer, version: '1.1' | '2.0', now: number): BlackBoxPacket {
  let data = body;
  if (version === '2.0') {
    const crc = checkCrc(body);
    if (!crc.ok) return { type: 'black-box-crc-error', reason: crc.reason };
    data = crc.body;
  }
  const texts = data.toString('utf8').split('|');
  if (texts.length > 0 && texts[texts.length - 1] === '') texts.pop();
  if (texts.length > MAX_BLACK_BOX_RECORDS) {
    return { type: 'black-box', records: [{ ok: false, code: '-1', reason: `black box packet holds ${texts.length} records; the limit is ${MAX_BLACK_BOX_RECORDS}` }] };
  }
  return { type: 'black-box', records: texts.map((t) => decodeDataRecord(t, now)) };
}
