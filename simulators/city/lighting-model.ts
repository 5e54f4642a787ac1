/**
 * A street-lighting cabinet (a controller of one lamp group): its astronomical dimming schedule,
 * what it measures, its occasional faults, and how it obeys manual commands.
 *
 * The schedule is a pure function of time; the cumulative energy register follows the schedule
 * in closed form (so a restarted simulator continues the same register) and only integrates step
 * by step while something makes it deviate: an override, a stuck contactor, a dimming failure.
 */
import {
  describeZodError,
  LightingCommand,
  type LightingCommandAck,
  type LightingStatePayload,
} from '../../services/contracts/index.ts';
import { DAY_MS, kyivInstant, kyivMidnight, kyivTime, SIM_EPOCH_MS } from './kyiv-time.ts';
import { between, hashString, unit } from './random.ts';
import { sunTimes } from './sun.ts';

const HOUR = 3_600_000;
const EPOCH_DAY = Math.floor(SIM_EPOCH_MS / DAY_MS);
const FAULT_WINDOW_MS = 2 * HOUR;

export interface ControllerSpec {
  id: string;
  lat: number;
  lon: number;
  lamps: number;
  /** rated power of one lamp at 100 %, W */
  lampW: number;
  /** the energy register at the start of the simulator's time line, kWh */
  baseKWh: number;
  /** switching relative to sunset and sunrise, minutes (photocell and clock tolerances) */
  onOffsetMin: number;
  offOffsetMin: number;
  seed: number;
  /** simulate faults (lamp failures, voltage, stuck contactor, dimming failure, silence) */
  faults: boolean;
}

const LAMP_W = [40, 60, 80, 100, 120, 150] as const;

