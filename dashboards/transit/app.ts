/**
 * Dispatcher view: the routes and stops of the hub's GTFS feed drawn as a map (no tile server
 * needed; a street map underneath when MAP_TILE_URL is set), every vehicle live on it in its
 * route's colour, and in a table. Filter by route from the list or the legend. Under the map a
 * headway strip per route and direction; beside it the vehicle panel, a vehicle's day played
 * back with a time slider, the service-alert editor and the operations alerts (by push).
 */
import { io } from 'socket.io-client';
import type { OpsAlert, PlaybackDay, RouteHeadways, ServiceAlert, ServiceAlertBody, TransitMapConfig, TransitRoute, VehicleState, VehicleTrip } from '../../services/contracts/transit.ts';
import { apiGet } from '../shared/auth.ts';
import { DISPATCH_ALERTS_ROOM, namespaces } from '../../services/contracts/socket-events.ts';
import { ALERT_FIELDS, isoToLocal, issuesByField, localDate, localToIso } from './alert-form.ts';
import { RATING_COLORS, layoutStrip, lineLengthM } from './headway-strip.ts';
import { routeColor, STALE_COLOR } from '../shared/colors.ts';
import { fmtAgo, fmtClock, fmtDateTime, fmtNumber } from '../shared/format.ts';
import { getLang, onLangChange, t } from '../shared/i18n.ts';
import { LiveStore } from '../shared/live.ts';
import { SchematicMap, type MapLine, type MapPoint, type MapStop } from '../shared/map.ts';
import { bindLiveStatus, bindToggle, fillSelect, initPage, must, setDemo, startRedrawLoop } from '../shared/page.ts';
import { LiveTable } from '../shared/table.ts';

const ALL = '';
const CITY_TZ = 'Europe/Kyiv';
const PLAYBACK_ID = '\u0000playback';
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
  if (id === PLAYBACK_ID) return;
  selectVehicle(id);
});

function selectVehicle(id: string | null): void {
  table.select(id);
  map.setSelected(id);
  void showVehicle(id);
}

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
  const track = playbackTrack();
  if (track) lines.push(track);
  map.setLines(lines);
  map.setStops([...stops.values()]);
  for (const b of legend.querySelectorAll<HTMLButtonElement>('button[data-route]')) b.setAttribute('aria-pressed', String(route === b.dataset.route));
}

