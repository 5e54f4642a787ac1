/** Dispatcher view: every vehicle live on a schematic map and in a table. */
import type { VehicleState } from '../../services/contracts/transit.ts';
import { namespaces } from '../../services/contracts/socket-events.ts';
import { routeColor, STALE_COLOR } from '../shared/colors.ts';
import { fmtAgo, fmtDateTime, fmtNumber } from '../shared/format.ts';
import { onLangChange, t } from '../shared/i18n.ts';
import { LiveStore } from '../shared/live.ts';
import { SchematicMap, type MapPoint } from '../shared/map.ts';
import { bindLiveStatus, bindToggle, fillSelect, initPage, must, setDemo, startRedrawLoop } from '../shared/page.ts';
import { LiveTable } from '../shared/table.ts';

const ALL = '';
const NO_ROUTE = '\u0000none';

const { token } = initPage();
const store = new LiveStore<VehicleState>({
  namespace: namespaces.transit,
  restPath: '/api/v1/transit/vehicles',
  batchEvent: 'vehicles',
  idOf: (v) => v.vehicleId,
  token,
});
bindLiveStatus(store, 'dispatcher');

const routeFilter = must<HTMLSelectElement>('route-filter');
const search = must<HTMLInputElement>('search');
const countLive = must('count-live');
const countStale = must('count-stale');
const countShown = must('count-shown');
const canvas = must<HTMLCanvasElement>('map');

let refit = true;
const onlyStale = bindToggle(must<HTMLButtonElement>('only-stale'), () => {
  refit = true;
  kick();
});

const map = new SchematicMap(canvas, (id) => {
  table.select(id);
  map.setSelected(id);
});

const table = new LiveTable<VehicleState>({
  table: must<HTMLTableElement>('vehicles'),
  idOf: (v) => v.vehicleId,
  rowClass: (v) => (v.stale ? 'stale' : ''),
  onSelect: (id) => map.setSelected(id),
  defaultSort: { column: 'route' },
  columns: [
    {
      id: 'route',
      header: 'transit.route',
      cell: (v) => ({ text: v.routeId ?? t('transit.noRoute'), swatch: v.stale ? STALE_COLOR : routeColor(v.routeId) }),
      sort: (v) => v.routeId ?? '\uffff',
    },
    { id: 'vehicle', header: 'transit.vehicle', cell: (v) => ({ text: v.vehicleId, title: v.deviceId }), sort: (v) => v.vehicleId },
    {
      id: 'speed',
      header: 'transit.speed',
      numeric: true,
      cell: (v) => ({ text: v.speedKmh === null ? t('common.none') : `${fmtNumber(v.speedKmh, 0)} ${t('transit.speedUnit')}` }),
      sort: (v) => v.speedKmh ?? -1,
    },
    {
      id: 'updated',
      header: 'transit.lastUpdate',
      cell: (v, now) => ({ text: fmtAgo(v.ts, now), title: fmtDateTime(v.ts) }),
      sort: (v) => -Date.parse(v.ts),
    },
    {
      id: 'state',
      header: 'transit.state',
      cell: (v) => (v.stale ? { text: `⚠ ${t('common.stale')}`, className: 'state' } : { text: t('common.live'), className: 'state live' }),
      sort: (v) => (v.stale ? 1 : 0),
    },
  ],
});

must<HTMLButtonElement>('map-fit').addEventListener('click', () => map.fit());
routeFilter.addEventListener('change', () => {
  refit = true;
  kick();
});
search.addEventListener('input', () => kick());
must('vehicles').addEventListener('sortchange', () => kick());
onLangChange(() => {
  table.renderHead();
  map.invalidate();
  kick();
});

function routeOptions(): void {
  const routes = new Set<string>();
  let noRoute = false;
  for (const v of store.items.values()) {
    if (v.routeId === null || v.routeId === '') noRoute = true;
    else routes.add(v.routeId);
  }
  const sorted = [...routes].sort((a, b) => a.localeCompare(b, 'uk', { numeric: true }));
  fillSelect(routeFilter, [
    { value: ALL, label: t('transit.allRoutes') },
    ...sorted.map((r) => ({ value: r, label: r })),
    ...(noRoute ? [{ value: NO_ROUTE, label: t('transit.noRoute') }] : []),
  ]);
}

function visible(): VehicleState[] {
  const route = routeFilter.value;
  const q = search.value.trim().toLowerCase();
  const staleOnly = onlyStale();
  const out: VehicleState[] = [];
  for (const v of store.items.values()) {
    if (route === NO_ROUTE ? v.routeId !== null && v.routeId !== '' : route !== ALL && v.routeId !== route) continue;
    if (staleOnly && !v.stale) continue;
    if (q && !`${v.vehicleId} ${v.deviceId} ${v.routeId ?? ''}`.toLowerCase().includes(q)) continue;
    out.push(v);
  }
  return out;
}

let forceDraw = true;
function kick(): void {
  forceDraw = true;
}

startRedrawLoop((now) => {
  const changed = store.flush();
  if (changed || forceDraw) routeOptions();
  forceDraw = false;
  setDemo(store.isDemo);

  let live = 0;
  let stale = 0;
  for (const v of store.items.values()) {
    if (v.stale) stale++;
    else live++;
  }
  const shown = visible();
  countLive.textContent = t('transit.countLive', { n: live });
  countStale.textContent = t('transit.countStale', { n: stale });
  countShown.textContent = t('transit.countShown', { n: shown.length, total: store.items.size });

  table.render(shown, now, store.items.size === 0 ? 'table.empty' : 'table.emptyFiltered');

  const points: MapPoint[] = shown.map((v) =>
    v.stale
      ? { id: v.vehicleId, lat: v.lat, lon: v.lon, fill: STALE_COLOR, muted: true, label: `${v.vehicleId} · ${fmtAgo(v.ts, now)}`, labelColor: STALE_COLOR }
      : { id: v.vehicleId, lat: v.lat, lon: v.lon, fill: routeColor(v.routeId), label: v.routeId ?? v.vehicleId, headingDeg: v.courseDeg },
  );
  map.setPoints(points);
  if (refit && points.length > 0) {
    map.fit();
    refit = false;
  }
  canvas.setAttribute('aria-label', t('transit.mapLabel', { n: points.length }));
  map.draw();
});

store.start();
