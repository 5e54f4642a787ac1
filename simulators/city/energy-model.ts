/**
 * Meters of public buildings. Consumption follows the building's day (a school is busy 8–17 on
 * weekdays, a hospital never sleeps), the week, the season and the weather; the register is the
 * exact integral of that profile, computed in closed form per local day, so it never runs
 * backwards — not across DST changes, not across simulator restarts.
 */
import type { EnergyReadingPayload, EnergyUnit, WeatherPayload } from '../../services/contracts/index.ts';
import { DAY_MS, kyivMidnight, kyivTime, SIM_EPOCH_MS } from './kyiv-time.ts';
import { between, hashString, unit } from './random.ts';

const HOUR = 3_600_000;
const EPOCH_DAY = Math.floor(SIM_EPOCH_MS / DAY_MS);
/** kilowatt-hours in a gigacalorie */
const KWH_PER_GCAL = 1163;

export const BUILDING_TYPES = ['school', 'kindergarten', 'hospital', 'clinic', 'office', 'culture'] as const;
export type BuildingType = (typeof BUILDING_TYPES)[number];

/** Occupancy 0–1 by local hour for weekdays, Saturdays and Sundays. */
type WeekShape = readonly [weekday: readonly number[], saturday: readonly number[], sunday: readonly number[]];

/** 24 hourly values: `night` except the hours given. */
function day(night: number, hours: Record<number, number>): number[] {
  return Array.from({ length: 24 }, (_, h) => hours[h] ?? night);
}
function span(from: number, to: number, level: number, extra: Record<number, number> = {}): Record<number, number> {
  const out: Record<number, number> = {};
  for (let h = from; h < to; h++) out[h] = level;
  return { ...out, ...extra };
}

const SHAPES: Record<BuildingType, WeekShape> = {
  school: [
    day(0.15, { 7: 0.45, ...span(8, 17, 1, { 12: 0.9 }), 17: 0.55, 18: 0.35, 19: 0.25, 20: 0.22 }),
    day(0.15, span(9, 14, 0.3)),
    day(0.14, {}),
  ],
  kindergarten: [
    day(0.2, { 6: 0.4, ...span(7, 19, 1, { 13: 0.8, 14: 0.8 }), 19: 0.5, 20: 0.3 }),
    day(0.2, {}),
    day(0.2, {}),
  ],
  hospital: [
    day(0.7, { 6: 0.78, 7: 0.88, ...span(8, 20, 1), 20: 0.9, 21: 0.82 }),
    day(0.68, { 7: 0.8, ...span(8, 20, 0.9), 20: 0.82 }),
    day(0.68, { 7: 0.78, ...span(8, 20, 0.86), 20: 0.8 }),
  ],
  clinic: [
    day(0.12, { 7: 0.5, ...span(8, 19, 1), 19: 0.45, 20: 0.22 }),
    day(0.12, { 7: 0.35, ...span(8, 14, 0.6), 14: 0.3 }),
    day(0.11, {}),
  ],
  office: [
    day(0.1, { 7: 0.2, 8: 0.55, ...span(9, 18, 1, { 13: 0.85 }), 18: 0.5, 19: 0.25, 20: 0.15 }),
    day(0.1, {}),
    day(0.1, {}),
  ],
  culture: [
    day(0.12, { 9: 0.4, ...span(10, 19, 0.9), 19: 0.6, 20: 0.35 }),
    day(0.12, { 9: 0.4, ...span(10, 20, 1), 20: 0.5 }),
    day(0.12, { ...span(10, 18, 0.85), 18: 0.4 }),
  ],
};

