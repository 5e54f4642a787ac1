import { z } from 'zod';
import { DeviceId, IsoUtc, NonNegative, Timestamp } from './common.ts';

export const EnergyUnit = z.enum(['kWh', 'm3', 'Gcal', 'GJ']);
export type EnergyUnit = z.infer<typeof EnergyUnit>;

/** `v1/energy/{meterId}/reading` — `value` is the register's cumulative value. */
export const EnergyReadingPayload = z.strictObject({
  ts: Timestamp,
  value: NonNegative,
  unit: EnergyUnit,
  powerW: NonNegative.optional(),
});
export type EnergyReadingPayload = z.input<typeof EnergyReadingPayload>;
export type EnergyReading = z.output<typeof EnergyReadingPayload>;

export const MeterState = z.object({
  meterId: DeviceId,
  name: z.string().nullable(),
  buildingId: z.string().nullable(),
  ts: IsoUtc,
  receivedAt: IsoUtc,
  value: z.number(),
  unit: EnergyUnit,
  powerW: z.number().nullable(),
  stale: z.boolean(),
  demo: z.boolean(),
});
export type MeterState = z.infer<typeof MeterState>;
