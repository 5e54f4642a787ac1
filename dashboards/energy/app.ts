/** Energy manager view: meters of public buildings and a live chart of total electric power. */
import uPlot from 'uplot';
import type { EnergyUnit, MeterState } from '../../services/contracts/energy.ts';
import { namespaces } from '../../services/contracts/socket-events.ts';
import { fmtAgo, fmtClock, fmtDateTime, fmtNumber, fmtPower, fmtTime } from '../shared/format.ts';
import { onLangChange, t, type MsgKey } from '../shared/i18n.ts';
import { LiveStore } from '../shared/live.ts';
import { bindLiveStatus, fillSelect, initPage, must, setDemo, startRedrawLoop } from '../shared/page.ts';
import { LiveTable } from '../shared/table.ts';
import { initAnalysis } from './analysis.ts';

const ALL = '';
const NO_BUILDING = '\u0000none';
/** The chart shows this much history, sampled every SAMPLE_MS. */
const WINDOW_MIN = 15;
const SAMPLE_MS = 5_000;
const UNIT_KEYS: Record<EnergyUnit, MsgKey> = { kWh: 'unit.kWh', m3: 'unit.m3', Gcal: 'unit.Gcal', GJ: 'unit.GJ' };

const { token } = initPage();
const store = new LiveStore<MeterState>({
  namespace: namespaces.energy,
  restPath: '/api/v1/energy/meters',
  batchEvent: 'meters',
  idOf: (m) => m.meterId,
  token,
});
bindLiveStatus(store, 'energy');

const buildingFilter = must<HTMLSelectElement>('building-filter');
const search = must<HTMLInputElement>('search');
const totalPowerEl = must('total-power');
const totalHeatEl = must('total-heat');
const countMeters = must('count-meters');
const countStale = must('count-stale');
const chartBox = must('chart');
const chartHeading = must('chart-heading');
const chartNow = must('chart-now');

let forceDraw = true;
const kick = (): void => {
  forceDraw = true;
};

const unitText = (u: EnergyUnit): string => t(UNIT_KEYS[u] ?? 'common.none');
const meterName = (m: MeterState): string => m.name ?? m.meterId;
const building = (m: MeterState): string => m.buildingId ?? t('energy.noBuilding');

const table = new LiveTable<MeterState>({
  table: must<HTMLTableElement>('meters'),
  idOf: (m) => m.meterId,
  rowClass: (m) => (m.stale ? 'stale' : ''),
  defaultSort: { column: 'building' },
  columns: [
    { id: 'building', header: 'energy.building', cell: (m) => ({ text: building(m) }), sort: (m) => m.buildingId ?? '\uffff' },
    { id: 'meter', header: 'energy.meter', cell: (m) => ({ text: meterName(m), title: m.meterId }), sort: meterName },
    { id: 'power', header: 'energy.power', numeric: true, cell: (m) => ({ text: fmtPower(m.powerW) }), sort: (m) => m.powerW ?? -1 },
    {
      id: 'register',
      header: 'energy.register',
      numeric: true,
      cell: (m) => ({ text: `${fmtNumber(m.value, 3)} ${unitText(m.unit)}` }),
      sort: (m) => m.value,
    },
    {
      id: 'reading',
      header: 'energy.lastReading',
      cell: (m, now) => ({
        text: `${fmtTime(m.ts, now)} · ${fmtAgo(m.ts, now)}${m.stale ? ` · ${t('common.stale')}` : ''}`,
        title: fmtDateTime(m.ts),
        className: 'state',
      }),
      sort: (m) => -Date.parse(m.ts),
    },
  ],
});

buildingFilter.addEventListener('change', kick);
search.addEventListener('input', kick);
must('meters').addEventListener('sortchange', kick);

// ── chart ────────────────────────────────────────────────────────────────────
const xs: number[] = [];
const ys: (number | null)[] = [];
let windowEnd = Date.now() / 1000;

