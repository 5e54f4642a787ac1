/**
 * The energy tab of the lighting page: for a group or a cabinet, the energy used per local day
 * (the last 30) or per month (the last 12) against the same hours at full power, the
 * difference being the dimming's saving. Reads `GET /api/v1/lighting/energy`; drawn as stacked
 * bars (used, saved on top: together the full-power energy) with the same figures in a table.
 */
import type { LightingEnergyInterval, LightingGroup } from '../../services/contracts/lighting.ts';
import { locale } from '../shared/i18n.ts';
import { must } from '../shared/page.ts';
import { tr } from './dispatch-i18n.ts';

const CITY_TZ = 'Europe/Kyiv';
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Today's local date in the city (YYYY-MM-DD). */
export function cityDate(nowMs: number): string {
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: CITY_TZ }).format(new Date(nowMs));
}

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function addMonths(date: string, months: number): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + months, 1)).toISOString().slice(0, 10);
}

/** The range the tab asks for: the last 30 local days including today, or the last 12 months including this one. */
export function energyRange(interval: 'day' | 'month', nowMs: number): { from: string; to: string } {
  const today = cityDate(nowMs);
  if (interval === 'day') return { from: addDays(today, -29), to: addDays(today, 1) };
  const first = `${today.slice(0, 7)}-01`;
  return { from: addMonths(first, -11), to: addMonths(first, 1) };
}

const kwh = (v: number): string => v.toLocaleString(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 });

function periodLabel(iso: string, interval: 'day' | 'month'): string {
  const opts: Intl.DateTimeFormatOptions = interval === 'day' ? { day: '2-digit', month: '2-digit', timeZone: CITY_TZ } : { month: '2-digit', year: 'numeric', timeZone: CITY_TZ };
  return new Intl.DateTimeFormat(locale(), opts).format(new Date(iso));
}

