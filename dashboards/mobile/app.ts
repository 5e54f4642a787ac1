/**
 * The passengers' page, `/m/`: stops near the phone (the location rounded to ~100 m before it is
 * sent), search by name, a stop's arrivals (pushed by the hub's open `/open` namespace, polled
 * every 20 s where the socket cannot connect), a route's vehicles on its line (pushed likewise),
 * favourite stops kept in localStorage. No login, no cookies, no third parties: only the open API
 * (/api/v1/open/*, /open) and /gtfs-rt/alerts. A service worker (/m/sw.js) keeps the shell and
 * the last answers; answers it gives from its cache are marked, and the page says so. No
 * dependencies in the first load, to stay small on a cheap phone: the Socket.IO client comes
 * later, when a stop or a route's map is shown (live.ts). Service alerts as well.
 */
import { follow, followRoute, type LiveMode } from './live.ts';
import { arrivalText, contrastText, fitProjection, roundLocation } from './logic.ts';
import { MESSAGES, type Lang, type MsgKey } from './messages.ts';

interface RouteRef { routeId: string; shortName: string; type: number; color: string | null; textColor: string | null }
interface Stop { stopId: string; name: string; names?: Record<string, string>; lat: number; lon: number; routes: RouteRef[]; distanceM?: number }
interface Arrival { routeId: string; routeShortName: string; headsign: string; tripId: string; vehicleId: string | null; arrivalTime: string; minutes: number; realtime: boolean; color: string | null; textColor: string | null }
interface Board { stop: Stop; generatedAt: string; arrivals: Arrival[] }
interface Route {
  routeId: string; shortName: string; longName: string; longNames?: Record<string, string>; color: string | null; textColor: string | null; generatedAt: string;
  directions: Array<{ directionId: 0 | 1 | null; headsign: string | null; shape: Array<[number, number]>; stopIds: string[] }>;
  stops: Array<{ stopId: string; name: string; names?: Record<string, string>; lat: number; lon: number }>;
  vehicles: Array<{ vehicleId: string; lat: number; lon: number; directionId: 0 | 1 | null; headsign: string | null; delayS: number | null; ts: string }>;
}
/** `/open` event `vehicles` of room `route:{routeId}` (OpenRouteVehicle) */
interface PushedVehicle { vehicleId: string; routeId: string; lat: number; lon: number; courseDeg: number | null; stale: boolean; ts: string }
interface Got<T> { data: T; cached: boolean }

const POLL_MS = 20_000;
const FAV_KEY = 'mistohub.m.favourites';
const LANG_KEY = 'mistohub.m.lang';
const ZONE = 'Europe/Kyiv';

let lang: Lang = 'uk';
try {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === 'en' || saved === 'uk') lang = saved;
} catch {
  // storage off: Ukrainian
}
const t = (key: MsgKey, vars: Record<string, string | number> = {}): string =>
  MESSAGES[lang][key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...kids);
  return e;
}
const nameOf = (x: { name: string; names?: Record<string, string> }) => (lang === 'uk' ? x.name : x.names?.[lang] ?? x.name);
const timeText = (ms: number) => new Intl.DateTimeFormat(lang === 'uk' ? 'uk-UA' : 'en-GB', { hour: '2-digit', minute: '2-digit', timeZone: ZONE }).format(ms);

/** Our own answers from the service worker's cache carry this header. */
const CACHED_HEADER = 'x-mistohub-cached';
let offline = false;
let staleSince: number | null = null;

async function get<T>(url: string): Promise<Got<T>> {
  const res = await fetch(url);
  if (!res.ok) throw Object.assign(new Error(`${res.status}`), { status: res.status });
  const cached = res.headers.get(CACHED_HEADER) !== null;
  return { data: (await res.json()) as T, cached };
}

