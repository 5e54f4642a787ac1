import { z } from 'zod';
import { DeviceId, IsoUtc, NonNegative, Timestamp } from './common.ts';

export const EnergyUnit = z.enum(['kWh', 'm3', 'Gcal', 'GJ']);
export type EnergyUnit = z.infer<typeof EnergyUnit>;

/** What an energy meter measures. */
export const EnergyResource = z.enum(['electricity', 'heat', 'gas', 'water']);
export type EnergyResource = z.infer<typeof EnergyResource>;

/** The units a meter of each resource may count in. */
export const UNITS_BY_RESOURCE: Record<EnergyResource, readonly EnergyUnit[]> = {
  electricity: ['kWh'],
  heat: ['Gcal', 'GJ', 'kWh'],
  gas: ['m3', 'kWh'],
  water: ['m3'],
};

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
