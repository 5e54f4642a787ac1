import { MAX_FUTURE_SKEW_MS, PositionPayload, describeZodError } from '../../services/contracts/index.ts';
import type { DeviceMessage, Rejection } from '../../services/contracts/index.ts';
import type { PositionPayload as PositionInput } from '../../services/contracts/index.ts';

export type PositionResult =
  | { ok: true; message: DeviceMessage & { channel: 'position' } }
  | { ok: false; error: Rejection; candidate: PositionInput; paths: string[] };

/**
 * Validates one decoded record against the contract, exactly as an MQTT payload would be:
 * the gateways must not be a back door around the schema.
 */
export function toPositionMessage(deviceId: string, candidate: PositionInput, now: number): PositionResult {
  const parsed = PositionPayload.safeParse(candidate);
  if (!parsed.success) {
    return {
      ok: false,
      error: { reason: 'invalid-payload', detail: describeZodError(parsed.error), deviceId },
      candidate,
      paths: parsed.error.issues.map((i) => String(i.path[0] ?? '')),
    };
  }
  if (parsed.data.ts > now + MAX_FUTURE_SKEW_MS) {
    return {
      ok: false,
      error: {
        reason: 'future-timestamp',
        detail: `ts: ${new Date(parsed.data.ts).toISOString()} is more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes ahead of the gateway's clock`,
        deviceId,
      },
      candidate,
      paths: ['ts'],
    };
  }
  return { ok: true, message: { channel: 'position', deviceId, ts: parsed.data.ts, payload: parsed.data } };
}

/** Drops exact repeats inside one packet (trackers sometimes write a record twice into their buffer). */
export function dropExactDuplicates<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(item);
  }
  return out;
}