/** Peak consumption per hour for a typical building of the type, in the meter's unit. */
const PEAK: Record<EnergyUnit, Record<BuildingType, readonly [number, number]>> = {
  kWh: { school: [25, 70], kindergarten: [10, 25], hospital: [90, 260], clinic: [20, 55], office: [15, 60], culture: [10, 40] },
  Gcal: { school: [0.15, 0.45], kindergarten: [0.06, 0.18], hospital: [0.4, 1.2], clinic: [0.1, 0.3], office: [0.08, 0.3], culture: [0.06, 0.25] },
  GJ: { school: [0.6, 1.9], kindergarten: [0.25, 0.75], hospital: [1.7, 5], clinic: [0.4, 1.25], office: [0.35, 1.25], culture: [0.25, 1] },
  m3: { school: [0.6, 1.8], kindergarten: [0.4, 1.1], hospital: [2, 6], clinic: [0.4, 1.2], office: [0.3, 1], culture: [0.2, 0.7] },
};

export interface MeterSpec {
  id: string;
  unit: EnergyUnit;
  building: BuildingType;
  /** consumption per hour at full occupancy (heat: at the design outdoor temperature) */
  peakPerHour: number;
  /** the register at the start of the simulator's time line */
  baseValue: number;
  seed: number;
}

/** Reads the unit from a demo meter id (`demo-heat-007`) or, failing that, from its name. */
export function meterUnitFor(device: { id: string; name?: string | undefined }): EnergyUnit {
  const text = `${device.id} ${device.name ?? ''}`.toLowerCase();
  if (/-heat-|тепл|heat/.test(text)) return 'Gcal';
  if (/-water-|вод|water/.test(text)) return 'm3';
  return 'kWh';
}

/** Reads the building type from a demo building id (`school-05`); anything else is an office. */
export function buildingTypeFor(device: { buildingId?: string | undefined }): BuildingType {
  const prefix = (device.buildingId ?? '').split('-')[0] as BuildingType;
  return BUILDING_TYPES.includes(prefix) ? prefix : 'office';
}

