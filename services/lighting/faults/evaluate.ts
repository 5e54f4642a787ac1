import type { FaultCode, FaultSettings, LightingState } from '../../contracts/index.ts';

/** What the hub knows of a cabinet at one instant. */
export interface CabinetView {
  /** the last state it reported and when it came in (undefined: never heard from) */
  state?: LightingState;
  receivedMs?: number;
  ratedW?: number;
  /** the level the plan and overrides ask for now; undefined when nothing governs the cabinet */
  desiredLevel?: number;
}

/** One fault present now: a cabinet's (lampId '') or one lamp's. */
export interface FaultFinding {
  code: FaultCode;
  lampId: string;
  detail: string;
}

/**
 * The faults present in a cabinet now: those its lamps report, and those the hub works out —
 * no communication, burning by day (on while the plan says off and the sun is up), power out of
 * line with the level, voltage out of range. Pure: the clock and the sun come in.
 */
export function findFaults(c: CabinetView, settings: FaultSettings, nowMs: number, sunUp: boolean): FaultFinding[] {
  const out: FaultFinding[] = [];
  if (c.receivedMs !== undefined && nowMs - c.receivedMs > settings.noCommunicationMin * 60_000) {
    out.push({ code: 'no-communication', lampId: '', detail: `silent since ${new Date(c.receivedMs).toISOString()}` });
  }
  const s = c.state;
  if (!s) return out;
  for (const lamp of s.lamps ?? []) for (const f of new Set(lamp.faults ?? [])) out.push({ code: f, lampId: lamp.id, detail: 'reported by the cabinet' });
  const burning = s.on && s.level > 0;
  if (burning && sunUp && c.desiredLevel === 0) out.push({ code: 'burning-by-day', lampId: '', detail: `on at ${s.level} % while the plan says off and the sun is up` });
  if (c.ratedW !== undefined && s.powerW !== undefined) {
    const expected = burning ? (c.ratedW * s.level) / 100 : 0;
    const allowed = (c.ratedW * settings.powerTolerancePct) / 100;
    if (Math.abs(s.powerW - expected) > allowed) {
      out.push({ code: 'power-mismatch', lampId: '', detail: `${round(s.powerW)} W at level ${s.level} %, expected ${round(expected)} W ± ${round(allowed)} W` });
    }
  }
  if (s.voltageV !== undefined && (s.voltageV < settings.voltageMinV || s.voltageV > settings.voltageMaxV)) {
    out.push({ code: 'voltage-out-of-range', lampId: '', detail: `${s.voltageV} V outside ${settings.voltageMinV}–${settings.voltageMaxV} V` });
  }
  return dedupe(out);
}

const round = (x: number) => Math.round(x * 10) / 10;

function dedupe(list: FaultFinding[]): FaultFinding[] {
  const seen = new Set<string>();
  return list.filter((f) => {
    const key = `${f.code}|${f.lampId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
