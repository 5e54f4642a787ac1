import type { AvlCodec, AvlRecord } from './avl-data.ts';
import { decodeImeiLogin } from './imei-login.ts';
import { decodeTcpAvlPacket } from './tcp-avl-packet.ts';

/** The outcome of looking at the front of a Teltonika TCP stream. */
export type DecodeStep =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'login'; imei: string; size: number }
  | { kind: 'avl'; codec: AvlCodec; records: AvlRecord[]; size: number }
  | { kind: 'bad-crc'; size: number; sent: number; computed: number }
  | { kind: 'malformed'; size: number; reason: string }
  | { kind: 'unsupported'; size: number; what: string };

export type TeltonikaStreamState = 'awaiting-imei' | 'logged-in';

/** Pure: decides what the next frame is, given where the conversation stands. */
export function decodeTeltonikaTcp(view: Buffer, state: TeltonikaStreamState, maxFrameBytes: number): DecodeStep {
  switch (state) {
    case 'awaiting-imei':
      return decodeImeiLogin(view);
    case 'logged-in':
      return decodeTcpAvlPacket(view, maxFrameBytes);
  }
}

export { decodeUdpPacket, encodeUdpAck } from './udp-packet.ts';
export { encodeTcpAck } from './tcp-avl-packet.ts';
export { LOGIN_ACCEPTED, LOGIN_REFUSED } from './imei-login.ts';