function chartOpts(width: number): uPlot.Options {
  const axis = { stroke: '#c9d4de', grid: { stroke: '#263544', width: 1 }, ticks: { stroke: '#354a5e', width: 1 }, font: '13px system-ui, sans-serif' };
  return {
    width,
    height: 170,
    legend: { show: false },
    cursor: { show: false },
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Europe/Kyiv'),
    scales: {
      x: { time: true, range: () => [windowEnd - WINDOW_MIN * 60, windowEnd] },
      y: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 1) * 1.15)] },
    },
    axes: [
      { ...axis, values: (_u, splits) => splits.map((s) => fmtClock(s * 1000)) },
      { ...axis, size: 90, values: (_u, splits) => splits.map((v) => `${fmtNumber(v, 1)} ${t('unit.kW')}`) },
    ],
    series: [
      {},
      { label: t('energy.chartSeries'), stroke: '#7cc4ff', width: 2, fill: 'rgba(124,196,255,0.15)', points: { size: 6 } },
    ],
  };
}

let chart: uPlot | null = null;
function ensureChart(): uPlot {
  const width = Math.max(200, Math.floor(chartBox.clientWidth) - 16);
  if (!chart) chart = new uPlot(chartOpts(width), [xs, ys], chartBox);
  return chart;
}
new ResizeObserver(() => {
  if (chart) chart.setSize({ width: Math.max(200, Math.floor(chartBox.clientWidth) - 16), height: 170 });
}).observe(chartBox);

function electricPowerW(): number | null {
  let sum = 0;
  let any = false;
  for (const m of store.items.values()) {
    if (m.unit === 'kWh' && !m.stale && m.powerW !== null) {
      sum += m.powerW;
      any = true;
    }
  }
  return any ? sum : null;
}

let lastSample = 0;
function sample(now: number): void {
  if (now - lastSample < SAMPLE_MS) return;
  lastSample = now;
  const w = electricPowerW();
  xs.push(now / 1000);
  ys.push(w === null ? null : w / 1000);
  const cutoff = now / 1000 - WINDOW_MIN * 60 - 60;
  while (xs.length > 0 && (xs[0] ?? 0) < cutoff) {
    xs.shift();
    ys.shift();
  }
  windowEnd = now / 1000;
  ensureChart().setData([xs, ys]);
}

function renderChartText(): void {
  chartHeading.textContent = t('energy.chartHeading', { min: WINDOW_MIN });
  const value = fmtPower(electricPowerW());
  chartNow.textContent = value;
  chartBox.setAttribute('aria-label', t('energy.chartLabel', { value }));
}

onLangChange(() => {
  table.renderHead();
  kick();
  chart?.redraw(false, true);
});

function buildingOptions(): void {
  const set = new Set<string>();
  let none = false;
  for (const m of store.items.values()) {
    if (m.buildingId === null || m.buildingId === '') none = true;
    else set.add(m.buildingId);
  }
  fillSelect(buildingFilter, [
    { value: ALL, label: t('energy.allBuildings') },
    ...[...set].sort((a, b) => a.localeCompare(b, 'uk', { numeric: true })).map((b) => ({ value: b, label: b })),
    ...(none ? [{ value: NO_BUILDING, label: t('energy.noBuilding') }] : []),
  ]);
}

function visible(): MeterState[] {
  const b = buildingFilter.value;
  const q = search.value.trim().toLowerCase();
  const out: MeterState[] = [];
  for (const m of store.items.values()) {
    if (b === NO_BUILDING ? m.buildingId !== null && m.buildingId !== '' : b !== ALL && m.buildingId !== b) continue;
    if (q && !`${m.meterId} ${m.name ?? ''} ${m.buildingId ?? ''}`.toLowerCase().includes(q)) continue;
    out.push(m);
  }
  return out;
}

startRedrawLoop((now) => {
  const changed = store.flush();
  if (changed || forceDraw) buildingOptions();
  forceDraw = false;
  setDemo(store.isDemo);

  let heat = 0;
  let anyHeat = false;
  let stale = 0;
  for (const m of store.items.values()) {
    if (m.stale) stale++;
    else if (m.unit !== 'kWh' && m.powerW !== null) {
      heat += m.powerW;
      anyHeat = true;
    }
  }
  const electric = electricPowerW();
  totalPowerEl.textContent = t('energy.totalPower', { value: fmtPower(electric) });
  totalHeatEl.textContent = anyHeat ? t('energy.totalHeat', { value: fmtPower(heat) }) : '';
  countMeters.textContent = t('energy.countMeters', { n: store.items.size });
  countStale.textContent = t('energy.countStale', { n: stale });

  table.render(visible(), now, store.items.size === 0 ? 'table.empty' : 'table.emptyFiltered');
  if (store.items.size > 0 || xs.length > 0) sample(now);
  else ensureChart();
  renderChartText();
});

store.start();
initAnalysis(token);