export function initEnergy(token: string | null): { show(): void; hide(): void; rerender(): void } {
  const target = must<HTMLSelectElement>('energy-target');
  const intervalSel = must<HTMLSelectElement>('energy-interval');
  const msg = must('energy-msg');
  const chart = must('energy-chart') as unknown as SVGSVGElement;
  const table = must<HTMLTableElement>('energy-table');
  let rows: LightingEnergyInterval[] = [];
  let shownInterval: 'day' | 'month' = 'day';
  let targetsLoaded = false;

  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(path, { headers: { authorization: `Bearer ${token ?? ''}` } });
    const body = (await res.json()) as unknown;
    if (!res.ok) throw new Error(body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : `HTTP ${res.status}`);
    return body as T;
  };

  async function loadTargets(): Promise<void> {
    const [groups, cabinets] = await Promise.all([
      get<LightingGroup[]>('/api/v1/lighting/groups'),
      get<{ controllerId: string }[]>('/api/v1/lighting/controllers'),
    ]);
    const keep = target.value;
    target.replaceChildren();
    for (const g of groups) target.append(new Option(`${tr('energy.group', { id: g.groupId })}${g.name && g.name !== g.groupId ? ` — ${g.name}` : ''}`, `group:${g.groupId}`));
    for (const id of cabinets.map((c) => c.controllerId).sort()) target.append(new Option(tr('energy.cabinet', { id }), `cab:${id}`));
    if (keep && [...target.options].some((o) => o.value === keep)) target.value = keep;
    targetsLoaded = true;
  }

  async function load(): Promise<void> {
    if (!token) return;
    try {
      if (!targetsLoaded) await loadTargets();
      if (!target.value) {
        rows = [];
        msg.textContent = tr('energy.none');
        render();
        return;
      }
      const interval = intervalSel.value === 'month' ? 'month' : 'day';
      const { from, to } = energyRange(interval, Date.now());
      const [kind, id] = [target.value.slice(0, target.value.indexOf(':')), target.value.slice(target.value.indexOf(':') + 1)];
      const q = new URLSearchParams({ [kind === 'group' ? 'groupId' : 'controllerId']: id, from, to, interval });
      rows = await get<LightingEnergyInterval[]>(`/api/v1/lighting/energy?${q}`);
      shownInterval = interval;
      msg.textContent = '';
      msg.classList.remove('error');
      render();
    } catch (err) {
      msg.textContent = tr('error.prefix', { message: (err as Error).message });
      msg.classList.add('error');
    }
  }

  function render(): void {
    const used = rows.reduce((s, r) => s + r.kWh, 0);
    const full = rows.reduce((s, r) => s + r.fullPowerKWh, 0);
    const saved = rows.reduce((s, r) => s + r.savedKWh, 0);
    const pct = full > 0 ? Math.round((saved / full) * 1000) / 10 : 0;
    // The chart: one stacked bar per period, used below and saved above (together: full power).
    chart.replaceChildren();
    chart.setAttribute('aria-label', tr('energy.chartLabel', { used: kwh(used), saved: kwh(saved), pct: pct.toLocaleString(locale()) }));
    const top = Math.max(1e-9, ...rows.map((r) => Math.max(r.fullPowerKWh, r.kWh)));
    const W = 1000;
    const H = 200;
    const slot = rows.length ? W / rows.length : W;
    rows.forEach((r, i) => {
      const g = document.createElementNS(SVG_NS, 'g');
      g.setAttribute('data-start', r.start);
      const bar = (cls: string, value: number, base: number): void => {
        const rect = document.createElementNS(SVG_NS, 'rect');
        const h = (value / top) * H;
        rect.setAttribute('class', cls);
        rect.setAttribute('x', String(i * slot + slot * 0.15));
        rect.setAttribute('width', String(slot * 0.7));
        rect.setAttribute('y', String(H - ((base + value) / top) * H));
        rect.setAttribute('height', String(Math.max(0, h)));
        rect.setAttribute('data-kwh', String(value));
        g.append(rect);
      };
      bar('used', r.kWh, 0);
      bar('saved', Math.max(0, r.savedKWh), r.kWh);
      const title = document.createElementNS(SVG_NS, 'title');
      title.textContent = `${periodLabel(r.start, shownInterval)}: ${tr('energy.used')} ${kwh(r.kWh)}, ${tr('energy.saved')} ${kwh(r.savedKWh)}`;
      g.append(title);
      if (rows.length <= 12 || i % 5 === 0) {
        const label = document.createElementNS(SVG_NS, 'text');
        label.setAttribute('x', String(i * slot + slot / 2));
        label.setAttribute('y', '215');
        label.setAttribute('text-anchor', 'middle');
        label.textContent = periodLabel(r.start, shownInterval);
        g.append(label);
      }
      chart.append(g);
    });
    // The same figures as a table (readable without the chart, and by a screen reader).
    const body = table.tBodies[0]!;
    body.replaceChildren();
    const cell = (text: string, value?: number): HTMLTableCellElement => {
      const td = document.createElement('td');
      td.textContent = text;
      if (value !== undefined) {
        td.className = 'num';
        td.dataset.value = String(value);
      }
      return td;
    };
    for (const r of rows) {
      const tr_ = document.createElement('tr');
      tr_.dataset.start = r.start;
      const p = r.fullPowerKWh > 0 ? Math.round((r.savedKWh / r.fullPowerKWh) * 1000) / 10 : 0;
      tr_.append(cell(periodLabel(r.start, shownInterval)), cell(kwh(r.kWh), r.kWh), cell(kwh(r.fullPowerKWh), r.fullPowerKWh), cell(kwh(r.savedKWh), r.savedKWh), cell(p.toLocaleString(locale()), p));
      body.append(tr_);
    }
    const foot = table.tFoot!;
    foot.replaceChildren();
    if (rows.length) {
      const tr_ = document.createElement('tr');
      tr_.append(cell(tr('energy.total')), cell(kwh(used), used), cell(kwh(full), full), cell(kwh(saved), saved), cell(pct.toLocaleString(locale()), pct));
      foot.append(tr_);
    }
  }

  target.addEventListener('change', () => void load());
  intervalSel.addEventListener('change', () => void load());
  return {
    show: () => {
      targetsLoaded = false;
      void load();
    },
    hide: () => undefined,
    rerender: () => {
      // The language changed: the target names and the figures are written again in it.
      if (targetsLoaded && token) void loadTargets().then(render, () => undefined);
      else if (rows.length) render();
    },
  };
}
