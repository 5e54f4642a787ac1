import { z } from 'zod';
import { DeviceId, IsoUtc, Latitude, Longitude, NonNegative, Timestamp, finite } from './common.ts';
import { zoneCoverageProblem } from './tariff-zones.ts';

export { ZONE_PRESETS, zoneCoverageProblem } from './tariff-zones.ts';

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

/**
 * `v1/energy/{stationId}/weather` — outdoor temperature from a weather station (a device of kind
 * `weather-station`), for heating degree-days.
 */
export const WeatherPayload = z.strictObject({
  ts: Timestamp,
  temperatureC: finite().min(-90, 'must be ≥ -90').max(70, 'must be ≤ 70'),
  humidityPct: finite().min(0, 'must be ≥ 0').max(100, 'must be ≤ 100').optional(),
});
export type WeatherPayload = z.input<typeof WeatherPayload>;
export type WeatherReading = z.output<typeof WeatherPayload>;

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

export const BuildingType = z.enum(['school', 'kindergarten', 'hospital', 'office', 'other']);
export type BuildingType = z.infer<typeof BuildingType>;

/** A building id: also a Socket.IO room (`building:{id}`) and a path segment. */
export const BuildingId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$/, 'must be 1–120 characters of A–Z, a–z, 0–9, _ . - and start with a letter or digit');

/** `PUT /api/v1/energy/buildings/:buildingId` */
export const BuildingPut = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  type: BuildingType,
  areaM2: finite().positive('must be > 0').max(1e7, 'must be ≤ 10000000').describe('heated area, m²'),
  address: z.string().trim().max(300).optional(),
  lat: Latitude.optional(),
  lon: Longitude.optional(),
});
export type BuildingPut = z.infer<typeof BuildingPut>;

export const Building = z.object({
  buildingId: z.string(),
  name: z.string(),
  type: BuildingType,
  areaM2: z.number(),
  address: z.string().nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  /** the energy meters registered with this buildingId */
  meterIds: z.array(z.string()),
  createdAt: IsoUtc,
  updatedAt: IsoUtc,
});
export type Building = z.infer<typeof Building>;

export const ConsumptionInterval = z.enum(['hour', 'day', 'month', 'year']);
export type ConsumptionInterval = z.infer<typeof ConsumptionInterval>;

const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a local date YYYY-MM-DD');

/** `?from=YYYY-MM-DD&to=YYYY-MM-DD&interval=hour|day|month` — local dates, `from` inclusive, `to` exclusive. */
export const ConsumptionQuery = z.strictObject({
  from: LocalDate,
  to: LocalDate,
  interval: ConsumptionInterval.default('day'),
  /** buildings only: one resource */
  resource: EnergyResource.optional(),
});

export const ConsumptionPoint = z.object({
  start: IsoUtc,
  end: IsoUtc,
  /** null: no reading covers the interval */
  value: z.number().nullable(),
  unit: EnergyUnit,
  /** part of it is interpolated over a gap, estimated across a meter replacement, or (buildings) missing from a meter */
  estimated: z.boolean(),
  resource: EnergyResource.nullable().optional(),
  /** what it cost in UAH by the tariffs (null: no tariff covers a day with consumption, or no consumption) */
  costUAH: z.number().nullable().optional(),
});
export type ConsumptionPoint = z.infer<typeof ConsumptionPoint>;

/** An answer to a CSV import, row by row. */
export const EnergyImportResult = z.object({
  accepted: z.number(),
  refused: z.number(),
  rows: z.array(
    z.object({
      line: z.number().describe('1-based line of the CSV, the header being line 1'),
      id: z.string().nullable(),
      status: z.enum(['accepted', 'refused']),
      error: z.string().optional(),
    }),
  ),
});
export type EnergyImportResult = z.infer<typeof EnergyImportResult>;

/** `?from&to&resource&baseC` of a building's baseline: the model is fitted on the year before `from`. */
export const BaselineQuery = z.strictObject({
  from: LocalDate,
  to: LocalDate,
  resource: EnergyResource.default('heat'),
  baseC: z.coerce.number().refine(Number.isFinite, 'must be a number').min(0, 'must be ≥ 0').max(30, 'must be ≤ 30').default(18),
});