must<HTMLButtonElement>('map-fit').addEventListener('click', () => map.fit());
routeFilter.addEventListener('change', () => {
  refit = true;
  kick();
  renderStrips();
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
  if (changed || forceDraw) {
    routeOptions();
    playbackVehicleOptions();
  }
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
  const marker = playbackMarker();
  if (marker) points.push(marker);
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
  // A newly picked vehicle becomes the playback's choice too (not on the 5 s refresh: the dispatcher may have chosen another).
  if (id && id !== selectedVehicle && [...playbackVehicle.options].some((o) => o.value === id)) playbackVehicle.value = id;
  selectedVehicle = id;
  renderStrips();
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
  const delay = delayText(trip?.delayS ?? null);
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

// Operations alerts (open and acknowledged): loaded once, then by push (below); a dispatcher acknowledges one.
let alerts: OpsAlert[] = [];
async function loadAlerts(): Promise<void> {
  if (!token) return;
  const res = await apiGet<OpsAlert[]>('/api/v1/transit/ops-alerts', token);
  if (res.status !== 'ok') return;
  alerts = res.data;
  renderAlerts();
}

/** Folds pushed changes into the list: a cleared alert leaves it. */
function mergeAlerts(changed: OpsAlert[]): void {
  const byId = new Map(alerts.map((a) => [a.id, a]));
  for (const a of changed) {
    if (a.state === 'cleared') byId.delete(a.id);
    else byId.set(a.id, a);
  }
  alerts = [...byId.values()].sort((a, b) => b.raisedAt.localeCompare(a.raisedAt) || b.id - a.id);
  renderAlerts();
}

async function acknowledge(id: number): Promise<void> {
  if (!token) return;
  const err = must('ops-error');
  const res = await fetch(`/api/v1/transit/ops-alerts/${id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  err.hidden = res.ok;
  if (!res.ok) err.textContent = t('transit.ackFailed', { status: res.status });
  else mergeAlerts([(await res.json()) as OpsAlert]);
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

// ---- Headway strip per route and direction (GET /api/v1/transit/headways, every 5 s) ----
let headways: RouteHeadways[] = [];
const strips = must('strips');

async function loadHeadways(): Promise<void> {
  if (!token) return;
  const res = await apiGet<RouteHeadways[]>('/api/v1/transit/headways', token);
  if (res.status !== 'ok') return;
  headways = res.data;
  renderStrips();
}

function delayText(d: number | null | undefined): string {
  if (d === null || d === undefined) return t('common.none');
  return Math.abs(d) < 60 ? t('transit.onTime') : d > 0 ? t('transit.late', { n: Math.round(d / 60) }) : t('transit.early', { n: Math.round(-d / 60) });
}

function renderStripLegend(): void {
  must('strip-legend').replaceChildren(
    ...(['very-bunched', 'bunched', 'ok', 'gapped', 'very-gapped', 'none'] as const).map((r) => {
      const li = document.createElement('li');
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = RATING_COLORS[r];
      li.append(sw, t(`transit.rating.${r}`));
      return li;
    }),
  );
}

let stripsDrawn = '';
function renderStrips(): void {
  const route = routeFilter.value;
  const groups = headways.filter((g) => route === ALL || route === g.routeId);
  // Redrawn only when something it shows changed: no flicker, and the focus stays put.
  const drawn = JSON.stringify([groups, getLang(), selectedVehicle, network.length]);
  if (drawn === stripsDrawn) return;
  stripsDrawn = drawn;
  must('headways-none').hidden = groups.length > 0;
  // Keep the keyboard focus on the vehicle it was on across a refresh.
  const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('.strip-veh')?.dataset.vehicle;
  strips.replaceChildren(
    ...groups.map((g) => {
      const dir = network.find((r) => r.routeId === g.routeId)?.directions.find((d) => (d.directionId ?? 0) === g.directionId);
      const layout = layoutStrip(g, dir ? lineLengthM(dir.shape) : null);
      const row = document.createElement('div');
      row.className = 'strip';
      row.dataset.route = g.routeId;
      row.dataset.direction = String(g.directionId);
      const name = document.createElement('span');
      name.className = 'strip-name';
      const dest = dir?.headsign ?? String(g.directionId);
      name.textContent = `${g.routeId} → ${dest}`;
      name.title = name.textContent;
      const line = document.createElement('div');
      line.className = 'strip-line';
      line.setAttribute('role', 'group');
      line.setAttribute('aria-label', t('transit.headwaysLabel', { route: g.routeId, dest, n: layout.marks.length }));
      for (const gap of layout.gaps) {
        const el = document.createElement('span');
        el.className = 'strip-gap';
        el.dataset.follower = gap.followerId;
        el.dataset.rating = gap.rating ?? 'none';
        el.style.left = `${gap.from * 100}%`;
        el.style.width = `${Math.max(0.5, (gap.to - gap.from) * 100)}%`;
        el.style.background = RATING_COLORS[gap.rating ?? 'none'];
        el.title = `${t('transit.headwayGap', { follower: gap.followerId, leader: gap.leaderId, rating: t(`transit.rating.${gap.rating ?? 'none'}`) })}${gap.ratio === null ? '' : ` (×${fmtNumber(gap.ratio, 2)})`}`;
        line.append(el);
      }
      for (const m of layout.marks) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'strip-veh';
        b.dataset.vehicle = m.vehicleId;
        b.style.left = `${m.x * 100}%`;
        b.style.background = colorOf(g.routeId);
        b.setAttribute('aria-pressed', String(selectedVehicle === m.vehicleId));
        const gap = layout.gaps.find((x) => x.followerId === m.vehicleId);
        const label = t('transit.headwayVehicle', { vehicle: m.vehicleId, trip: m.tripId, delay: delayText(m.delayS) });
        b.title = gap ? `${label}; ${t(`transit.rating.${gap.rating ?? 'none'}`)}` : label;
        b.setAttribute('aria-label', b.title);
        b.addEventListener('click', () => selectVehicle(m.vehicleId));
        line.append(b);
      }
      row.append(name, line);
      return row;
    }),
  );
  if (focused) strips.querySelector<HTMLElement>(`.strip-veh[data-vehicle="${CSS.escape(focused)}"]`)?.focus();
}

// ---- A vehicle's day played back (GET /api/v1/transit/vehicles/:id/day) ----
const playbackVehicle = must<HTMLSelectElement>('playback-vehicle');
const playbackDate = must<HTMLInputElement>('playback-date');
const playbackSlider = must<HTMLInputElement>('playback-slider');
const playbackStatus = must('playback-status');
let playback: PlaybackDay | null = null;
playbackDate.value = localDate(Date.now(), CITY_TZ);

function playbackVehicleOptions(): void {
  const ids = [...store.items.keys()].sort((a, b) => a.localeCompare(b, 'uk', { numeric: true }));
  const current = playbackVehicle.value || selectedVehicle || '';
  if (ids.length === playbackVehicle.options.length && ids.every((id, i) => playbackVehicle.options[i]!.value === id)) return;
  fillSelect(playbackVehicle, ids.map((id) => ({ value: id, label: id })));
  if (ids.includes(current)) playbackVehicle.value = current;
}

async function loadPlayback(): Promise<void> {
  const id = playbackVehicle.value;
  if (!token || !id) return;
  const res = await apiGet<PlaybackDay>(`/api/v1/transit/vehicles/${encodeURIComponent(id)}/day?date=${encodeURIComponent(playbackDate.value)}`, token);
  if (res.status !== 'ok') {
    playback = null;
    playbackStatus.textContent = t('transit.playbackFailed', { status: res.httpStatus ?? res.status });
    renderPlayback();
    return;
  }
  playback = res.data.points.length ? res.data : null;
  playbackStatus.textContent = res.data.points.length === 0 ? t('transit.playbackNone') : t(res.data.truncated ? 'transit.playbackTruncated' : 'transit.playbackCount', { n: res.data.points.length });
  playbackSlider.max = String(Math.max(0, res.data.points.length - 1));
  playbackSlider.value = '0';
  renderPlayback();
  kick();
  if (playback) playbackSlider.focus();
}

function playbackPoint() {
  return playback?.points[Number(playbackSlider.value)] ?? null;
}

function renderPlayback(): void {
  must('playback-view').hidden = playback === null;
  const p = playbackPoint();
  if (!p) return;
  const speed = p.speedKmh === null ? t('common.none') : `${fmtNumber(p.speedKmh, 0)} ${t('transit.speedUnit')}`;
  const text = t('transit.playbackAt', { time: fmtClock(Date.parse(p.ts), true), speed, trip: p.tripId ?? t('transit.noTrip'), delay: delayText(p.delayS) });
  must('playback-at').textContent = text;
  playbackSlider.setAttribute('aria-valuetext', text);
}

function playbackTrack(): MapLine | null {
  if (!playback) return null;
  return { id: PLAYBACK_ID, points: playback.points.map((p) => [p.lat, p.lon] as const), color: '#ffffff', width: 2 };
}

function playbackMarker(): MapPoint | null {
  const p = playbackPoint();
  if (!p) return null;
  return { id: PLAYBACK_ID, lat: p.lat, lon: p.lon, fill: '#ffffff', stroke: '#000000', radius: 7, label: fmtClock(Date.parse(p.ts)), headingDeg: p.courseDeg, ring: '#ffd54a' };
}

must<HTMLFormElement>('playback-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void loadPlayback();
});
playbackSlider.addEventListener('input', () => renderPlayback());

// ---- Service alerts: the editor (REST /api/v1/transit/service-alerts) and the list (by push) ----
const serviceAlerts = new Map<number, ServiceAlert>();
const saForm = must<HTMLFormElement>('sa-form');
const saRoutes = must<HTMLSelectElement>('sa-routes');
let editing: number | null = null;
const field = (id: string) => must<HTMLInputElement>(id);

async function loadServiceAlerts(): Promise<void> {
  if (!token) return;
  const res = await apiGet<ServiceAlert[]>('/api/v1/transit/service-alerts', token);
  if (res.status !== 'ok') return;
  serviceAlerts.clear();
  for (const a of res.data) serviceAlerts.set(a.id, a);
  renderServiceAlerts();
}

function mergeServiceAlerts(changed: ServiceAlert[]): void {
  for (const a of changed) serviceAlerts.set(a.id, a);
  renderServiceAlerts();
}

/** ended when its end has passed (an alert ends by itself at its end, with no push) */
const saState = (a: ServiceAlert, now: number): ServiceAlert['state'] =>
  a.end && Date.parse(a.end) <= now ? 'ended' : a.start && Date.parse(a.start) > now ? 'upcoming' : 'active';

function renderServiceAlerts(): void {
  const now = Date.now();
  const current = [...serviceAlerts.values()].filter((a) => saState(a, now) !== 'ended').sort((a, b) => b.id - a.id);
  must('sa-none').hidden = current.length > 0;
  const lang = getLang();
  must('sa-list').replaceChildren(
    ...current.map((a) => {
      const li = document.createElement('li');
      li.dataset.id = String(a.id);
      li.dataset.state = saState(a, now);
      const text = document.createElement('span');
      const where = [...a.routeIds, ...a.stopIds].join(', ');
      const window = t('transit.saWindow', { from: a.start ? fmtDateTime(a.start) : t('transit.saNow'), to: a.end ? fmtDateTime(a.end) : t('transit.saOpenEnd') });
      text.textContent = `${a.header[lang] ?? a.header.uk} · ${where} · ${t(`transit.saState.${saState(a, now)}`)}`;
      text.title = window;
      const edit = document.createElement('button');
      edit.type = 'button';
      edit.textContent = t('transit.saEdit');
      edit.setAttribute('aria-label', `${t('transit.saEdit')}: ${a.header[lang] ?? a.header.uk}`);
      edit.addEventListener('click', () => editAlert(a.id));
      const end = document.createElement('button');
      end.type = 'button';
      end.textContent = t('transit.saEnd1');
      end.setAttribute('aria-label', `${t('transit.saEnd1')}: ${a.header[lang] ?? a.header.uk}`);
      end.addEventListener('click', () => void endAlert(a.id));
      li.append(text, edit, end);
      return li;
    }),
  );
  must('sa-form-heading').textContent = editing === null ? t('transit.saNew') : t('transit.saEditing', { id: editing });
}

function saRouteOptions(): void {
  const chosen = new Set([...saRoutes.selectedOptions].map((o) => o.value));
  fillSelect(saRoutes, network.map((r) => ({ value: r.routeId, label: `${r.routeId} — ${r.longNames?.[getLang()] ?? r.longName}` })));
  for (const o of saRoutes.options) o.selected = chosen.has(o.value);
}

function clearErrors(): void {
  for (const f of [...ALERT_FIELDS, 'form']) must(`sa-err-${f}`).textContent = '';
  for (const el of saForm.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

function resetForm(): void {
  editing = null;
  saForm.reset();
  for (const o of saRoutes.options) o.selected = false;
  clearErrors();
  renderServiceAlerts();
}

function editAlert(id: number): void {
  const a = serviceAlerts.get(id);
  if (!a) return;
  clearErrors();
  editing = id;
  for (const o of saRoutes.options) o.selected = a.routeIds.includes(o.value);
  field('sa-stops').value = a.stopIds.join(', ');
  field('sa-start').value = isoToLocal(a.start, CITY_TZ);
  field('sa-end').value = isoToLocal(a.end, CITY_TZ);
  field('sa-header-uk').value = a.header.uk;
  field('sa-header-en').value = a.header.en ?? '';
  field('sa-desc-uk').value = a.description?.uk ?? '';
  field('sa-desc-en').value = a.description?.en ?? '';
  renderServiceAlerts();
  saRoutes.focus();
}

function formBody(): ServiceAlertBody {
  const text = (id: string) => field(id).value.trim();
  const descUk = text('sa-desc-uk');
  const descEn = text('sa-desc-en');
  return {
    routeIds: [...saRoutes.selectedOptions].map((o) => o.value),
    stopIds: text('sa-stops').split(',').map((x) => x.trim()).filter(Boolean),
    start: localToIso(field('sa-start').value, CITY_TZ),
    end: localToIso(field('sa-end').value, CITY_TZ),
    header: { uk: text('sa-header-uk'), ...(text('sa-header-en') ? { en: text('sa-header-en') } : {}) },
    ...(descUk || descEn ? { description: { uk: descUk, ...(descEn ? { en: descEn } : {}) } } : {}),
  };
}

const INPUT_OF: Record<string, string> = {
  routeIds: 'sa-routes', stopIds: 'sa-stops', start: 'sa-start', end: 'sa-end',
  'header.uk': 'sa-header-uk', 'header.en': 'sa-header-en', 'description.uk': 'sa-desc-uk', 'description.en': 'sa-desc-en',
};

async function saveAlert(): Promise<void> {
  if (!token) return;
  clearErrors();
  const id = editing;
  const res = await fetch(id === null ? '/api/v1/transit/service-alerts' : `/api/v1/transit/service-alerts/${id}`, {
    method: id === null ? 'POST' : 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(formBody()),
  });
  const body = (await res.json().catch(() => ({}))) as ServiceAlert & { message?: string; issues?: { field: string; reason: string }[] };
  if (!res.ok) {
    const byField = issuesByField(body.issues ?? (body.message ? [{ field: '', reason: body.message }] : []));
    let first: HTMLElement | null = null;
    for (const [f, reasons] of byField) {
      must(`sa-err-${f}`).textContent = reasons.join('; ');
      const input = INPUT_OF[f] ? must(INPUT_OF[f]) : null;
      input?.setAttribute('aria-invalid', 'true');
      first ??= input;
    }
    if (!byField.size) must('sa-err-form').textContent = t('transit.saFailed', { message: String(res.status) });
    first?.focus();
    return;
  }
  mergeServiceAlerts([body]);
  resetForm();
  must('sa-status').textContent = t('transit.saSaved', { id: body.id });
}

async function endAlert(id: number): Promise<void> {
  if (!token) return;
  const res = await fetch(`/api/v1/transit/service-alerts/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) {
    must('sa-status').textContent = t('transit.saFailed', { message: String(res.status) });
    return;
  }
  mergeServiceAlerts([(await res.json()) as ServiceAlert]);
  if (editing === id) resetForm();
  must('sa-status').textContent = t('transit.saEnded', { id });
  must('sa-panel').querySelector<HTMLElement>('summary')?.focus();
}

saForm.addEventListener('submit', (e) => {
  e.preventDefault();
  void saveAlert();
});
must('sa-cancel').addEventListener('click', () => resetForm());

// ---- Alerts by push: a second /transit connection in the dispatch desk's room ----
function startAlertPush(): void {
  if (!token) return;
  const socket = io(namespaces.transit, { auth: { token } });
  socket.on('connect', () => {
    socket.emit('join', { room: DISPATCH_ALERTS_ROOM }, () => {
      // What changed while the connection was down: the lists afresh, then the pushes.
      void loadAlerts();
      void loadServiceAlerts();
    });
  });
  socket.on('opsAlerts', (items: unknown) => {
    if (Array.isArray(items)) mergeAlerts(items as OpsAlert[]);
  });
  socket.on('serviceAlerts', (items: unknown) => {
    if (Array.isArray(items)) mergeServiceAlerts(items as ServiceAlert[]);
  });
}

onLangChange(() => {
  renderVehicle();
  renderAlerts();
  renderStripLegend();
  renderStrips();
  renderPlayback();
  saRouteOptions();
  renderServiceAlerts();
});
setInterval(() => {
  void loadHeadways();
  if (selectedVehicle) void showVehicle(selectedVehicle);
}, 5_000);
// An upcoming alert becomes active, an active one ends, by the clock alone.
setInterval(() => renderServiceAlerts(), 30_000);

store.start();
void loadNetwork().then(() => {
  saRouteOptions();
  void loadHeadways();
});
void loadAlerts();
void loadServiceAlerts();
renderStripLegend();
renderServiceAlerts();
startAlertPush();
