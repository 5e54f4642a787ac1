/**
 * Dispatcher view: the routes and stops of the hub's GTFS feed drawn as a map (no tile server
 * needed; a street map underneath when MAP_TILE_URL is set), every vehicle live on it in its
 * route's colour, and in a table. Filter by route from the list or the legend.
 */
import type { OpsAlert, TransitMapConfig, TransitRoute, VehicleState, VehicleTrip } from '../../services/contracts/transit.ts';
import { apiGet } from '../shared/auth.ts';
import { namespaces } from '../../services/contracts/socket-events.ts';
import { routeColor, STALE_COLOR } from '../shared/colors.ts';
import { fmtAgo, fmtClock, fmtDateTime, fmtNumber } from '../shared/format.ts';
import { getLang, onLangChange, t } from '../shared/i18n.ts';
import { LiveStore } from '../shared/live.ts';
import { SchematicMap, type MapLine, type MapPoint, type MapStop } from '../shared/map.ts';
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
  void showVehicle(id);
});

const table = new LiveTable<VehicleState>({
  table: must<HTMLTableElement>('vehicles'),
  idOf: (v) => v.vehicleId,
  rowClass: (v) => (v.stale ? 'stale' : ''),
  onSelect: (id) => {
    map.setSelected(id);
    void showVehicle(id);
  },
  defaultSort: { column: 'route' },
  columns: [
    {
      id: 'route',
      header: 'transit.route',
      cell: (v) => ({ text: v.routeId ?? t('transit.noRoute'), swatch: v.stale ? STALE_COLOR : colorOf(v.routeId) }),
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

// The network from the feed: fetched once; an upload shows after a reload of the page.
let network: TransitRoute[] = [];
const legend = must<HTMLUListElement>('route-legend');
const noFeed = must('no-feed');
const colorOf = (routeId: string | null): string => network.find((r) => r.routeId === routeId)?.color ?? routeColor(routeId);

async function loadNetwork(): Promise<void> {
  if (!token) return;
  const [routes, cfg] = await Promise.all([apiGet<TransitRoute[]>('/api/v1/transit/routes', token), apiGet<TransitMapConfig>('/api/v1/transit/map', token)]);
  if (cfg.status === 'ok') map.setTiles(cfg.data.tileUrl);
  if (routes.status !== 'ok') return;
  network = [...routes.data].sort((a, b) => a.routeId.localeCompare(b.routeId, 'uk', { numeric: true }));
  noFeed.hidden = network.length > 0;
  renderLegend();
  refit = true;
  kick();
}

function renderLegend(): void {
  legend.replaceChildren(
    ...network.map((r) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.route = r.routeId;
      b.setAttribute('aria-pressed', String(routeFilter.value === r.routeId));
      b.title = r.longNames?.[getLang()] ?? r.longName;
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = colorOf(r.routeId);
      b.append(sw, r.routeId);
      b.addEventListener('click', () => {
        routeFilter.value = routeFilter.value === r.routeId ? ALL : r.routeId;
        routeFilter.dispatchEvent(new Event('change'));
      });
      li.append(b);
      return li;
    }),
  );
}

function drawNetwork(): void {
  const route = routeFilter.value;
  const focus = (id: string) => route === ALL || route === NO_ROUTE || route === id;
  const lines: MapLine[] = [];
  const stops = new Map<string, MapStop>();
  for (const r of network) {
    const on = focus(r.routeId);
    for (const d of r.directions) lines.push({ id: `${r.routeId}:${d.directionId ?? ''}`, points: d.shape, color: colorOf(r.routeId), width: on && route !== ALL ? 5 : 3, dim: !on });
    for (const st of r.stops) {
      const known = stops.get(st.stopId);
      if (known && !known.dim) continue;
      stops.set(st.stopId, { id: st.stopId, lat: st.lat, lon: st.lon, name: st.names?.[getLang()] ?? st.name, color: colorOf(r.routeId), dim: !on, showName: on && route !== ALL });
    }
  }
  map.setLines(lines);
  map.setStops([...stops.values()]);
  for (const b of legend.querySelectorAll<HTMLButtonElement>('button[data-route]')) b.setAttribute('aria-pressed', String(route === b.dataset.route));
}

must<HTMLButtonElement>('map-fit').addEventListener('click', () => map.fit());
routeFilter.addEventListener('change', () => {
  refit = true;
  kick();
});
search.addEventListener('input', () => kick());
must('vehicles').addEventListener('sortchange', () => kick());
onLangChange(() => {
  renderLegend();
  table.renderHead();
  map.invalidate();
  kick();
});

function routeOptions(): void {
  const routes = new Set<string>(network.map((r) => r.routeId));
  let noRoute = false;
  for (const v of store.items.values()) {
    if (v.routeId === null || v.routeId === '') noRoute = true;
    else routes.add(v.routeId);
  }
  const sorted = [...routes].sort((a, b) => a.localeCompare(b, 'uk', { numeric: true }));
  fillSelect(routeFilter, [
    { value: ALL, label: t('transit.allRoutes') },
    ...sorted.map((r) => {
      const feed = network.find((n) => n.routeId === r);
      const long = feed?.longNames?.[getLang()] ?? feed?.longName;
      return { value: r, label: long ? `${r} — ${long}` : r };
    }),
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
let forceNetwork = true;
function kick(): void {
  forceDraw = true;
  forceNetwork = true;
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

  // One route shown: label vehicles by their own id; all routes: by route (the colour says which).
  const oneRoute = routeFilter.value !== ALL;
  const points: MapPoint[] = shown.map((v) =>
    v.stale
      ? { id: v.vehicleId, lat: v.lat, lon: v.lon, fill: STALE_COLOR, muted: true, label: `${v.vehicleId} · ${fmtAgo(v.ts, now)}`, labelColor: STALE_COLOR }
      : { id: v.vehicleId, lat: v.lat, lon: v.lon, fill: colorOf(v.routeId), label: oneRoute ? v.vehicleId : (v.routeId ?? v.vehicleId), headingDeg: v.courseDeg },
  );
  if (changed || refit || forceNetwork) drawNetwork();
  forceNetwork = false;
  map.setPoints(points);
  if (refit && (points.length > 0 || network.length > 0)) {
    map.fit();
    refit = false;
  }
  const stopCount = new Set(network.flatMap((r) => r.stops.map((st) => st.stopId))).size;
  canvas.setAttribute('aria-label', network.length ? t('transit.mapNetworkLabel', { routes: network.length, stops: stopCount, n: points.length }) : t('transit.mapLabel', { n: points.length }));
  map.draw();
});

// The selected vehicle's trip and next stops with ETAs (GET …/vehicles/:id/trip), refreshed every 5 s.
let selectedVehicle: string | null = null;
let lastTrip: VehicleTrip | null = null;
async function showVehicle(id: string | null): Promise<void> {
  selectedVehicle = id;
  if (!id || !token) {
    lastTrip = null;
    renderVehicle();
    return;
  }
  const res = await apiGet<VehicleTrip>(`/api/v1/transit/vehicles/${encodeURIComponent(id)}/trip`, token);
  if (selectedVehicle !== id) return;
  lastTrip = res.status === 'ok' ? res.data : null;
  renderVehicle();
}

function renderVehicle(): void {
  const trip = lastTrip;
  must('vehicle-none').hidden = selectedVehicle !== null;
  must('vehicle-info').hidden = selectedVehicle === null;
  if (!selectedVehicle) return;
  must('vehicle-id').textContent = selectedVehicle;
  must('vehicle-trip').textContent = trip?.tripId ?? t('transit.noTrip');
  const d = trip?.delayS ?? null;
  const delay = d === null ? t('common.none') : Math.abs(d) < 60 ? t('transit.onTime') : d > 0 ? t('transit.late', { n: Math.round(d / 60) }) : t('transit.early', { n: Math.round(-d / 60) });
  must('vehicle-delay').textContent = trip?.offRoute ? `${delay} · ⚠ ${t('transit.offRoute')}` : delay;
  const list = must<HTMLOListElement>('next-stops');
  const stops = trip?.nextStops.slice(0, 8) ?? [];
  if (!stops.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = t('transit.nextStopsNone');
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(
    ...stops.map((st) => {
      const li = document.createElement('li');
      li.dataset.stop = st.stopId;
      li.textContent = `${fmtClock(Date.parse(st.arrivalTime))} — ${st.name}`;
      li.title = t('transit.scheduled', { time: fmtClock(Date.parse(st.scheduledArrivalTime)) });
      return li;
    }),
  );
}

// Operations alerts (open and acknowledged), refreshed every 5 s; a dispatcher acknowledges one.
let alerts: OpsAlert[] = [];
async function loadAlerts(): Promise<void> {
  if (!token) return;
  const res = await apiGet<OpsAlert[]>('/api/v1/transit/ops-alerts', token);
  if (res.status !== 'ok') return;
  alerts = res.data;
  renderAlerts();
}

async function acknowledge(id: number): Promise<void> {
  if (!token) return;
  const err = must('ops-error');
  const res = await fetch(`/api/v1/transit/ops-alerts/${id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  err.hidden = res.ok;
  if (!res.ok) err.textContent = t('transit.ackFailed', { status: res.status });
  await loadAlerts();
  must('ops-alerts').querySelector<HTMLElement>(`li[data-id="${id}"]`)?.focus();
}

function renderAlerts(): void {
  must('ops-none').hidden = alerts.length > 0;
  must('ops-alerts').replaceChildren(
    ...alerts.slice(0, 100).map((a) => {
      const li = document.createElement('li');
      li.dataset.id = String(a.id);
      li.dataset.state = a.state;
      li.dataset.kind = a.kind;
      li.tabIndex = -1;
      const text = document.createElement('span');
      const who = a.vehicleId ?? a.tripId ?? '';
      // The kind in the page's language; the hub's own wording (English) as the tooltip.
      text.textContent = `${fmtClock(Date.parse(a.raisedAt))} ${t(`transit.kind.${a.kind}`)} · ${a.routeId ?? ''} ${who}`;
      text.title = a.message;
      li.append(text);
      if (a.state === 'open') {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = t('transit.ack');
        b.setAttribute('aria-label', `${t('transit.ack')}: ${t(`transit.kind.${a.kind}`)} ${who}`);
        b.addEventListener('click', () => void acknowledge(a.id));
        li.append(b);
      } else {
        const s = document.createElement('span');
        s.className = 'muted';
        s.textContent = t('transit.acked', { who: a.acknowledgedBy ?? '' });
        li.append(s);
      }
      return li;
    }),
  );
}

onLangChange(() => {
  renderVehicle();
  renderAlerts();
});
setInterval(() => {
  void loadAlerts();
  if (selectedVehicle) void showVehicle(selectedVehicle);
}, 5_000);

store.start();
void loadNetwork();
void loadAlerts();