const PeriodFigures = z.object({
  from: z.string(),
  to: z.string(),
  /** consumption over the period (days with data), null when there is none */
  actual: z.number().nullable(),
  /** heating degree-days over the days with temperatures */
  hdd: z.number(),
  days: z.number(),
  daysWithTemperature: z.number(),
  estimated: z.boolean(),
});

export const BaselineReport = z.object({
  buildingId: z.string(),
  resource: EnergyResource,
  unit: EnergyUnit.nullable(),
  baseC: z.number(),
  model: z.object({
    from: z.string(),
    to: z.string(),
    baseload: z.number().describe('consumption per day at 0 HDD'),
    perHdd: z.number().describe('consumption per heating degree-day'),
    r2: z.number(),
    cvRmse: z.number(),
    days: z.number(),
    sufficient: z.boolean(),
    reasons: z.array(z.string()),
  }),
  period: PeriodFigures.extend({
    /** what the baseline expects for the period's weather (days with temperatures) */
    expected: z.number().nullable(),
    deviationPct: z.number().nullable(),
  }),
  lastYear: PeriodFigures.extend({ changePct: z.number().nullable().describe('period against the same dates a year earlier') }),
  perM2: z.number().nullable().describe('period consumption per m² of heated area'),
  /** the period day by day: what the baseline expects for the day's weather, ± its RMSE (the band a chart draws) */
  daily: z.array(
    z.object({
      start: IsoUtc,
      hdd: z.number().nullable(),
      expected: z.number().nullable(),
      low: z.number().nullable(),
      high: z.number().nullable(),
    }),
  ),
});
export type BaselineReport = z.infer<typeof BaselineReport>;

export const RankingQuery = z.strictObject({ from: LocalDate, to: LocalDate });

export const RankingEntry = z.object({
  buildingId: z.string(),
  name: z.string(),
  type: BuildingType,
  areaM2: z.number(),
  /** electricity, heat and gas in kWh (gas m3 × GAS_KWH_PER_M3) */
  energyKWh: z.number().nullable(),
  kWhPerM2: z.number().nullable(),
  waterM3: z.number().nullable(),
  estimated: z.boolean(),
  /** every resource's cost over the period in UAH by the tariffs; null when some consumption has no tariff */
  costUAH: z.number().nullable(),
});
export type RankingEntry = z.infer<typeof RankingEntry>;

export const AnomalyKind = z.enum(['night-baseload', 'weekend-baseload', 'night-flow', 'spike', 'silent', 'above-baseline']);
export const AnomalyState = z.enum(['new', 'acknowledged', 'resolved']);

export const Anomaly = z.object({
  id: z.number(),
  meterId: z.string(),
  buildingId: z.string().nullable(),
  kind: AnomalyKind,
  start: IsoUtc,
  end: IsoUtc,
  /** the figures that made it an anomaly */
  evidence: z.record(z.string(), z.union([z.number(), z.string()])),
  state: AnomalyState,
  detectedAt: IsoUtc,
  updatedAt: IsoUtc,
  updatedBy: z.string().nullable(),
});
export type Anomaly = z.infer<typeof Anomaly>;

export const AnomalyQuery = z.strictObject({
  state: AnomalyState.optional(),
  buildingId: z.string().max(120).optional(),
  kind: AnomalyKind.optional(),
});
/** `PATCH /api/v1/energy/anomalies/:id` */
export const AnomalyPatch = z.strictObject({ state: z.enum(['acknowledged', 'resolved']) });
/** `POST /api/v1/energy/anomalies/scan`: complete local days [from, to) */
export const AnomalyScan = z.strictObject({ from: LocalDate, to: LocalDate });

/** `?month=YYYY-MM[&buildingId=]` of the monthly report */
export const ReportQuery = z.strictObject({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM'),
  buildingId: BuildingId.optional(),
});

export const OpenDataQuery = z.strictObject({ year: z.coerce.number().int('must be a year').min(2000, 'must be ≥ 2000').max(2100, 'must be ≤ 2100') });