function setBanner(cached: boolean, generatedAt?: string): void {
  offline = cached;
  staleSince = cached && generatedAt ? Date.parse(generatedAt) : null;
  drawBanner();
}
function drawBanner(): void {
  const b = $('banner');
  b.hidden = !offline;
  b.textContent = offline ? (staleSince ? t('staleAt', { time: timeText(staleSince) }) : t('offline')) : '';
}

// ---- favourites (on the phone only)
function favourites(): Array<{ stopId: string; name: string; names?: Record<string, string> }> {
  try {
    return JSON.parse(localStorage.getItem(FAV_KEY) ?? '[]') as Array<{ stopId: string; name: string }>;
  } catch {
    return [];
  }
}
function setFavourite(stop: Stop, on: boolean): void {
  const rest = favourites().filter((f) => f.stopId !== stop.stopId);
  const next = on ? [...rest, { stopId: stop.stopId, name: stop.name, ...(stop.names ? { names: stop.names } : {}) }] : rest;
  try {
    localStorage.setItem(FAV_KEY, JSON.stringify(next));
  } catch {
    // storage off: not kept
  }
}

function badge(r: { shortName: string; color: string | null; textColor: string | null }, label?: string): HTMLElement {
  const s = h('span', { class: 'badge' }, r.shortName);
  if (r.color) {
    s.style.background = r.color;
    s.style.color = contrastText(r.color, r.textColor);
  }
  if (label) s.setAttribute('aria-label', label);
  return s;
}

function stopItem(s: { stopId: string; name: string; names?: Record<string, string>; routes?: RouteRef[]; distanceM?: number }): HTMLLIElement {
  const meta = s.distanceM !== undefined ? h('span', { class: 'meta' }, t('metres', { m: s.distanceM })) : '';
  const badges = h('span', { class: 'badges', 'aria-label': t('routesAt') }, ...(s.routes ?? []).map((r) => badge(r)));
  return h('li', {}, h('a', { href: `#/stop/${encodeURIComponent(s.stopId)}`, 'data-stop': s.stopId }, h('span', { class: 'name' }, nameOf(s)), badges, meta));
}

// ---- views
let timer: ReturnType<typeof setInterval> | undefined;
let tick: ReturnType<typeof setInterval> | undefined;
let unfollow: (() => void) | undefined;
const stopTimers = () => {
  catchUp = undefined;
  unfollow?.();
  unfollow = undefined;
  if (timer) clearInterval(timer);
  if (tick) clearInterval(tick);
  timer = tick = undefined;
};

/**
 * A view's live refresh: push while the hub's socket is there, polling every 20 s while it is not
 * (and at first, until the socket says it is live). A page in the background does not poll (the
 * phone's battery, data and the rate limit); it catches up when shown. `setMode` is what the
 * socket calls; `start` loads once and starts polling.
 */
function liveRefresh(updated: HTMLElement, load: () => Promise<void>, draw: () => void) {
  let mode: LiveMode = 'poll';
  updated.dataset.live = mode;
  const poll = () => void (document.hidden || load());
  return {
    get mode(): LiveMode {
      return mode;
    },
    start(): void {
      void load();
      timer = setInterval(poll, POLL_MS);
      catchUp = () => void load();
    },
    setMode: (next: LiveMode): void => {
      if (next === mode) return;
      mode = next;
      updated.dataset.live = mode;
      if (timer) clearInterval(timer);
      timer = undefined;
      if (mode === 'poll') {
        // The socket dropped: what it would have brought is asked for now, then every 20 s.
        timer = setInterval(poll, POLL_MS);
        void load();
      }
      draw();
    },
  };
}

function view(...kids: Node[]): HTMLElement {
  const main = $('view');
  main.replaceChildren(...kids);
  return main;
}

