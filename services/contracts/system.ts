import { z } from 'zod';
import { IsoUtc } from './common.ts';

export const ComponentStatus = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  detail: z.string().optional(),
});
export const Health = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  version: z.string(),
  uptimeS: z.number(),
  components: z.record(z.string(), ComponentStatus),
});
export type Health = z.infer<typeof Health>;
export type ComponentStatus = z.infer<typeof ComponentStatus>;

export const DeadLetter = z.object({
  id: z.number(),
  receivedAt: IsoUtc,
  source: z.string().describe('mqtt, teltonika, wialon-ips, gt06, …'),
  deviceId: z.string().nullable(),
  topic: z.string().nullable(),
  reason: z.string(),
  detail: z.string(),
  /** the first bytes of the payload, as text (UTF-8 with replacement) */
  payloadPreview: z.string(),
  payloadBytes: z.number(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/** Every 4xx/5xx body. */
export const ErrorBody = z.object({
  statusCode: z.number(),
  error: z.string(),
  message: z.string(),
  /** field-level problems: `{ field: "lat", reason: "must be ≤ 90" }` */
  issues: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/**
 * A registry change one hub instance tells the others (PostgreSQL NOTIFY on `registry_changed`),
 * so they refresh their in-memory caches: a device (registered, changed, removed), the tokens, or
 * rows of a domain's shared table (`ids`: the rows' keys; absent, reload the table).
 * `from` is the sending instance's registry connection, which ignores its own notices.
 */
export const RegistryChange = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('device'), id: z.string().min(1).max(64), from: z.string().min(1).max(64) }),
  z.object({ kind: z.literal('tokens'), from: z.string().min(1).max(64) }),
  z.object({
    kind: z.literal('table'), table: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/), ids: z.array(z.string().min(1).max(128)).max(100).optional(),
    from: z.string().min(1).max(64),
  }),
]);
export type RegistryChange = z.infer<typeof RegistryChange>;