/** One building's consumption of one resource in one local month: the open data set. */
export const OpenDataRow = z.object({
  buildingId: z.string(),
  name: z.string(),
  type: BuildingType,
  areaM2: z.number(),
  month: z.string().describe('YYYY-MM, a local month'),
  resource: EnergyResource.nullable(),
  unit: EnergyUnit,
  value: z.number(),
  estimated: z.boolean(),
  /** the month's cost in UAH by the tariffs; null where no tariff covers the consumption (never 0 by default) */
  costUAH: z.number().nullable(),
});
export type OpenDataRow = z.infer<typeof OpenDataRow>;

/** A tariff id: also a path segment. */
export const TariffId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/, 'must be 1–80 characters of A–Z, a–z, 0–9, _ . - and start with a letter or digit');

/** A whole local clock hour `HH:00` (00:00–24:00): rollups are hourly, so zones change on the hour. */
export const ClockHour = z.string().regex(/^(([01]\d|2[0-3]):00|24:00)$/, 'must be a whole local hour HH:00 (00:00–24:00)');

/** Local clock hours [from, to) of a zone; `to` before `from` runs over midnight (23:00–07:00). */
export const ZoneHours = z
  .strictObject({ from: ClockHour.refine((h) => h !== '24:00', 'must be a whole local hour HH:00 (00:00–23:00)'), to: ClockHour })
  .refine((h) => Number(h.from.slice(0, 2)) % 24 !== Number(h.to.slice(0, 2)) % 24, { path: ['to'], message: 'must differ from from (a zone of the whole day is a flat price)' });
export type ZoneHours = z.infer<typeof ZoneHours>;

/**
 * One time-of-day zone of an electricity tariff: its local clock hours and either its own price
 * (`priceUAH`, UAH per unit) or a `coefficient` of the tariff's `priceUAH` (as the regulator sets
 * them: night × 0.5 of a two-zone tariff).
 */
export const TariffZonePut = z
  .strictObject({
    zone: z.string().trim().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be 1–40 characters of a–z, 0–9, - starting with a letter (night, day, peak, half-peak)'),
    hours: z.array(ZoneHours).min(1, 'must list at least one range of hours').max(12, 'at most 12 ranges'),
    priceUAH: finite().min(0, 'must be ≥ 0').max(1e6, 'must be ≤ 1000000').optional().describe('UAH per unit in this zone'),
    coefficient: finite().min(0, 'must be ≥ 0').max(100, 'must be ≤ 100').optional().describe('× the tariff\'s priceUAH'),
  })
  .superRefine((zn, ctx) => {
    if ((zn.priceUAH === undefined) === (zn.coefficient === undefined)) ctx.addIssue({ code: 'custom', path: ['priceUAH'], message: 'give either priceUAH or coefficient (one of them)' });
  });
export type TariffZonePut = z.infer<typeof TariffZonePut>;

/**
 * `PUT /api/v1/energy/tariffs/:tariffId` — the price of one unit of a resource in UAH over local
 * dates [validFrom, validTo) (validTo absent: until further notice). Tariffs of one resource do
 * not overlap. Electricity may be priced by time of day: `zones` (2–6) cover the 24 local hours,
 * each with its price or a coefficient of `priceUAH`; without `zones` the price is flat.
 */
export const TariffPut = z
  .strictObject({
    resource: EnergyResource,
    unit: EnergyUnit.describe('the unit the price is per (kWh, m3, Gcal, GJ)'),
    priceUAH: finite().min(0, 'must be ≥ 0').max(1e6, 'must be ≤ 1000000').describe('UAH per unit, VAT included as billed (with zones: the price the coefficients multiply)'),
    validFrom: LocalDate,
    validTo: LocalDate.optional(),
    note: z.string().trim().max(300).optional(),
    zones: z.array(TariffZonePut).min(2, 'must hold at least 2 zones (one zone is a flat price: leave zones out)').max(6, 'at most 6 zones').optional(),
  })
  .superRefine((t, ctx) => {
    if (!UNITS_BY_RESOURCE[t.resource].includes(t.unit)) ctx.addIssue({ code: 'custom', path: ['unit'], message: `must be one of ${UNITS_BY_RESOURCE[t.resource].join(', ')} for ${t.resource}` });
    if (t.validTo !== undefined && t.validTo <= t.validFrom) ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'must be a later date than validFrom' });
    if (t.zones && t.resource !== 'electricity') ctx.addIssue({ code: 'custom', path: ['zones'], message: 'only electricity is priced by time of day' });
    else if (t.zones) {
      const problem = zoneCoverageProblem(t.zones);
      if (problem) ctx.addIssue({ code: 'custom', path: ['zones', ...problem.path], message: problem.message });
    }
  });