function homeView(): void {
  stopTimers();
  document.title = t('title');
  const status = h('p', { id: 'home-status', role: 'status', class: 'muted' });
  const results = h('ul', { id: 'results', class: 'list', 'aria-label': t('results') });
  const near = h('button', { id: 'nearby-btn', type: 'button', class: 'primary' }, t('nearby'));
  const search = h('input', { id: 'search', type: 'search', autocomplete: 'off', enterkeyhint: 'search', placeholder: t('searchHint') }) as HTMLInputElement;
  const favs = favourites();
  const favList = h('ul', { id: 'favourites', class: 'list' }, ...favs.map((f) => stopItem(f)));
  const alerts = h('ul', { id: 'alerts', 'aria-label': t('alerts') });
  view(
    h('div', { class: 'row' }, near),
    h('label', { for: 'search' }, t('search')),
    search,
    status,
    results,
    h('h2', {}, t('favourites')),
    favs.length ? favList : h('p', { class: 'muted' }, t('noFavourites')),
    alerts,
  );
  const show = (stops: Stop[], cached: boolean, empty: MsgKey) => {
    results.replaceChildren(...stops.map(stopItem));
    status.textContent = stops.length ? t('found', { n: stops.length }) : t(empty);
    setBanner(cached);
  };
  near.addEventListener('click', () => {
    if (!navigator.geolocation) return void (status.textContent = t('noGeo'));
    status.textContent = t('locating');
    navigator.geolocation.getCurrentPosition(
      async (pos) => {
        // Only the rounded location (3 decimals, ~100 m) ever leaves the phone.
        const { lat, lon } = roundLocation(pos.coords.latitude, pos.coords.longitude);
        try {
          const got = await get<Stop[]>(`/api/v1/open/stops?near=${lat},${lon}&limit=8`);
          show(got.data, got.cached, 'noneNear');
        } catch (err) {
          status.textContent = failText(err);
        }
      },
      () => void (status.textContent = t('geoDenied')),
      { enableHighAccuracy: false, timeout: 15_000, maximumAge: 60_000 },
    );
  });
  let typing: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    const q = search.value.trim();
    if (!q) return void results.replaceChildren();
    typing = setTimeout(async () => {
      try {
        const got = await get<Stop[]>(`/api/v1/open/stops?q=${encodeURIComponent(q)}&limit=10`);
        if (search.value.trim() === q) show(got.data, got.cached, 'noneFound');
      } catch (err) {
        status.textContent = failText(err);
      }
    }, 300);
  });
  void loadAlerts(alerts, () => true);
}

function failText(err: unknown): string {
  const status = (err as { status?: number }).status;
  return status === 429 ? t('tooMany') : status === 404 ? t('unknownStop') : t('offline');
}

interface RtAlert { informedEntity?: Array<{ routeId?: string; stopId?: string }>; headerText?: { translation?: Array<{ text: string; language?: string }> }; descriptionText?: { translation?: Array<{ text: string; language?: string }> }; activePeriod?: Array<{ start?: number | string; end?: number | string }> }
type AlertEntity = { id?: string; alert?: RtAlert };
/** `/open` event `alerts`: the alerts in force for one stop. */
interface StopAlerts { stopId: string; alerts: AlertEntity[] }

/** Alerts in GTFS-Realtime JSON, from `/gtfs-rt/alerts` or pushed for a stop: those in force that concern us. */
function drawAlerts(list: HTMLElement, entities: AlertEntity[], concerns: (e: { routeId?: string; stopId?: string }) => boolean): void {
  const nowS = Date.now() / 1000;
  const pick = (x?: { translation?: Array<{ text: string; language?: string }> }) => {
    const tr = x?.translation ?? [];
    return (tr.find((y) => y.language === lang) ?? tr[0])?.text ?? '';
  };
  const items = entities
    .map((e) => e.alert)
    .filter((a): a is RtAlert => !!a)
    .filter((a) => (a.activePeriod ?? [{}]).some((p) => Number(p.start ?? 0) <= nowS && Number(p.end ?? Infinity) > nowS))
    .filter((a) => (a.informedEntity ?? [{}]).some(concerns))
    .map((a) => h('li', {}, h('strong', {}, pick(a.headerText)), ' ', pick(a.descriptionText)));
  list.replaceChildren(...(items.length ? [h('li', { class: 'sr' }, t('alerts')), ...items] : []));
}

