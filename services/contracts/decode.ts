import type { z } from 'zod';
import { MAX_FUTURE_SKEW_MS, MAX_PAYLOAD_BYTES } from './common.ts';
import { EnergyReadingPayload, WeatherPayload, type EnergyReading, type WeatherReading } from './energy.ts';
import { LightingCommandAck, LightingStatePayload, type LightingState } from './lighting.ts';
import { parseTopic, type UplinkChannel } from './topics.ts';
import { PositionPayload, quickPosition, type Position } from './transit.ts';

/** Why a message was refused; also the label of the `reason` metric. */
export type RejectReason =
  | 'unknown-topic'
  | 'too-large'
  | 'malformed-json'
  | 'not-an-object'
  | 'invalid-payload'
  | 'future-timestamp'
  | 'unknown-device'
  /** the history store refused the point for good (e.g. a field type conflict) */
  | 'store-refused'
  /** a second, different record for an instant of a series: the first one is the point */
  | 'same-timestamp';

export type DeviceMessage =
  | { channel: 'position'; deviceId: string; ts: number; payload: Position }
  | { channel: 'lighting-state'; deviceId: string; ts: number; payload: LightingState }
  | { channel: 'lighting-cmd-ack'; deviceId: string; ts: number; payload: z.output<typeof LightingCommandAck> }
  | { channel: 'energy-reading'; deviceId: string; ts: number; payload: EnergyReading }
  | { channel: 'weather'; deviceId: string; ts: number; payload: WeatherReading };

export interface Rejection {
  reason: RejectReason;
  /** Human-readable, names the field: "lat: must be ≤ 90". */
  detail: string;
  deviceId?: string;
}

export type DecodeResult = { ok: true; message: DeviceMessage } | { ok: false; error: Rejection };

export const payloadSchemas: Record<UplinkChannel, z.ZodType> = {
  position: PositionPayload,
  'lighting-state': LightingStatePayload,
  'lighting-cmd-ack': LightingCommandAck,
  'energy-reading': EnergyReadingPayload,
  weather: WeatherPayload,
};

/** "lat: must be ≤ 90; speedKmh: expected number, received string" */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.length ? i.path.join('.') : '(payload)';
      if (i.code === 'unrecognized_keys') return `${i.keys.join(', ')}: unknown field${i.keys.length > 1 ? 's' : ''}`;
      // A bad record key: the key schema's own message says what keys must look like.
      if (i.code === 'invalid_key') return `${path}: ${i.issues[0]?.message ?? i.message}`;
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/**
 * Turns an MQTT publish (topic and raw payload) into a validated device message, or says why not.
 * Pure: the clock comes in as `now` (epoch ms).
 */
export function decodeDeviceMessage(topic: string, raw: Uint8Array | string, now: number): DecodeResult {
  const parsed = parseTopic(topic);
  if (!parsed || parsed.channel === 'lighting-cmd') {
    return { ok: false, error: { reason: 'unknown-topic', detail: `topic "${topic.slice(0, 200)}" is not a device topic of contract v1` } };
  }
  const { deviceId, channel } = parsed;
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > MAX_PAYLOAD_BYTES) {
    return { ok: false, error: { reason: 'too-large', detail: `payload is ${size} bytes; the limit is ${MAX_PAYLOAD_BYTES}`, deviceId } };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  } catch (e) {
    return { ok: false, error: { reason: 'malformed-json', detail: `payload is not JSON: ${(e as Error).message}`, deviceId } };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: { reason: 'not-an-object', detail: 'payload must be a JSON object', deviceId } };
  }
  let payload = channel === 'position' ? quickPosition(json as Record<string, unknown>) : undefined;
  if (payload === undefined) {
    const result = payloadSchemas[channel].safeParse(json);
    if (!result.success) {
      return { ok: false, error: { reason: 'invalid-payload', detail: describeZodError(result.error), deviceId } };
    }
    payload = result.data as Position;
  }
  if (payload.ts > now + MAX_FUTURE_SKEW_MS) {
    return {
      ok: false,
      error: {
        reason: 'future-timestamp',
        detail: `ts: ${new Date(payload.ts).toISOString()} is more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes ahead of the hub's clock`,
        deviceId,
      },
    };
  }
  return { ok: true, message: { channel, deviceId, ts: payload.ts, payload } as DeviceMessage };
}
