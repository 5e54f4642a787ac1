/**
 * The energy manager's analysis views: buildings ranked by kWh/m² and by deviation from their
 * degree-day baseline, a building's consumption (hour, day, month; this period against a year
 * earlier; the baseline band), anomalies to acknowledge and resolve, the monthly report download.
 */
import uPlot from 'uplot';
import type { Anomaly, BaselineReport, BuildingCost, ConsumptionPoint, RankingEntry, Tariff, TypeBreakdownEntry } from '../../services/contracts/energy.ts';
import { fmtDateTime, fmtNumber } from '../shared/format.ts';
import { locale, onLangChange, t, type MsgKey } from '../shared/i18n.ts';
import { must } from '../shared/page.ts';
import { errorSlotOf, parseHours, presetRows, renderBuildingCost, tariffRows, zoningOf, zonesLine, type ZoneRowValue } from './tariff-zones.ts';

const TZ = 'Europe/Kyiv';
const DAY = 86_400_000;

/** YYYY-MM-DD of the local (city) day of `ms`. */
export function localDate(ms: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}
/** A local date `days` later (calendar arithmetic on the date, no clock). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}
export function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const dt = new Date(Date.UTC(y + years, m - 1, d));
  if (dt.getUTCDate() !== d) dt.setUTCDate(0); // 29 Feb → 28 Feb
  return dt.toISOString().slice(0, 10);
}

type Result<T> = { ok: true; data: T } | { ok: false; reason: string; issues?: { field: string; reason: string }[] };

async function api<T>(token: string, method: string, path: string, body?: unknown): Promise<Result<T>> {
  try {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) {
      let reason = `HTTP ${res.status}`;
      let issues: { field: string; reason: string }[] | undefined;
      try {
        const j = (await res.json()) as { message?: string; issues?: { field: string; reason: string }[] };
        if (j.message) reason = j.message;
        issues = j.issues;
      } catch {
        // not JSON
      }
      return { ok: false, reason, ...(issues ? { issues } : {}) };
    }
    return { ok: true, data: (await res.json()) as T };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

const fmtPct = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${v > 0 ? '+' : ''}${fmtNumber(v, 1)} %`);
const cell = (tr: HTMLTableRowElement, text: string, className = ''): HTMLTableCellElement => {
  const td = tr.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
};

export function initAnalysis(token: string | null): void {
  const tabs = ['live', 'buildings', 'anomalies', 'costs'] as const;
  type Tab = (typeof tabs)[number];
  const tabBtn = (x: Tab) => must<HTMLButtonElement>(`tab-${x}`);
  const view = (x: Tab) => must(`${x}-view`);
  const loaded = new Set<Tab>();

  function select(which: Tab): void {
    for (const x of tabs) {
      const on = x === which;
      tabBtn(x).setAttribute('aria-selected', String(on));
      tabBtn(x).tabIndex = on ? 0 : -1;
      view(x).hidden = !on;
    }
    if (!token || loaded.has(which)) return;
    loaded.add(which);
    if (which === 'buildings') void loadRanking();
    if (which === 'anomalies') void loadAnomalies();
    if (which === 'costs') void loadCosts();
  }
  tabs.forEach((x, i) => {
    tabBtn(x).addEventListener('click', () => select(x));
    tabBtn(x).addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]!;
      tabBtn(next).focus();
      select(next);
    });
  });

  // ── ranking ─────────────────────────────────────────────────────────────────────────────────
  const fromEl = must<HTMLInputElement>('from');
  const toEl = must<HTMLInputElement>('to');
  const rankBy = must<HTMLSelectElement>('rank-by');
  const rankingBody = must<HTMLTableElement>('ranking').tBodies[0]!;
  const rankingMsg = must('ranking-msg');
  const today = localDate(Date.now());
  fromEl.value = addDays(today, -30);
  toEl.value = addDays(today, 1);

  let ranking: RankingEntry[] = [];
  const deviation = new Map<string, number | null>();
  let selected: RankingEntry | null = null;

  async function loadRanking(): Promise<void> {
    if (!token) return;
    const from = fromEl.value;
    const to = toEl.value;
    rankingMsg.textContent = t('energy.loading');
    rankingMsg.classList.remove('error');
    const res = await api<RankingEntry[]>(token, 'GET', `/api/v1/energy/ranking?from=${from}&to=${to}`);
    if (!res.ok) {
      rankingMsg.textContent = t('energy.failed', { reason: res.reason });
      rankingMsg.classList.add('error');
      return;
    }
    ranking = res.data;
    deviation.clear();
    await Promise.all(
      ranking.map(async (b) => {
        const r = await api<BaselineReport>(token, 'GET', `/api/v1/energy/buildings/${encodeURIComponent(b.buildingId)}/baseline?from=${from}&to=${to}&resource=heat`);
        deviation.set(b.buildingId, r.ok ? r.data.period.deviationPct : null);
      }),
    );
    rankingMsg.textContent = '';
    renderRanking();
    if (selected) void loadBuilding();
  }

  function renderRanking(): void {
    const rows = [...ranking];
    if (rankBy.value === 'deviation') rows.sort((a, b) => (deviation.get(b.buildingId) ?? -Infinity) - (deviation.get(a.buildingId) ?? -Infinity));
    rankingBody.replaceChildren();
    rows.forEach((b, i) => {
      const tr = rankingBody.insertRow();
      tr.dataset.id = b.buildingId;
      tr.setAttribute('aria-selected', String(selected?.buildingId === b.buildingId));
      cell(tr, String(i + 1), 'num');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'link-button';
      btn.textContent = b.name;
      btn.title = b.buildingId;
      btn.addEventListener('click', () => {
        selected = b;
        buildingBody.hidden = false;
        renderRanking();
        void pickBuilding();
      });
      tr.insertCell().append(btn);
      cell(tr, t(`energy.type.${b.type}` as MsgKey));
      cell(tr, fmtNumber(b.areaM2), 'num');
      cell(tr, b.kWhPerM2 === null ? '—' : `${fmtNumber(b.kWhPerM2, 2)}${b.estimated ? ' *' : ''}`, 'num').title = b.estimated ? t('energy.estimatedMark') : '';
      cell(tr, fmtPct(deviation.get(b.buildingId)), 'num');
      cell(tr, b.costUAH === null ? '—' : fmtNumber(b.costUAH, 2), 'num');
    });
    if (rows.length === 0) {
      const tr = rankingBody.insertRow();
      const td = cell(tr, t('energy.noData'));
      td.colSpan = 7;
    }
  }
  const periodChanged = () => {
    void loadRanking();
    loaded.delete('costs');
  };
  fromEl.addEventListener('change', periodChanged);
  toEl.addEventListener('change', periodChanged);
  rankBy.addEventListener('change', renderRanking);
  must('period-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void loadRanking();
  });

  // ── a building's chart ──────────────────────────────────────────────────────────────────────
  const heading = must('building-heading');
  const buildingBody = must('building-body');
  const intervalEl = must<HTMLSelectElement>('interval');
  const resourceEl = must<HTMLSelectElement>('resource');
  const chartBox = must('bchart');
  const baselineMsg = must('baseline-msg');
  let chart: uPlot | null = null;
  let lastUnit = '';

  function periodOf(interval: string): { from: string; to: string } {
    if (interval === 'hour') return { from: addDays(toEl.value, -7), to: toEl.value };
    if (interval === 'month') {
      const end = toEl.value.slice(0, 7);
      const [y, m] = end.split('-').map(Number) as [number, number];
      const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
      return { from: addYears(next, -1), to: next };
    }
    return { from: fromEl.value, to: toEl.value };
  }

  const AXIS_FONT = '13px system-ui, sans-serif';
  /** The value axis as wide as its longest label ("10 000 кВт·год" did not fit a fixed 110 px). */
  const measure = document.createElement('canvas').getContext('2d');
  const valueAxisSize = (_u: uPlot, values: string[] | null): number => {
    if (!measure || !values?.length) return 110;
    measure.font = AXIS_FONT;
    return Math.ceil(Math.max(...values.map((v) => measure.measureText(v).width))) + 24;
  };

  function drawChart(data: uPlot.AlignedData, withBand: boolean, unit: string, interval: string): void {
    chart?.destroy();
    const xFmt = new Intl.DateTimeFormat(locale(), {
      timeZone: TZ,
      ...(interval === 'month' ? { month: 'short', year: '2-digit' } : interval === 'hour' ? { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : { day: '2-digit', month: '2-digit' }),
    });
    const axis = { stroke: '#c9d4de', grid: { stroke: '#263544', width: 1 }, ticks: { stroke: '#354a5e', width: 1 }, font: AXIS_FONT };
    const series: uPlot.Series[] = [
      {},
      { label: t('energy.thisYear'), stroke: '#7cc4ff', width: 2, fill: 'rgba(124,196,255,0.12)' },
      { label: t('energy.lastYear'), stroke: '#c9a0ff', width: 1.5, dash: [6, 4] },
    ];
    if (withBand) {
      series.push(
        { label: t('energy.bandHigh'), stroke: 'rgba(255,214,102,0.6)', width: 1 },
        { label: t('energy.baseline'), stroke: '#ffd666', width: 1.5 },
        { label: t('energy.bandLow'), stroke: 'rgba(255,214,102,0.6)', width: 1 },
      );
    }
    chart = new uPlot(
      {
        width: Math.max(240, Math.floor(chartBox.clientWidth) - 16),
        height: 260,
        legend: { show: true, live: false },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), TZ),
        series,
        bands: withBand ? [{ series: [3, 5], fill: 'rgba(255,214,102,0.15)' }] : [],
        axes: [{ ...axis, values: (_u, splits) => splits.map((x) => xFmt.format(new Date(x * 1000))) }, { ...axis, size: valueAxisSize, values: (_u, splits) => splits.map((v) => `${fmtNumber(v, v >= 100 ? 0 : 1)} ${unit}`) }],
      },
      data,
      chartBox,
    );
  }
  new ResizeObserver(() => {
    if (chart && chartBox.clientWidth > 0) chart.setSize({ width: Math.max(240, Math.floor(chartBox.clientWidth) - 16), height: 260 });
  }).observe(chartBox);

  /**
   * A building just picked in the ranking may have no meter of the resource shown (a hospital
   * without a heat meter): the first resource it has data for is shown instead, so the chart is
   * not empty for no reason. A resource the operator chose stays as chosen.
   */
  async function pickBuilding(): Promise<void> {
    if (!token || !selected) return;
    const b = selected;
    const { from, to } = periodOf(intervalEl.value);
    const has = async (resource: string) => {
      const r = await api<ConsumptionPoint[]>(token, 'GET', `/api/v1/energy/buildings/${encodeURIComponent(b.buildingId)}/consumption?from=${from}&to=${to}&interval=${intervalEl.value}&resource=${resource}`);
      return r.ok && r.data.length > 0;
    };
    if (!(await has(resourceEl.value))) {
      for (const option of resourceEl.options) {
        if (option.value === resourceEl.value || !(await has(option.value))) continue;
        if (selected === b) resourceEl.value = option.value;
        break;
      }
    }
    if (selected === b) await loadBuilding();
  }

  async function loadBuilding(): Promise<void> {
    if (!token || !selected) return;
    const b = selected;
    heading.textContent = t('energy.buildingHeading', { name: b.name });
    void loadBuildingCost();
    const interval = intervalEl.value;
    const resource = resourceEl.value;
    const { from, to } = periodOf(interval);
    const q = (f: string, tt: string) => `/api/v1/energy/buildings/${encodeURIComponent(b.buildingId)}/consumption?from=${f}&to=${tt}&interval=${interval}&resource=${resource}`;
    const [now, before, base] = await Promise.all([
      api<ConsumptionPoint[]>(token, 'GET', q(from, to)),
      api<ConsumptionPoint[]>(token, 'GET', q(addYears(from, -1), addYears(to, -1))),
      interval === 'day' ? api<BaselineReport>(token, 'GET', `/api/v1/energy/buildings/${encodeURIComponent(b.buildingId)}/baseline?from=${from}&to=${to}&resource=${resource}`) : Promise.resolve(null),
    ]);
    if (selected !== b) return;
    if (!now.ok) {
      baselineMsg.textContent = t('energy.failed', { reason: now.reason });
      baselineMsg.classList.add('error');
      return;
    }
    baselineMsg.classList.remove('error');
    const points = now.data;
    const xs = points.map((p) => Date.parse(p.start) / 1000);
    const lastYear = before.ok ? before.data : [];
    const ys = points.map((p) => p.value);
    const ly = points.map((_p, i) => lastYear[i]?.value ?? null);
    const unitKey = `unit.${points[0]?.unit ?? lastYear[0]?.unit ?? 'kWh'}` as MsgKey;
    lastUnit = t(unitKey);
    const report = base && base.ok ? base.data : null;
    const withBand = !!report && report.daily.some((d) => d.expected !== null);
    const data: (number | null)[][] = [xs, ys, ly];
    if (withBand && report) {
      const byStart = new Map(report.daily.map((d) => [Date.parse(d.start) / 1000, d]));
      data.push(xs.map((x) => byStart.get(x)?.high ?? null), xs.map((x) => byStart.get(x)?.expected ?? null), xs.map((x) => byStart.get(x)?.low ?? null));
    }
    chartBox.dataset.series = String(data.length - 1);
    chartBox.dataset.band = String(withBand);
    chartBox.setAttribute('aria-label', t('energy.buildingChartLabel', { name: b.name, points: xs.length }));
    drawChart(data as uPlot.AlignedData, withBand, lastUnit, interval);
    if (points.length === 0) baselineMsg.textContent = t('energy.noResourceData', { resource: t(`energy.resource.${resource}` as MsgKey) });
    else if (interval !== 'day') baselineMsg.textContent = '';
    else if (!report || report.period.expected === null) baselineMsg.textContent = t('energy.noBaseline');
    else {
      const v = (x: number | null) => (x === null ? '—' : `${fmtNumber(x, 1)} ${lastUnit}`);
      baselineMsg.textContent =
        t('energy.baselineSummary', { actual: v(report.period.actual), expected: v(report.period.expected), dev: fmtPct(report.period.deviationPct), change: fmtPct(report.lastYear.changePct) }) +
        (report.model.sufficient ? '' : ` ${t('energy.baselineWeak', { reasons: report.model.reasons.join('; ') })}`);
    }
  }
  // ── a building's month cost by time-of-day zone ─────────────────────────────────────────────
  const costMonthEl = must<HTMLInputElement>('cost-month');
  const costBody = must<HTMLTableElement>('building-cost').tBodies[0]!;
  const costCaption = must('building-cost-caption');
  const costMsg = must('cost-msg');
  costMonthEl.value = addDays(toEl.value, -1).slice(0, 7);
  let costOf: BuildingCost | null = null;

  async function loadBuildingCost(): Promise<void> {
    if (!token || !selected || !/^\d{4}-\d{2}$/.test(costMonthEl.value)) return;
    const b = selected;
    const month = costMonthEl.value;
    const res = await api<BuildingCost>(token, 'GET', `/api/v1/energy/buildings/${encodeURIComponent(b.buildingId)}/cost?month=${month}`);
    if (selected !== b || costMonthEl.value !== month) return;
    costMsg.textContent = res.ok ? '' : t('energy.failed', { reason: res.reason });
    costMsg.classList.toggle('error', !res.ok);
    costOf = res.ok ? res.data : null;
    renderCost();
  }
  function renderCost(): void {
    costCaption.textContent = costOf ? t('energy.costCaption', { month: costOf.month }) : '';
    costBody.replaceChildren();
    if (!costOf) return;
    costBody.parentElement!.dataset.month = costOf.month;
    renderBuildingCost(costBody, costOf);
    if (costOf.resources.length === 0) cell(costBody.insertRow(), t('energy.noCost')).colSpan = 4;
  }
  costMonthEl.addEventListener('change', () => void loadBuildingCost());

  intervalEl.addEventListener('change', () => void loadBuilding());
  resourceEl.addEventListener('change', () => void loadBuilding());

  // ── anomalies ───────────────────────────────────────────────────────────────────────────────
  const stateEl = must<HTMLSelectElement>('anomaly-state');
  const anomaliesBody = must<HTMLTableElement>('anomalies').tBodies[0]!;
  const anomaliesMsg = must('anomalies-msg');
  let anomalies: Anomaly[] = [];

  async function loadAnomalies(): Promise<void> {
    if (!token) return;
    const res = await api<Anomaly[]>(token, 'GET', `/api/v1/energy/anomalies${stateEl.value ? `?state=${stateEl.value}` : ''}`);
    if (!res.ok) {
      anomaliesMsg.textContent = t('energy.failed', { reason: res.reason });
      anomaliesMsg.classList.add('error');
      return;
    }
    anomaliesMsg.textContent = '';
    anomaliesMsg.classList.remove('error');
    anomalies = res.data;
    renderAnomalies();
  }

  async function patch(a: Anomaly, state: 'acknowledged' | 'resolved'): Promise<void> {
    if (!token) return;
    const res = await api<Anomaly>(token, 'PATCH', `/api/v1/energy/anomalies/${a.id}`, { state });
    if (!res.ok) {
      anomaliesMsg.textContent = t('energy.failed', { reason: res.reason });
      anomaliesMsg.classList.add('error');
      return;
    }
    anomalies = anomalies.map((x) => (x.id === a.id ? res.data : x));
    renderAnomalies();
    anomaliesBody.querySelector<HTMLElement>(`tr[data-id="${a.id}"] button`)?.focus();
  }

  function renderAnomalies(): void {
    anomaliesBody.replaceChildren();
    for (const a of anomalies) {
      const tr = anomaliesBody.insertRow();
      tr.dataset.id = String(a.id);
      tr.dataset.state = a.state;
      cell(tr, fmtDateTime(a.start));
      cell(tr, t(`energy.kind.${a.kind}` as MsgKey));
      cell(tr, a.buildingId ?? '—');
      cell(tr, a.meterId);
      cell(tr, Object.entries(a.evidence).map(([k, v]) => `${k}: ${typeof v === 'number' ? fmtNumber(v, 2) : v}`).join(', '));
      const stateText = t(`energy.state.${a.state}` as MsgKey);
      cell(tr, a.updatedBy && a.state !== 'new' ? t('energy.by', { state: stateText, who: a.updatedBy }) : stateText, `state-${a.state}`);
      const actions = tr.insertCell();
      if (a.state === 'new') {
        const ack = document.createElement('button');
        ack.type = 'button';
        ack.className = 'ack';
        ack.textContent = t('energy.acknowledge');
        ack.addEventListener('click', () => void patch(a, 'acknowledged'));
        actions.append(ack);
      }
      if (a.state !== 'resolved') {
        const res = document.createElement('button');
        res.type = 'button';
        res.className = 'resolve';
        res.textContent = t('energy.resolve');
        res.addEventListener('click', () => void patch(a, 'resolved'));
        actions.append(res);
      }
    }
    if (anomalies.length === 0) cell(anomaliesBody.insertRow(), t('energy.noAnomalies')).colSpan = 7;
  }
  stateEl.addEventListener('change', () => void loadAnomalies());

  // ── monthly report ──────────────────────────────────────────────────────────────────────────
  const monthEl = must<HTMLInputElement>('report-month');
  const reportMsg = must('report-msg');
  const lastMonth = addDays(`${today.slice(0, 7)}-01`, -1).slice(0, 7);
  monthEl.value = lastMonth;
  must('report-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!token) return;
    const month = monthEl.value;
    void (async () => {
      try {
        const res = await fetch(`/api/v1/energy/reports/monthly.csv?month=${encodeURIComponent(month)}`, { headers: { authorization: `Bearer ${token}` } });
        if (!res.ok) {
          let reason = `HTTP ${res.status}`;
          try {
            reason = ((await res.json()) as { message?: string }).message ?? reason;
          } catch {
            // not JSON
          }
          throw new Error(reason);
        }
        const url = URL.createObjectURL(await res.blob());
        const a = document.createElement('a');
        a.href = url;
        a.download = `energy-report-${month}.csv`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        reportMsg.classList.remove('error');
        reportMsg.textContent = t('energy.downloaded', { month });
      } catch (err) {
        reportMsg.classList.add('error');
        reportMsg.textContent = t('energy.failed', { reason: (err as Error).message });
      }
    })();
  });

  // ── building types and tariffs ──────────────────────────────────────────────────────────────
  const typesBody = must<HTMLTableElement>('types').tBodies[0]!;
  const typesMsg = must('types-msg');
  const typesPeriod = must('types-period');
  const tariffsBody = must<HTMLTableElement>('tariffs').tBodies[0]!;
  const tariffMsg = must('tariff-msg');
  const tf = {
    id: must<HTMLInputElement>('tariff-id'),
    resource: must<HTMLSelectElement>('tariff-resource'),
    unit: must<HTMLSelectElement>('tariff-unit'),
    price: must<HTMLInputElement>('tariff-price'),
    from: must<HTMLInputElement>('tariff-from'),
    to: must<HTMLInputElement>('tariff-to'),
    zoning: must<HTMLSelectElement>('tariff-zoning'),
  };
  const zoneBody = must<HTMLTableElement>('zone-rows').tBodies[0]!;
  const zoneTable = must<HTMLTableElement>('zone-rows');
  const zoneAdd = must<HTMLButtonElement>('zone-add');
  let zoneRows: ZoneRowValue[] = [];

  /** Reads the rows' inputs back into zoneRows (the inputs are the truth while editing). */
  function readZoneRows(): void {
    zoneRows = zoneRows.map((_, i) => ({
      zone: (document.getElementById(`zone-${i}-name`) as HTMLInputElement | null)?.value ?? '',
      hours: (document.getElementById(`zone-${i}-hours`) as HTMLInputElement | null)?.value ?? '',
      coefficient: (document.getElementById(`zone-${i}-coefficient`) as HTMLInputElement | null)?.value ?? '',
    }));
  }
  function renderZoneRows(): void {
    zoneBody.replaceChildren();
    const flat = tf.zoning.value === 'flat';
    zoneTable.hidden = flat;
    zoneAdd.hidden = flat;
    if (flat) return;
    zoneRows.forEach((r, i) => {
      const tr = zoneBody.insertRow();
      tr.dataset.zone = r.zone;
      const input = (field: 'name' | 'hours' | 'coefficient', value: string, label: MsgKey, type = 'text') => {
        const td = tr.insertCell();
        const el = document.createElement('input');
        el.id = `zone-${i}-${field}`;
        el.type = type;
        el.value = value;
        if (type === 'number') {
          el.min = '0';
          el.step = '0.01';
          td.className = 'num';
        }
        el.setAttribute('aria-label', t(label, { n: i + 1 }));
        el.setAttribute('aria-describedby', `zone-${i}-${field}-error`);
        el.addEventListener('input', () => {
          readZoneRows();
          if (field === 'coefficient') priceCell.textContent = zonePriceText(i);
          tf.zoning.value = zoningOf(zoneRows) === 'flat' ? 'own' : zoningOf(zoneRows);
        });
        const err = document.createElement('span');
        err.className = 'field-error';
        err.id = `zone-${i}-${field}-error`;
        td.append(el, err);
      };
      input('name', r.zone, 'energy.zoneNameOf');
      input('hours', r.hours, 'energy.zoneHoursOf');
      input('coefficient', r.coefficient, 'energy.zoneCoefficientOf', 'number');
      const priceCell = cell(tr, zonePriceText(i), 'num');
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'zone-remove';
      remove.textContent = '×';
      remove.setAttribute('aria-label', t('energy.zoneRemove', { n: i + 1 }));
      remove.addEventListener('click', () => {
        readZoneRows();
        zoneRows.splice(i, 1);
        tf.zoning.value = zoneRows.length === 0 ? 'flat' : zoningOf(zoneRows);
        renderZoneRows();
        (document.getElementById(`zone-${Math.min(i, zoneRows.length - 1)}-name`) ?? tf.zoning).focus();
      });
      tr.insertCell().append(remove);
    });
  }
  function zonePriceText(i: number): string {
    const k = Number(zoneRows[i]?.coefficient);
    const p = Number(tf.price.value);
    return zoneRows[i]?.coefficient && Number.isFinite(k) && Number.isFinite(p) && tf.price.value !== '' ? fmtNumber(k * p, 4) : '—';
  }
  tf.zoning.addEventListener('change', () => {
    readZoneRows();
    const z = tf.zoning.value;
    if (z === 'two-zone' || z === 'three-zone') zoneRows = presetRows(z);
    else if (z === 'flat') zoneRows = [];
    else if (zoneRows.length === 0) zoneRows = presetRows('two-zone');
    renderZoneRows();
  });
  tf.price.addEventListener('input', () => zoneRows.forEach((_, i) => {
    const td = zoneBody.rows[i]?.cells[3];
    if (td) td.textContent = zonePriceText(i);
  }));
  zoneAdd.addEventListener('click', () => {
    readZoneRows();
    zoneRows.push({ zone: '', hours: '', coefficient: '1' });
    tf.zoning.value = 'own';
    renderZoneRows();
    document.getElementById(`zone-${zoneRows.length - 1}-name`)?.focus();
  });
  renderZoneRows();

  /** Clears the messages under the fields. */
  const clearFieldErrors = () => document.querySelectorAll<HTMLElement>('#tariff-form .field-error').forEach((el) => (el.textContent = ''));
  /** Puts each issue under the field it names; the first such field gets the focus. */
  function showFieldErrors(issues: readonly { field: string; reason: string }[]): void {
    let first: HTMLElement | null = null;
    for (const issue of issues) {
      const slot = document.getElementById(errorSlotOf(issue.field));
      if (!slot) continue;
      slot.textContent = slot.textContent ? `${slot.textContent}; ${issue.reason}` : issue.reason;
      const input = document.querySelector<HTMLElement>(`[aria-describedby="${slot.id}"]`);
      first ??= input;
    }
    first?.focus();
  }
  let types: TypeBreakdownEntry[] = [];
  let tariffs: Tariff[] = [];
  const say = (el: HTMLElement, text: string, error = false) => {
    el.textContent = text;
    el.classList.toggle('error', error);
  };

  async function loadCosts(): Promise<void> {
    if (!token) return;
    const [ty, ta] = await Promise.all([
      api<TypeBreakdownEntry[]>(token, 'GET', `/api/v1/energy/types?from=${fromEl.value}&to=${toEl.value}`),
      api<Tariff[]>(token, 'GET', '/api/v1/energy/tariffs'),
    ]);
    if (ty.ok) types = ty.data;
    say(typesMsg, ty.ok ? '' : t('energy.failed', { reason: ty.reason }), !ty.ok);
    if (ta.ok) tariffs = ta.data;
    else say(tariffMsg, t('energy.failed', { reason: ta.reason }), true);
    renderCosts();
  }

  function renderCosts(): void {
    typesPeriod.textContent = t('energy.typesPeriod', { from: fromEl.value, to: toEl.value });
    typesBody.replaceChildren();
    for (const e of types) {
      const tr = typesBody.insertRow();
      tr.dataset.type = e.type;
      tr.dataset.resource = e.resource ?? '';
      cell(tr, t(`energy.type.${e.type}` as MsgKey));
      cell(tr, String(e.buildings), 'num');
      cell(tr, fmtNumber(e.areaM2), 'num');
      cell(tr, e.resource ? t(`energy.resource.${e.resource}` as MsgKey) : '—');
      cell(tr, e.value === null ? '—' : `${fmtNumber(e.value, 1)} ${t(`unit.${e.unit}` as MsgKey)}${e.estimated ? ' *' : ''}`, 'num').title = e.estimated ? t('energy.estimatedMark') : '';
      cell(tr, e.kWhPerM2 === null ? '—' : fmtNumber(e.kWhPerM2, 2), 'num');
      cell(tr, e.costUAH === null ? '—' : fmtNumber(e.costUAH, 2), 'num');
    }
    if (types.length === 0) cell(typesBody.insertRow(), t('energy.noData')).colSpan = 7;
    tariffsBody.replaceChildren();
    for (const x of tariffs) {
      const tr = tariffsBody.insertRow();
      tr.dataset.id = x.tariffId;
      cell(tr, x.tariffId).title = x.note ?? '';
      cell(tr, t(`energy.resource.${x.resource}` as MsgKey));
      const price = cell(tr, `${fmtNumber(x.priceUAH, 4)} / ${t(`unit.${x.unit}` as MsgKey)}`, 'num');
      if (x.zones) {
        const line = document.createElement('span');
        line.className = 'zones-line';
        line.textContent = zonesLine(x);
        price.append(line);
      }
      cell(tr, x.validFrom);
      cell(tr, x.validTo ?? t('energy.openEnded'));
      const actions = tr.insertCell();
      const edit = document.createElement('button');
      edit.type = 'button';
      edit.className = 'edit';
      edit.textContent = t('energy.edit');
      edit.addEventListener('click', () => {
        tf.id.value = x.tariffId;
        tf.resource.value = x.resource;
        tf.unit.value = x.unit;
        tf.price.value = String(x.priceUAH);
        tf.from.value = x.validFrom;
        tf.to.value = x.validTo ?? '';
        zoneRows = tariffRows(x);
        tf.zoning.value = zoningOf(zoneRows);
        renderZoneRows();
        clearFieldErrors();
        tf.price.focus();
      });
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'delete';
      del.textContent = t('energy.delete');
      del.addEventListener('click', () => {
        void (async () => {
          if (!token) return;
          const res = await fetch(`/api/v1/energy/tariffs/${encodeURIComponent(x.tariffId)}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).catch((err: Error) => err);
          if (res instanceof Error || !res.ok) return say(tariffMsg, t('energy.failed', { reason: res instanceof Error ? res.message : `HTTP ${res.status}` }), true);
          say(tariffMsg, t('energy.tariffDeleted', { id: x.tariffId }));
          await loadCosts();
          tf.id.focus();
        })();
      });
      actions.append(edit, del);
    }
    if (tariffs.length === 0) cell(tariffsBody.insertRow(), t('energy.noTariffs')).colSpan = 6;
  }

  must('tariff-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!token) return;
    const id = tf.id.value.trim();
    clearFieldErrors();
    readZoneRows();
    const local: { field: string; reason: string }[] = [];
    const zones = tf.zoning.value === 'flat' ? undefined : zoneRows.map((r, i) => {
      const hours = parseHours(r.hours);
      if (!hours) local.push({ field: `zones.${i}.hours`, reason: t('energy.zoneHoursBad') });
      if (!/^[a-z][a-z0-9-]{0,39}$/.test(r.zone.trim())) local.push({ field: `zones.${i}.zone`, reason: t('energy.zoneNameBad') });
      if (r.coefficient.trim() === '' || !(Number(r.coefficient) >= 0)) local.push({ field: `zones.${i}.coefficient`, reason: t('energy.zoneCoefficientBad') });
      return { zone: r.zone.trim(), hours: hours ?? [], coefficient: Number(r.coefficient) };
    });
    if (local.length) {
      say(tariffMsg, local.map((x) => x.reason).join('; '), true);
      return showFieldErrors(local);
    }
    const body = { resource: tf.resource.value, unit: tf.unit.value, priceUAH: Number(tf.price.value), validFrom: tf.from.value, ...(tf.to.value ? { validTo: tf.to.value } : {}), ...(zones ? { zones } : {}) };
    void (async () => {
      const res = await api<Tariff>(token, 'PUT', `/api/v1/energy/tariffs/${encodeURIComponent(id)}`, body);
      if (!res.ok) {
        say(tariffMsg, t('energy.failed', { reason: res.reason }), true);
        return showFieldErrors(res.issues ?? []);
      }
      say(tariffMsg, t('energy.tariffSaved', { id }));
      void loadBuildingCost();
      await loadCosts();
      void loadRanking();
    })();
  });

  onLangChange(() => {
    renderRanking();
    renderAnomalies();
    renderCosts();
    renderCost();
    readZoneRows();
    renderZoneRows();
    heading.textContent = selected ? t('energy.buildingHeading', { name: selected.name }) : t('energy.pickBuilding');
    if (selected) void loadBuilding();
  });
  heading.textContent = t('energy.pickBuilding');
  if (location.hash === '#buildings' || location.hash === '#anomalies' || location.hash === '#costs') select(location.hash.slice(1) as Tab);
}