async function loadAlerts(list: HTMLElement, concerns: (e: { routeId?: string; stopId?: string }) => boolean): Promise<void> {
  try {
    const { data } = await get<{ entity?: AlertEntity[] }>('/gtfs-rt/alerts?format=json');
    drawAlerts(list, data.entity ?? [], concerns);
  } catch {
    // no alerts shown; arrivals still are
  }
}

function stopView(stopId: string): void {
  stopTimers();
  const title = h('h2', { id: 'stop-name' }, t('loading'));
  const fav = h('button', { id: 'fav', type: 'button', 'aria-pressed': 'false' }, t('addFavourite'));
  const list = h('ul', { id: 'arrivals', class: 'list', 'aria-live': 'polite', 'aria-label': t('arrivals') });
  const updated = h('p', { id: 'updated', class: 'muted' });
  const alerts = h('ul', { id: 'alerts', 'aria-label': t('alerts') });
  view(title, h('div', { class: 'row' }, fav), alerts, list, updated);
  let board: Board | null = null;
  let skew = 0;
  const live = liveRefresh(updated, () => load(), () => draw());
  const isFav = () => favourites().some((f) => f.stopId === stopId);
  const drawFav = () => {
    fav.setAttribute('aria-pressed', String(isFav()));
    fav.textContent = isFav() ? t('removeFavourite') : t('addFavourite');
  };
  fav.addEventListener('click', () => {
    if (board) setFavourite(board.stop, !isFav());
    drawFav();
  });
  drawFav();
  const draw = () => {
    if (!board) return;
    const now = Date.now() + skew;
    const rows = board.arrivals.filter((a) => Date.parse(a.arrivalTime) > now - 30_000).slice(0, 12);
    list.replaceChildren(
      ...rows.map((a) => {
        const when = arrivalText(Date.parse(a.arrivalTime), now);
        const whenText = when === 'arriving' ? t('arriving') : t('minutes', { n: when });
        const li = h(
          'li',
          { class: when === 'arriving' ? 'arriving' : '', 'data-trip': a.tripId, ...(a.vehicleId ? { 'data-vehicle': a.vehicleId } : {}) },
          h('a', { href: `#/route/${encodeURIComponent(a.routeId)}/${encodeURIComponent(stopId)}`, 'aria-label': t('routeLink', { route: a.routeShortName }) }, badge({ shortName: a.routeShortName, color: a.color, textColor: a.textColor })),
          h('span', { class: 'dest' }, a.headsign),
          h('span', { class: 'when' }, whenText, ...(a.realtime ? [] : [h('span', { class: 'sched' }, t('scheduled'))])),
        );
        li.setAttribute('aria-label', `${t('route')} ${a.routeShortName}, ${a.headsign}, ${whenText}${a.realtime ? '' : `, ${t('scheduled')}`}`);
        return li;
      }),
    );
    if (!rows.length) list.replaceChildren(h('li', { class: 'muted' }, t('noArrivals')));
    updated.textContent = `${t('updated', { time: timeText(Date.parse(board.generatedAt)) })}${live.mode === 'push' ? ` · ${t('live')}` : ''}`;
  };
  const accept = (b: Board, cached: boolean) => {
    board = b;
    // server clock − ours; a cached board keeps the clock as it was
    if (!cached) skew = Date.parse(b.generatedAt) - Date.now();
    title.textContent = nameOf(b.stop);
    document.title = `${nameOf(b.stop)} — ${t('title')}`;
    setBanner(cached, b.generatedAt);
    draw();
  };
  const load = async () => {
    try {
      const got = await get<Board>(`/api/v1/open/stops/${encodeURIComponent(stopId)}/arrivals`);
      accept(got.data, got.cached);
      const routes = new Set(got.data.arrivals.map((a) => a.routeId));
      void loadAlerts(alerts, (e) => e.stopId === stopId || (!!e.routeId && routes.has(e.routeId)));
    } catch (err) {
      if (!board) title.textContent = failText(err);
      else setBanner(true, board.generatedAt);
    }
  };
  live.start();
  tick = setInterval(draw, 5_000);
  unfollow = follow<Board, StopAlerts>(stopId, {
    arrivals: (b) => accept(b, false),
    alerts: (a) => drawAlerts(alerts, a.alerts, () => true),
    mode: live.setMode,
  });
}

