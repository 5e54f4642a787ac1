import { z } from 'zod';
import { DeviceId, IsoUtc, NonNegative, Percent, Timestamp, finite } from './common.ts';

export const LampFault = z.enum([
  'lamp-failure',
  'no-communication',
  'burning-by-day',
  'power-mismatch',
  'voltage-out-of-range',
]);
export type LampFault = z.infer<typeof LampFault>;

export const LampState = z.strictObject({
  id: z.string().min(1).max(64),
  level: Percent.optional(),
  on: z.boolean().optional(),
  powerW: NonNegative.optional(),
  faults: z.array(LampFault).max(8).optional(),
});

/** `v1/lighting/{controllerId}/state` */
export const LightingStatePayload = z.strictObject({
  ts: Timestamp,
  level: Percent,
  on: z.boolean(),
  powerW: NonNegative.optional(),
  voltageV: NonNegative.max(1000).optional(),
  currentA: NonNegative.max(10000).optional(),
  energyKWh: NonNegative.optional(),
  lamps: z.array(LampState).max(500).optional(),
});
export type LightingStatePayload = z.input<typeof LightingStatePayload>;
export type LightingState = z.output<typeof LightingStatePayload>;

/** `v1/lighting/{controllerId}/cmd` — sent by the hub to a controller. */
export const LightingCommand = z.strictObject({
  cmdId: z.string().min(1).max(64),
  ts: Timestamp,
  action: z.enum(['set-level', 'on', 'off', 'resume-schedule']),
  level: Percent.optional(),
  /** manual overrides expire; the controller falls back to its schedule after this */
  expiresAt: Timestamp.optional(),
});
export type LightingCommand = z.input<typeof LightingCommand>;

/** `v1/lighting/{controllerId}/cmd/ack` — sent by the controller. */
export const LightingCommandAck = z.strictObject({
  cmdId: z.string().min(1).max(64),
  ts: Timestamp,
  status: z.enum(['applied', 'rejected']),
  reason: z.string().max(500).optional(),
});
export type LightingCommandAck = z.input<typeof LightingCommandAck>;

export const ControllerState = z.object({
  controllerId: DeviceId,
  name: z.string().nullable(),
  groupId: z.string().nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  ts: IsoUtc,
  receivedAt: IsoUtc,
  level: finite(),
  on: z.boolean(),
  powerW: z.number().nullable(),
  voltageV: z.number().nullable(),
  energyKWh: z.number().nullable(),
  faults: z.array(z.string()),
  stale: z.boolean(),
  demo: z.boolean(),
});
export type ControllerState = z.infer<typeof ControllerState>;

/** A cabinet's acknowledgement of a command, as the hub kept it (`GET /api/v1/lighting/command-acks`). */
export const KeptCommandAck = z.object({
  cmdId: z.string(),
  controllerId: DeviceId,
  ts: IsoUtc,
  status: z.enum(['applied', 'rejected']),
  reason: z.string().nullable(),
  receivedAt: IsoUtc,
});
export type KeptCommandAck = z.infer<typeof KeptCommandAck>;