/** The simulation parameters of a meter, derived from its registration so they survive restarts. */
export function meterSpecFor(device: { id: string; name?: string | undefined; buildingId?: string | undefined }, seed = 1): MeterSpec {
  const s = (hashString(device.id) ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  const unitName = meterUnitFor(device);
  const building = buildingTypeFor(device);
  const [lo, hi] = PEAK[unitName][building];
  const peakPerHour = between(lo, hi, s, 1);
  return {
    id: device.id,
    unit: unitName,
    building,
    peakPerHour,
    // Years of service behind the register.
    baseValue: Math.round(peakPerHour * between(3000, 40_000, s, 2)),
    seed: s,
  };
}

interface LocalDay {
  start: number;
  /** the local hour of each real hour of the day: 23, 24 or 25 entries */
  hours: number[];
  /** 0 weekday, 1 Saturday, 2 Sunday */
  dayClass: 0 | 1 | 2;
  month: number;
  dayOfYear: number;
}

const dayCache = new Map<number, LocalDay>();
function localDay(dayIndex: number): LocalDay {
  let d = dayCache.get(dayIndex);
  if (d) return d;
  const start = kyivMidnight(dayIndex);
  const end = kyivMidnight(dayIndex + 1);
  const n = Math.round((end - start) / HOUR);
  const hours = n === 24 ? Array.from({ length: 24 }, (_, h) => h) : Array.from({ length: n }, (_, k) => kyivTime(start + k * HOUR + 60_000).hour);
  const t = kyivTime(start + HOUR * 12);
  d = { start, hours, dayClass: t.weekday <= 5 ? 0 : t.weekday === 6 ? 1 : 2, month: t.month, dayOfYear: t.dayOfYear };
  if (dayCache.size > 20_000) dayCache.clear();
  dayCache.set(dayIndex, d);
  return d;
}

/** Daily mean outdoor temperature in Kropyvnytskyi, °C: one city-wide weather for every meter. */
export function outdoorTempC(dayIndex: number): number {
  const doy = localDay(dayIndex).dayOfYear;
  return 9 - 13 * Math.cos((2 * Math.PI * (doy - 15)) / 365) + between(-3.5, 3.5, 0x5eed, dayIndex);
}

/**
 * The payload of a weather station (`v1/energy/{stationId}/weather`) at the instant: the day's
 * mean outdoor temperature (the one the heat meters answer to) with a daily swing of ±4 °C,
 * coldest at 05:00 and warmest at 17:00 local, which averages out over the day.
 */
export function weatherReading(ms: number): WeatherPayload {
  const t = kyivTime(ms);
  const hourOfDay = t.hour + t.minute / 60;
  const swing = -4 * Math.cos((2 * Math.PI * (hourOfDay - 5)) / 24);
  return { ts: new Date(ms).toISOString(), temperatureC: Math.round((outdoorTempC(t.dayIndex) + swing) * 10) / 10 };
}

/** Readings of a model every `stepMs` over [from, to): a meter's history, in closed form. */
export function* historyReadings(model: EnergyMeterModel, from: number, to: number, stepMs = 15 * 60_000): Generator<EnergyReadingPayload> {
  for (let ms = Math.ceil(from / stepMs) * stepMs; ms < to; ms += stepMs) yield model.reading(ms);
}

const isNight = (h: number) => h < 6 || h >= 21;

/** Ukraine's heating season runs mid-October to mid-April. */
function heatingSeason(dayOfYear: number): boolean {
  return dayOfYear >= 288 || dayOfYear <= 105;
}

interface DayFactors {
  index: number;
  day: LocalDay;
  cls: 0 | 1 | 2;
  shape: readonly number[];
  dayFactor: number;
  /** heat: share of the design heating load; 0 outside the season */
  demand: number;
  hotWater: number;
  /** water: flow of a leak, per hour */
  leak: number;
  /** electricity: seasonal factor and the night multiplier of a "left on" day */
  season: number;
  leftOn: number;
}

export class EnergyMeterModel {
  readonly spec: MeterSpec;
  /** this meter's own variation of its building type's week */
  private readonly shape: number[][];
  /** per day class: the sum of the shape over a day, and over its night hours */
  private readonly sums: Array<{ all: number; night: number }>;
  private prefix: number[] = [0];
  private lastFactors: DayFactors | null = null;

  constructor(spec: MeterSpec) {
    this.spec = spec;
    this.shape = SHAPES[spec.building].map((d, c) => d.map((v, h) => v * between(0.92, 1.08, spec.seed, c, h, 3)));
    this.sums = this.shape.map((d) => ({
      all: d.reduce((a, b) => a + b, 0),
      night: d.reduce((a, b, h) => a + (isNight(h) ? b : 0), 0),
    }));
  }

  private factors(dayIndex: number): DayFactors {
    if (this.lastFactors?.index === dayIndex) return this.lastFactors;
    const d = localDay(dayIndex);
    const { unit: u, building, peakPerHour, seed } = this.spec;
    let cls = d.dayClass;
    // School holidays: June to August, weekdays look like Saturdays.
    if (building === 'school' && cls === 0 && d.month >= 6 && d.month <= 8) cls = 1;
    const heat = u === 'Gcal' || u === 'GJ';
    const f: DayFactors = {
      index: dayIndex,
      day: d,
      cls,
      shape: this.shape[cls]!,
      dayFactor: between(0.92, 1.08, seed, dayIndex, 4),
      demand: heat && heatingSeason(d.dayOfYear) ? Math.max(0, (18 - outdoorTempC(dayIndex)) / 22) : 0,
      hotWater: building === 'hospital' || building === 'kindergarten' ? 0.08 : 0.02,
      // A leak now and then: water flowing day and night for a few days.
      leak: u === 'm3' && unit(seed, Math.floor(dayIndex / 3), 5) < 0.03 ? 0.12 * peakPerHour : 0,
      // Lighting makes winter a little heavier; now and then someone leaves everything on at night.
      season: 1 + 0.1 * Math.cos((2 * Math.PI * (d.dayOfYear - 355)) / 365),
      leftOn: u === 'kWh' && unit(seed, dayIndex, 6) < 0.015 ? 2.5 : 1,
    };
    this.lastFactors = f;
    return f;
  }

  /** Consumption per hour during local hour h of a day, in the meter's unit. */
  private rateAt(f: DayFactors, h: number): number {
    const occupancy = f.shape[h]!;
    const base = this.spec.peakPerHour * f.dayFactor;
    switch (this.spec.unit) {
      case 'Gcal':
      case 'GJ':
        // Heating runs day and night with a setback while the building is empty.
        return base * (f.demand * (0.7 + 0.3 * occupancy) + f.hotWater * occupancy);
      case 'm3':
        return base * occupancy + f.leak;
      case 'kWh':
        return base * f.season * occupancy * (isNight(h) ? f.leftOn : 1);
    }
  }

  /** The consumption of a whole local day: in closed form, since history goes back years. */
  private dayTotal(f: DayFactors): number {
    if (f.day.hours.length !== 24) {
      let total = 0;
      for (const h of f.day.hours) total += this.rateAt(f, h);
      return total;
    }
    const { all, night } = this.sums[f.cls]!;
    const base = this.spec.peakPerHour * f.dayFactor;
    switch (this.spec.unit) {
      case 'Gcal':
      case 'GJ':
        return base * (f.demand * (0.7 * 24 + 0.3 * all) + f.hotWater * all);
      case 'm3':
        return base * all + 24 * f.leak;
      case 'kWh':
        return base * f.season * (all + (f.leftOn - 1) * night);
    }
  }

  /** The cumulative register at the instant. */
  value(ms: number): number {
    const dayIndex = kyivTime(ms).dayIndex;
    if (dayIndex < EPOCH_DAY) return this.spec.baseValue;
    while (this.prefix.length <= dayIndex - EPOCH_DAY) {
      const f = this.factors(EPOCH_DAY + this.prefix.length - 1);
      this.prefix.push(this.prefix[this.prefix.length - 1]! + this.dayTotal(f));
    }
    const f = this.factors(dayIndex);
    const elapsedH = (ms - f.day.start) / HOUR;
    let partial = 0;
    const hours = f.day.hours;
    for (let k = 0; k < hours.length && k < elapsedH; k++) partial += this.rateAt(f, hours[k]!) * Math.min(1, elapsedH - k);
    return this.spec.baseValue + this.prefix[dayIndex - EPOCH_DAY]! + partial;
  }

  /** Consumption per hour at the instant, in the meter's unit. */
  rate(ms: number): number {
    const f = this.factors(kyivTime(ms).dayIndex);
    const k = Math.min(f.day.hours.length - 1, Math.max(0, Math.floor((ms - f.day.start) / HOUR)));
    return this.rateAt(f, f.day.hours[k]!);
  }

  /** Instantaneous power, W (thermal power for heat meters); undefined for water. */
  powerW(ms: number): number | undefined {
    const r = this.rate(ms) * between(0.95, 1.05, this.spec.seed, Math.floor(ms / 1000), 7);
    switch (this.spec.unit) {
      case 'kWh':
        return r * 1000;
      case 'Gcal':
        return r * KWH_PER_GCAL * 1000;
      case 'GJ':
        return (r * 1e9) / 3600;
      case 'm3':
        return undefined;
    }
  }

  /** The MQTT payload of `v1/energy/{meterId}/reading` at the instant. */
  reading(ms: number): EnergyReadingPayload {
    const digits = this.spec.unit === 'kWh' ? 3 : 4;
    const f = 10 ** digits;
    const payload: EnergyReadingPayload = {
      ts: new Date(ms).toISOString(),
      value: Math.round(this.value(ms) * f) / f,
      unit: this.spec.unit,
    };
    const p = this.powerW(ms);
    if (p !== undefined) payload.powerW = Math.round(p * 10) / 10;
    return payload;
  }
}