let catchUp: (() => void) | undefined;

function routeView(routeId: string, stopId: string | undefined): void {
  stopTimers();
  const title = h('h2', { id: 'route-name' }, t('loading'));
  const back = stopId ? h('a', { href: `#/stop/${encodeURIComponent(stopId)}` }, t('back')) : h('span');
  const mapBox = h('div', { id: 'map' });
  const list = h('ul', { id: 'vehicles', class: 'list', 'aria-label': t('vehicles') });
  const updated = h('p', { id: 'updated', class: 'muted' });
  view(back, title, mapBox, h('h3', {}, t('vehicles')), list, updated);
  let route: Route | null = null;
  const live = liveRefresh(updated, () => load(), () => draw());
  /** when each vehicle was last heard of (REST or push), by this phone's clock */
  const heard = new Map<string, number>();
  const draw = () => {
    const r = route;
    if (!r) return;
    mapBox.replaceChildren(drawMap(r, stopId));
    list.replaceChildren(
      ...r.vehicles.map((v) => h('li', { 'data-vehicle': v.vehicleId }, h('span', { class: 'name' }, `${v.headsign ? `→ ${v.headsign}` : v.vehicleId}`), ' ', h('span', { class: 'meta' }, delayText(v.delayS)))),
    );
    if (!r.vehicles.length) list.replaceChildren(h('li', { class: 'muted' }, t('noVehicles')));
    updated.textContent = `${t('updated', { time: timeText(Date.parse(r.generatedAt)) })}${live.mode === 'push' ? ` · ${t('live')}` : ''}`;
  };
  const load = async () => {
    try {
      const got = await get<Route>(`/api/v1/open/routes/${encodeURIComponent(routeId)}`);
      route = got.data;
      heard.clear();
      for (const v of route.vehicles) heard.set(v.vehicleId, Date.now());
      title.replaceChildren(badge(route), ' ', lang === 'uk' ? route.longName : route.longNames?.[lang] ?? route.longName);
      setBanner(got.cached, route.generatedAt);
      draw();
    } catch (err) {
      if (!route) title.textContent = failText(err);
    }
  };
  // Pushed vehicles move the ones on the map (direction, headsign and delay kept from REST);
  // a stale one leaves it, a new one joins it.
  const moved = (pushed: PushedVehicle[]) => {
    const r = route;
    if (!r) return;
    const byId = new Map(r.vehicles.map((v) => [v.vehicleId, v]));
    for (const p of pushed) {
      if (p.stale || p.routeId !== routeId) byId.delete(p.vehicleId);
      else {
        byId.set(p.vehicleId, { directionId: null, headsign: null, delayS: null, ...byId.get(p.vehicleId), vehicleId: p.vehicleId, lat: p.lat, lon: p.lon, ts: p.ts });
        heard.set(p.vehicleId, Date.now());
      }
    }
    // One not heard of for 2 minutes (moved to another route, say: its old room is not told) is gone too.
    const now = Date.now();
    r.vehicles = [...byId.values()].filter((v) => now - (heard.get(v.vehicleId) ?? 0) < 120_000).sort((a, b) => a.vehicleId.localeCompare(b.vehicleId));
    r.generatedAt = new Date().toISOString();
    draw();
  };
  live.start();
  unfollow = followRoute<PushedVehicle>(routeId, { vehicles: moved, mode: live.setMode });
}

