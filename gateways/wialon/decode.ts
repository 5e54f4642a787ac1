import { decodeBlackBox } from './black-box.ts';
import type { BlackBoxPacket } from './black-box.ts';
import { decodeData } from './data.ts';
import { decodeLogin } from './login.ts';
import type { LoginPacket } from './login.ts';
import { decodeShortData } from './short-data.ts';
import type { RecordOutcome } from './short-data.ts';

export type WialonVersion = '1.1' | '2.0';

export type WialonPacket =
  | LoginPacket
  | { type: 'ping' }
  | ({ type: 'short-data' } & { outcome: RecordOutcome })
  | ({ type: 'data' } & { outcome: RecordOutcome })
  | BlackBoxPacket
  | { type: 'unsupported'; packetType: string }
  | { type: 'malformed'; reason: string };

export type LineStep = { kind: 'incomplete'; scanned: number } | { kind: 'too-long' } | { kind: 'line'; line: Buffer; size: number };

/**
 * Cuts the next "\r\n"-terminated packet off the stream (a bare "\n" is tolerated). `from` is
 * where the previous look stopped: a sender trickling a 64 KiB line byte by byte must not make
 * every byte rescan the whole line.
 */
export function nextWialonLine(view: Buffer, maxLineBytes: number, from = 0): LineStep {
  const lf = view.indexOf(0x0a, Math.min(from, view.length));
  if (lf < 0) return view.length > maxLineBytes ? { kind: 'too-long' } : { kind: 'incomplete', scanned: view.length };
  if (lf > maxLineBytes) return { kind: 'too-long' };
  const end = lf > 0 && view[lf - 1] === 0x0d ? lf - 1 : lf;
  return { kind: 'line', line: view.subarray(0, end), size: lf + 1 };
}

/**
 * Pure: one Wialon IPS packet ("#TYPE#message", without the CR LF) to its meaning. `version`
 * is the one the device logged in with (it decides whether a checksum field is present).
 */
export function decodeWialonPacket(line: Buffer, version: WialonVersion, now: number): WialonPacket {
  if (line.length < 3 || line[0] !== 0x23) return { type: 'malformed', reason: 'packet does not start with #' };
  const close = line.indexOf(0x23, 1);
  if (close < 2 || close > 4) return { type: 'malformed', reason: 'no packet type between # and #' };
  const packetType = line.toString('latin1', 1, close);
  const body = line.subarray(close + 1);
  switch (packetType) {
    case 'L':
      return decodeLogin(body);
    case 'P':
      return { type: 'ping' };
    case 'SD':
      return { type: 'short-data', outcome: decodeShortData(body, version, now) };
    case 'D':
      return { type: 'data', outcome: decodeData(body, version, now) };
    case 'B':
      return decodeBlackBox(body, version, now);
    default:
      return /^[A-Z]{1,3}$/.test(packetType) ? { type: 'unsupported', packetType } : { type: 'malformed', reason: `packet type "${packetType}" is not a Wialon IPS type` };
  }
}