/** The simulation parameters of a controller, derived from its id so they survive restarts. */
export function controllerSpecFor(device: { id: string; lat?: number | undefined; lon?: number | undefined }, seed = 1, faults = true): ControllerSpec {
  const s = (hashString(device.id) ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  return {
    id: device.id,
    lat: device.lat ?? 48.5079,
    lon: device.lon ?? 32.2623,
    lamps: 40 + Math.floor(unit(s, 1) * 90),
    lampW: LAMP_W[Math.floor(unit(s, 2) * LAMP_W.length)]!,
    baseKWh: Math.round(between(20_000, 200_000, s, 3)),
    onOffsetMin: between(-4, 8, s, 4),
    offOffsetMin: between(-8, 4, s, 5),
    seed: s,
    faults,
  };
}

export interface PlanInterval {
  from: number;
  to: number;
  level: number;
}

interface LocalDayMarks {
  start: number;
  end: number;
  /** UTC instants of local 01:00, 05:00 and 23:00 */
  t01: number;
  t05: number;
  t23: number;
}

// Shared by every cabinet: the local clock's marks do not depend on where the cabinet stands.
const marksCache = new Map<number, LocalDayMarks>();
function dayMarks(dayIndex: number): LocalDayMarks {
  let m = marksCache.get(dayIndex);
  if (!m) {
    m = {
      start: kyivMidnight(dayIndex),
      end: kyivMidnight(dayIndex + 1),
      t01: kyivInstant(dayIndex, 60),
      t05: kyivInstant(dayIndex, 300),
      t23: kyivInstant(dayIndex, 23 * 60),
    };
    if (marksCache.size > 20_000) marksCache.clear();
    marksCache.set(dayIndex, m);
  }
  return m;
}

type ScheduleSpec = Pick<ControllerSpec, 'lat' | 'lon' | 'onOffsetMin' | 'offOffsetMin'>;

// Sun times at the cabinet's position rounded to 0.02° (a few seconds of sun time): cabinets
// in one district share one computation.
const sunCache = new Map<number, { off: number; on: number }>();
function switching(dayIndex: number, spec: ScheduleSpec): { off: number; on: number } {
  const lat = Math.round(spec.lat * 50);
  const lon = Math.round(spec.lon * 50);
  const key = (dayIndex * 10_000 + lat) * 20_000 + lon;
  let sun = sunCache.get(key);
  if (!sun) {
    const t = sunTimes(dayIndex, lat / 50, lon / 50);
    sun = { off: t.sunrise, on: t.sunset };
    if (sunCache.size > 50_000) sunCache.clear();
    sunCache.set(key, sun);
  }
  return { off: sun.off + spec.offOffsetMin * 60_000, on: sun.on + spec.onOffsetMin * 60_000 };
}

/**
 * The night plan: off while the sun is up; while it is dark 100 % in the evening, 50 % from
 * 23:00, 30 % from 01:00 to 05:00 and 100 % again until sunrise, on the local clock. The steps
 * are compared as instants, so DST days (23 or 25 hours) come out right.
 */
function levelAt(ms: number, sw: { off: number; on: number }, marks: LocalDayMarks): number {
  if (ms >= sw.off && ms < sw.on) return 0;
  if (ms < marks.t01) return 50;
  if (ms < marks.t05) return 30;
  if (ms < marks.t23) return 100;
  return 50;
}

/** The schedule of one local day (days since 1970) as intervals covering local midnight to midnight. */
export function dayPlan(dayIndex: number, spec: ScheduleSpec): PlanInterval[] {
  const marks = dayMarks(dayIndex);
  const sw = switching(dayIndex, spec);
  const cuts = [marks.start, marks.end, sw.off, sw.on, marks.t01, marks.t05, marks.t23]
    .filter((t) => t >= marks.start && t <= marks.end)
    .sort((a, b) => a - b);
  const plan: PlanInterval[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const from = cuts[i]!;
    const to = cuts[i + 1]!;
    if (to <= from) continue;
    const level = levelAt((from + to) / 2, sw, marks);
    const last = plan[plan.length - 1];
    if (last && last.level === level) last.to = to;
    else plan.push({ from, to, level });
  }
  return plan;
}

/** The scheduled dim level (0–100) at an instant. */
export function scheduledLevel(ms: number, spec: ScheduleSpec): number {
  const day = kyivTime(ms).dayIndex;
  return levelAt(ms, switching(day, spec), dayMarks(day));
}

export type ControllerFault = 'no-communication' | 'voltage' | 'burning-by-day' | 'power-mismatch';

interface Override {
  level: number;
  until: number;
}

export class LightingControllerModel {
  readonly spec: ControllerSpec;
  private readonly plans = new Map<number, PlanInterval[]>();
  /** level-hours (% × h) of the schedule from EPOCH_DAY up to the start of day EPOCH_DAY + i */
  private prefix: number[] = [0];
  private override: Override | null = null;
  private energyKWh: number | null = null;
  private last: { ms: number; followsSchedule: boolean; workingRatio: number; nominalW: number } | null = null;
  private readonly acks = new Map<string, LightingCommandAck>();

  constructor(spec: ControllerSpec) {
    this.spec = spec;
  }

  private plan(day: number): PlanInterval[] {
    let p = this.plans.get(day);
    if (!p) {
      p = dayPlan(day, this.spec);
      if (this.plans.size > 64) this.plans.clear();
      this.plans.set(day, p);
    }
    return p;
  }

  /** Scheduled level-hours from the start of the time line to ms. */
  scheduleLevelHours(ms: number): number {
    const day = kyivTime(ms).dayIndex;
    if (day < EPOCH_DAY) return 0;
    while (this.prefix.length <= day - EPOCH_DAY) {
      const d = EPOCH_DAY + this.prefix.length - 1;
      const total = this.plan(d).reduce((s, i) => s + (i.level * (i.to - i.from)) / HOUR, 0);
      this.prefix.push(this.prefix[this.prefix.length - 1]! + total);
    }
    let partial = 0;
    for (const i of this.plan(day)) {
      if (i.from >= ms) break;
      partial += (i.level * (Math.min(ms, i.to) - i.from)) / HOUR;
    }
    return this.prefix[day - EPOCH_DAY]! + partial;
  }

  scheduledLevel(ms: number): number {
    return scheduledLevel(ms, this.spec);
  }

  /** The fault, if any, that the controller suffers at the instant (deterministic). */
  fault(ms: number): ControllerFault | null {
    if (!this.spec.faults) return null;
    const w = Math.floor((ms - SIM_EPOCH_MS) / FAULT_WINDOW_MS);
    const r = unit(this.spec.seed, w, 30);
    if (r >= 0.04) return null;
    const start = w * FAULT_WINDOW_MS + SIM_EPOCH_MS + unit(this.spec.seed, w, 31) * 60 * 60_000;
    const end = start + between(20, 60, this.spec.seed, w, 32) * 60_000;
    if (ms < start || ms >= end) return null;
    if (r < 0.012) return 'no-communication';
    if (r < 0.024) return 'voltage';
    if (r < 0.032) return 'burning-by-day';
    return 'power-mismatch';
  }

  /** Whether the cabinet's door stands open at the instant (a maintenance visit or a break-in; deterministic). */
  doorOpen(ms: number): boolean {
    if (!this.spec.faults) return false;
    const w = Math.floor((ms - SIM_EPOCH_MS) / FAULT_WINDOW_MS);
    if (unit(this.spec.seed, w, 50) >= 0.01) return false;
    const start = w * FAULT_WINDOW_MS + SIM_EPOCH_MS + unit(this.spec.seed, w, 51) * 60 * 60_000;
    return ms >= start && ms < start + between(5, 30, this.spec.seed, w, 52) * 60_000;
  }

  /** Lamps that have failed at the instant: a few per week per cabinet, repaired the next day. */
  failedLamps(ms: number): string[] {
    if (!this.spec.faults) return [];
    const day = kyivTime(ms).dayIndex;
    if (unit(this.spec.seed, day, 40) >= 0.15) return [];
    if (ms < kyivMidnight(day) + unit(this.spec.seed, day, 41) * DAY_MS) return [];
    const n = 1 + Math.floor(unit(this.spec.seed, day, 42) * 3);
    const ids = new Set<string>();
    for (let i = 0; i < n; i++) ids.add(`L${String(1 + Math.floor(unit(this.spec.seed, day, 43, i) * this.spec.lamps)).padStart(3, '0')}`);
    return [...ids];
  }

  /** The manual override in force at the instant, if any. */
  activeOverride(ms: number): Override | null {
    if (this.override && ms >= this.override.until) this.override = null;
    return this.override;
  }

  /**
   * Advances the controller to `ms` and returns what it reports, or null while it is silent
   * (the no-communication fault). Call with non-decreasing times.
   */
  state(ms: number): LightingStatePayload | null {
    const fault = this.fault(ms);
    const override = this.activeOverride(ms);
    const scheduled = this.scheduledLevel(ms);
    let level = override ? override.level : scheduled;
    if (!override && fault === 'burning-by-day' && scheduled === 0) level = 100;
    const failed = this.failedLamps(ms);
    const working = this.spec.lamps - failed.length;
    const workingRatio = working / this.spec.lamps;
    // A dimming failure keeps drawing full power whatever level the controller commands.
    const effective = fault === 'power-mismatch' && level > 0 ? 100 : level;
    // LED drivers lose a few per cent.
    const nominalW = (working * this.spec.lampW * effective * 1.04) / 100;

    const followsSchedule = level === scheduled && effective === level;
    const scheduleKWh = (this.scheduleLevelHours(ms) * this.spec.lamps * this.spec.lampW * 1.04) / 100 / 1000;
    if (this.energyKWh === null || !this.last) {
      this.energyKWh = this.spec.baseKWh + scheduleKWh;
    } else if (ms > this.last.ms) {
      const prevScheduleKWh = (this.scheduleLevelHours(this.last.ms) * this.spec.lamps * this.spec.lampW * 1.04) / 100 / 1000;
      const inc = this.last.followsSchedule
        ? (scheduleKWh - prevScheduleKWh) * this.last.workingRatio
        : (this.last.nominalW * (ms - this.last.ms)) / HOUR / 1000;
      this.energyKWh += Math.max(0, inc);
    }
    if (!this.last || ms >= this.last.ms) this.last = { ms, followsSchedule, workingRatio, nominalW };

    if (fault === 'no-communication') return null;
    const second = Math.floor(ms / 1000);
    const voltageV =
      fault === 'voltage'
        ? unit(this.spec.seed, Math.floor(ms / FAULT_WINDOW_MS), 33) < 0.5
          ? between(192, 200, this.spec.seed, second, 34)
          : between(250, 256, this.spec.seed, second, 34)
        : between(226, 234, this.spec.seed, second, 35);
    const powerW = nominalW > 0 ? nominalW * between(0.98, 1.02, this.spec.seed, second, 36) : 0;
    const payload: LightingStatePayload = {
      ts: new Date(ms).toISOString(),
      level,
      on: level > 0,
      powerW: Math.round(powerW * 10) / 10,
      voltageV: Math.round(voltageV * 10) / 10,
      // Per phase: a cabinet feeds its lamps over three phases at power factor ≈ 0.95.
      currentA: Math.round((powerW / (3 * voltageV * 0.95)) * 100) / 100,
      energyKWh: Math.round(this.energyKWh * 1000) / 1000,
    };
    if (this.doorOpen(ms)) payload.doorOpen = true;
    if (failed.length > 0) {
      payload.lamps = failed.map((id) => ({ id, level: 0, on: false, powerW: 0, faults: ['lamp-failure' as const] }));
    }
    return payload;
  }

  /**
   * Obeys a command from `v1/lighting/{id}/cmd` and returns the acknowledgement to publish, or
   * null when there is nothing to answer (not a command, or the controller is silent).
   */
  command(raw: unknown, now: number): LightingCommandAck | null {
    if (this.fault(now) === 'no-communication') return null;
    const cmdId = typeof raw === 'object' && raw !== null && 'cmdId' in raw && typeof raw.cmdId === 'string' ? raw.cmdId : null;
    if (cmdId === null || cmdId.length === 0 || cmdId.length > 64) return null;
    // A QoS 1 redelivery must not apply a command twice.
    const known = this.acks.get(cmdId);
    if (known) return { ...known, ts: new Date(now).toISOString() };
    const ack = this.apply(raw, cmdId, now);
    if (this.acks.size >= 256) this.acks.delete(this.acks.keys().next().value!);
    this.acks.set(cmdId, ack);
    return ack;
  }

  private apply(raw: unknown, cmdId: string, now: number): LightingCommandAck {
    const ts = new Date(now).toISOString();
    const rejected = (reason: string): LightingCommandAck => ({ cmdId, ts, status: 'rejected', reason: reason.slice(0, 500) });
    const parsed = LightingCommand.safeParse(raw);
    if (!parsed.success) return rejected(describeZodError(parsed.error));
    const cmd = parsed.data;
    if (cmd.expiresAt !== undefined && cmd.expiresAt <= now) return rejected('expiresAt is in the past');
    const until = cmd.expiresAt ?? Number.POSITIVE_INFINITY;
    // A failed dimming driver cannot dim: the controller says so rather than pretend.
    const dimTo = cmd.action === 'set-level' ? cmd.level : cmd.action === 'on' ? (cmd.level ?? 100) : undefined;
    if (dimTo !== undefined && dimTo > 0 && dimTo < 100 && this.fault(now) === 'power-mismatch') {
      return rejected(`dimming driver fault: cannot dim to ${dimTo} %, the lamps burn at 100 %`);
    }
    switch (cmd.action) {
      case 'set-level':
        if (cmd.level === undefined) return rejected('set-level needs a level');
        this.override = { level: cmd.level, until };
        break;
      case 'on':
        this.override = { level: cmd.level ?? 100, until };
        break;
      case 'off':
        this.override = { level: 0, until };
        break;
      case 'resume-schedule':
        this.override = null;
        break;
    }
    return { cmdId, ts, status: 'applied' };
  }
}