function delayText(delayS: number | null): string {
  if (delayS === null) return '';
  const m = Math.round(delayS / 60);
  return m === 0 ? t('onTime') : m > 0 ? t('late', { n: m }) : t('early', { n: -m });
}

const SVG = 'http://www.w3.org/2000/svg';
function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...kids: Node[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...kids);
  return e;
}

/** The route's line, its stops and its vehicles, drawn to fit: no tiles, no library. */
function drawMap(r: Route, stopId: string | undefined): SVGSVGElement {
  const W = 360;
  const pts = [...r.directions.flatMap((d) => d.shape), ...r.vehicles.map((v) => [v.lat, v.lon] as [number, number])];
  const proj = fitProjection(pts, W, 16);
  const color = r.color ?? '#0b3d6e';
  const svg = s('svg', { class: 'map', viewBox: `0 0 ${W} ${proj.height}`, role: 'img', 'aria-label': t('mapLabel', { route: r.shortName, n: r.vehicles.length }) });
  svg.append(s('title', {}, document.createTextNode(t('mapLabel', { route: r.shortName, n: r.vehicles.length }))));
  r.directions.forEach((d, i) => {
    const line = d.shape.map(([la, lo]) => proj.xy(la, lo).map((n) => n.toFixed(1)).join(',')).join(' ');
    svg.append(s('polyline', { points: line, fill: 'none', stroke: color, 'stroke-width': 4, 'stroke-linejoin': 'round', 'stroke-linecap': 'round', opacity: i === 0 ? 1 : 0.55 }));
  });
  for (const st of r.stops) {
    const [x, y] = proj.xy(st.lat, st.lon);
    const here = st.stopId === stopId;
    svg.append(s('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: here ? 7 : 3.5, fill: '#fff', stroke: here ? '#111' : '#555', 'stroke-width': here ? 3 : 1.5 }, s('title', {}, document.createTextNode(nameOf(st)))));
  }
  for (const v of r.vehicles) {
    const [x, y] = proj.xy(v.lat, v.lon);
    svg.append(
      s('g', { class: 'vehicle', 'data-vehicle': v.vehicleId },
        s('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 9, fill: color, stroke: '#111', 'stroke-width': 2 }),
        s('text', { x: x.toFixed(1), y: (y + 4).toFixed(1), 'text-anchor': 'middle', 'font-size': 11, 'font-weight': 700, fill: contrastText(color, r.textColor) }, document.createTextNode(r.shortName)),
        s('title', {}, document.createTextNode(v.headsign ?? v.vehicleId))),
    );
  }
  return svg;
}

function route(): void {
  const m = /^#\/(stop|route)\/([^/]+)(?:\/([^/]+))?/.exec(location.hash);
  if (m?.[1] === 'stop') stopView(decodeURIComponent(m[2]!));
  else if (m?.[1] === 'route') routeView(decodeURIComponent(m[2]!), m[3] ? decodeURIComponent(m[3]) : undefined);
  else homeView();
  drawBanner();
}

function applyLang(): void {
  document.documentElement.lang = lang;
  const other = lang === 'uk' ? 'en' : 'uk';
  const btn = $('lang');
  btn.textContent = other === 'en' ? 'EN' : 'УКР';
  btn.setAttribute('lang', other);
  btn.setAttribute('aria-label', other === 'en' ? 'English' : 'Українська');
  for (const e of document.querySelectorAll<HTMLElement>('[data-t]')) e.textContent = t(e.dataset.t as MsgKey);
}

function start(): void {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'en' || q === 'uk') lang = q;
  applyLang();
  $('lang').addEventListener('click', () => {
    lang = lang === 'uk' ? 'en' : 'uk';
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch {
      // not kept
    }
    applyLang();
    route();
  });
  addEventListener('hashchange', () => {
    route();
    $('view').focus();
  });
  addEventListener('online', () => route());
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) catchUp?.();
  });
  route();
  if ('serviceWorker' in navigator) void navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(() => undefined);
}

start();
