import { WialonFieldError, checkCrc, parseExtendedFields, parseShortFields } from './fields.ts';
import type { RecordOutcome } from './short-data.ts';

/**
 * "Extended data packet": the ten short fields, then hdop;inputs;outputs;adc;ibutton;params
 * [;crc16]. Answer #AD# with 1, or -1, 0, 10–15 per field group, 16 checksum.
 */
export function decodeData(body: Buffer, version: '1.1' | '2.0', now: number): RecordOutcome {
  let data = body;
  if (version === '2.0') {
    const crc = checkCrc(body);
    if (!crc.ok) return { ok: false, code: '16', reason: crc.reason };
    data = crc.body;
  }
  return decodeDataRecord(data.toString('utf8'), now);
}

/** One record of D layout (16 fields) or SD layout (10 fields): black boxes carry either. */
export function decodeDataRecord(text: string, now: number): RecordOutcome {
  const fields = text.split(';');
  if (fields.length !== 16 && fields.length !== 10) return { ok: false, code: '-1', reason: `data record has ${fields.length} fields, expected 16` };
  try {
    const rec = parseShortFields(fields, now);
    return { ok: true, record: fields.length === 16 ? parseExtendedFields(rec, fields) : rec };
  } catch (e) {
    if (e instanceof WialonFieldError) return { ok: false, code: e.code, reason: e.message };
    throw e;
  }
}