export type TariffPut = z.infer<typeof TariffPut>;

export const TariffZone = z.object({
  zone: z.string(),
  hours: z.array(z.object({ from: z.string(), to: z.string() })),
  /** UAH per unit in the zone (a coefficient applied to the tariff's priceUAH) */
  priceUAH: z.number(),
  /** as given; null when the zone was given its own price */
  coefficient: z.number().nullable(),
});
export type TariffZone = z.infer<typeof TariffZone>;

export const Tariff = z.object({
  tariffId: z.string(),
  resource: EnergyResource,
  unit: EnergyUnit,
  /** flat: UAH per unit; with zones: the price the zones' coefficients multiply */
  priceUAH: z.number(),
  validFrom: z.string(),
  validTo: z.string().nullable(),
  note: z.string().nullable(),
  /** time-of-day zones in local hours; null: one price all day */
  zones: z.array(TariffZone).nullable(),
  updatedAt: IsoUtc,
  updatedBy: z.string().nullable(),
});
export type Tariff = z.infer<typeof Tariff>;

export const TariffQuery = z.strictObject({ resource: EnergyResource.optional() });

/** Intervals of the aggregates of a building type and of the city. */
export const AggregateInterval = z.enum(['hour', 'day', 'month', 'year']);
export type AggregateInterval = z.infer<typeof AggregateInterval>;

/** `?from&to&interval&resource` of the city's and a building type's consumption. */
export const AggregateQuery = z.strictObject({
  from: LocalDate,
  to: LocalDate,
  interval: AggregateInterval.default('day'),
  resource: EnergyResource.optional(),
});

/** A building type's figures over a period, per resource and unit (`GET /api/v1/energy/types`). */
export const TypeBreakdownEntry = z.object({
  type: BuildingType,
  buildings: z.number(),
  areaM2: z.number(),
  resource: EnergyResource.nullable(),
  unit: EnergyUnit,
  value: z.number().nullable(),
  estimated: z.boolean(),
  costUAH: z.number().nullable(),
  /** energy in kWh per m² of the type's heated area (null for water) */
  kWhPerM2: z.number().nullable(),
});
export type TypeBreakdownEntry = z.infer<typeof TypeBreakdownEntry>;
export const TypeBreakdownQuery = z.strictObject({ from: LocalDate, to: LocalDate });

/** `?month=YYYY-MM` of a building's cost by tariff zone. */
export const BuildingCostQuery = z.strictObject({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM') });

/** Consumption and cost of one zone (by name, across the month's tariffs); zone null: hours at a flat price. */
export const ZoneCost = z.object({
  zone: z.string().nullable(),
  value: z.number(),
  costUAH: z.number(),
});

/** `GET /api/v1/energy/buildings/:buildingId/cost?month=` — a local month's cost per resource, by zone. */
export const BuildingCost = z.object({
  buildingId: z.string(),
  month: z.string(),
  start: IsoUtc,
  end: IsoUtc,
  resources: z.array(
    z.object({
      resource: EnergyResource.nullable(),
      unit: EnergyUnit,
      value: z.number().nullable(),
      /** null when some of the consumption has no tariff (never a partial sum), or there is none */
      costUAH: z.number().nullable(),
      /** consumption in hours no tariff covers */
      unpriced: z.number(),
      zones: z.array(ZoneCost),
    }),
  ),
});
export type BuildingCost = z.infer<typeof BuildingCost>;
