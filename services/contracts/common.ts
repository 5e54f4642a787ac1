import { z } from 'zod';

/** A device id: also a topic level and an MQTT username, so no `/`, `+`, `#` or spaces. */
export const DeviceId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, _ . - and start with a letter or digit');
export type DeviceId = z.infer<typeof DeviceId>;

/** How far ahead of the hub's clock a device clock may run before its timestamp is refused. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/** The largest MQTT payload the hub parses; larger ones go to the dead letter unread. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

const finite = () => z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * A timestamp as devices send it: ISO 8601 with a zone, or epoch milliseconds.
 * Parsed to epoch milliseconds (UTC). Old timestamps are valid (black boxes hold months);
 * the check against the future needs a clock and lives in `decode.ts`.
 */
export const Timestamp = z
  .union([
    z.iso.datetime({ offset: true, precision: undefined, message: 'must be an ISO 8601 date-time with a zone, e.g. 2026-11-26T10:00:00Z' }),
    z.number().int('epoch milliseconds must be an integer').min(0, 'must not be before 1970').max(8.64e15, 'is out of range'),
  ], { error: 'must be an ISO 8601 string or epoch milliseconds' })
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))
  .refine((ms) => Number.isFinite(ms) && ms >= Date.UTC(2000, 0, 1), 'must be after 2000-01-01');

export const Latitude = finite().min(-90, 'must be ≥ -90').max(90, 'must be ≤ 90');
export const Longitude = finite().min(-180, 'must be ≥ -180').max(180, 'must be ≤ 180');
export const Percent = finite().min(0, 'must be ≥ 0').max(100, 'must be ≤ 100');
export const NonNegative = finite().min(0, 'must be ≥ 0');
export { finite };

/** ISO 8601 UTC string, as the hub sends every time. */
export const IsoUtc = z.string().describe('ISO 8601 UTC, e.g. 2026-11-26T10:00:00.000Z');
export const toIsoUtc = (ms: number): string => new Date(ms).toISOString();
