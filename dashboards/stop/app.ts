/**
 * A stop display: `/stop/{stopId}#token={display token}` (the token is kept in the browser and
 * taken out of the address). The board comes by REST at start and every 30 s, and by push from
 * `/stops` room `stop:{stopId}` whenever it changes; minutes count down from the arrival times
 * with the server's clock. Without news for a while, or with the connection lost, the board
 * says so plainly; socket.io and the REST timer bring it back by themselves.
 */
import { io } from 'socket.io-client';
import { getToken } from '../shared/auth.ts';
import { getLang, initLang, locale, setLang, t } from '../shared/i18n.ts';

interface Arrival {
  routeId: string;
  routeShortName: string;
  headsign: string;
  tripId: string;
  vehicleId: string | null;
  arrivalTime: string;
  minutes: number;
  realtime: boolean;
}
interface Board {
  stopId: string;
  generatedAt: string;
  arrivals: Arrival[];
}

const TOKEN_KEY = 'mistohub.displayToken';
const ZONE = 'Europe/Kyiv';
const REFRESH_MS = 30_000;
/** Without a board for this long (pushes come at least every minute) the data is called stale. */
const STALE_AFTER_MS = 90_000;
const MAX_ROWS = 8;

const stopId = decodeURIComponent(location.pathname.replace(/^\/stop\//, '').replace(/\/$/, ''));

function displayToken(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    try {
      localStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]!));
    } catch {
      // storage disabled: the token lasts while the page is open
    }
    history.replaceState(null, '', location.pathname + location.search);
    return decodeURIComponent(m[1]!);
  }
  try {
    return localStorage.getItem(TOKEN_KEY) ?? getToken();
  } catch {
    return getToken();
  }
}

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let board: Board | null = null;
/** server clock − local clock, from the last board */
let skewMs = 0;
let lastDataMs = 0;
let connected = false;
let problem: 'forbidden' | 'unknown' | 'no-token' | null = null;
let alertText = '';

const serverNow = () => Date.now() + skewMs;

function accept(b: Board): void {
  if (b.stopId !== stopId) return;
  board = b;
  lastDataMs = Date.now();
  skewMs = Date.parse(b.generatedAt) - Date.now();
  draw();
}

function timeText(ms: number): string {
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', timeZone: ZONE }).format(ms);
}

function draw(): void {
  const now = serverNow();
  el('clock').textContent = timeText(now);
  const stale = !problem && (!connected || Date.now() - lastDataMs > STALE_AFTER_MS);
  document.body.classList.toggle('stale', stale);
  const status = el<HTMLParagraphElement>('status');
  const message =
    problem === 'no-token' ? t('stop.noToken')
    : problem === 'forbidden' ? t('stop.forbidden', { stop: stopId })
    : problem === 'unknown' ? t('stop.unknown', { stop: stopId })
    : stale ? (lastDataMs ? t('stop.stale', { time: timeText(lastDataMs + skewMs) }) : t('stop.staleNever'))
    : '';
  status.hidden = message === '';
  status.textContent = message;

  const tbody = el<HTMLTableElement>('board').tBodies[0]!;
  const rows = (board?.arrivals ?? []).filter((a) => Date.parse(a.arrivalTime) > now - 30_000).slice(0, MAX_ROWS);
  tbody.replaceChildren(
    ...rows.map((a) => {
      const tr = document.createElement('tr');
      const mins = Math.max(0, Math.floor((Date.parse(a.arrivalTime) - now) / 60_000));
      tr.className = `${mins === 0 ? 'arriving' : ''} ${a.realtime ? '' : 'scheduled'}`.trim();
      tr.dataset.trip = a.tripId;
      if (a.vehicleId) tr.dataset.vehicle = a.vehicleId;
      const route = document.createElement('td');
      route.className = 'route';
      const badge = document.createElement('span');
      badge.textContent = a.routeShortName;
      route.append(badge);
      const dest = document.createElement('td');
      dest.textContent = a.headsign;
      const when = document.createElement('td');
      when.className = 'when';
      when.textContent = mins === 0 ? t('stop.arriving') : t('stop.minutes', { n: mins });
      if (!a.realtime) {
        const s = document.createElement('span');
        s.className = 'sched';
        s.textContent = t('stop.scheduled');
        when.append(s);
      }
      tr.append(route, dest, when);
      return tr;
    }),
  );
  const empty = el('empty');
  empty.hidden = rows.length > 0;
  if (!rows.length) empty.textContent = board ? t('stop.none') : t('stop.loading');
  el('updated').textContent = lastDataMs ? t('stop.updated', { time: timeText(lastDataMs + skewMs) }) : '';
  el('alerts').textContent = alertText;
  el('alerts-label').hidden = alertText === '';
}

async function loadBoard(token: string): Promise<void> {
  try {
    const res = await fetch(`/api/v1/transit/stops/${encodeURIComponent(stopId)}/arrivals`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 403 || res.status === 401) problem = res.status === 401 ? 'no-token' : 'forbidden';
    else if (res.status === 404) problem = 'unknown';
    else if (res.ok) {
      problem = null;
      accept((await res.json()) as Board);
    }
  } catch {
    // offline: the status line says so; the next round tries again
  }
  draw();
}

async function loadStopName(token: string): Promise<void> {
  try {
    const res = await fetch('/api/v1/transit/stops', { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) return;
    const stops = (await res.json()) as { stopId: string; name: string }[];
    const name = stops.find((s) => s.stopId === stopId)?.name;
    if (name) el('stop-name').textContent = name;
  } catch {
    // the id stays as the heading
  }
}

interface RtAlert { informedEntity?: { routeId?: string; stopId?: string }[]; headerText?: { translation?: { text: string; language?: string }[] }; activePeriod?: { start?: number; end?: number }[] }

async function loadAlerts(): Promise<void> {
  try {
    const res = await fetch('/gtfs-rt/alerts?format=json');
    if (!res.ok) return;
    const feed = (await res.json()) as { entity?: { alert?: RtAlert }[] };
    const routes = new Set((board?.arrivals ?? []).map((a) => a.routeId));
    const nowS = serverNow() / 1000;
    const texts = (feed.entity ?? [])
      .map((e) => e.alert)
      .filter((a): a is RtAlert => !!a)
      .filter((a) => (a.activePeriod ?? [{}]).some((p) => (p.start ?? 0) <= nowS && (p.end ?? Infinity) > nowS))
      .filter((a) => (a.informedEntity ?? []).some((e) => e.stopId === stopId || (e.routeId && routes.has(e.routeId))))
      .map((a) => {
        const tr = a.headerText?.translation ?? [];
        return (tr.find((x) => x.language === getLang()) ?? tr[0])?.text ?? '';
      })
      .filter(Boolean);
    alertText = texts.join(' · ');
  } catch {
    // keep the last text
  }
  draw();
}

function start(): void {
  initLang();
  const params = new URLSearchParams(location.search);
  const langParam = params.get('lang');
  if (langParam === 'en' || langParam === 'uk') setLang(langParam);
  el('stop-name').textContent = stopId;
  el('lang').addEventListener('click', () => {
    setLang(getLang() === 'uk' ? 'en' : 'uk');
    void loadAlerts();
    draw();
  });
  const token = displayToken();
  if (!token) {
    problem = 'no-token';
    draw();
    return;
  }
  void loadBoard(token).then(() => loadAlerts());
  void loadStopName(token);
  const socket = io('/stops', { auth: { token }, transports: ['websocket', 'polling'] });
  socket.on('connect', () => {
    connected = true;
    socket.emit('join', { room: `stop:${stopId}` });
    // Whatever changed while the connection was down.
    void loadBoard(token);
  });
  socket.on('disconnect', (reason) => {
    connected = false;
    draw();
    // The server ended the session (token revoked or expired): socket.io does not come back by
    // itself; try again later (the REST round says whether the token is still good).
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), REFRESH_MS);
  });
  socket.on('connect_error', () => {
    connected = false;
    draw();
    // Refused by the server (token revoked): socket.io stops retrying; try again later.
    if (!socket.active) setTimeout(() => socket.connect(), REFRESH_MS);
  });
  socket.on('arrivals', (boards: Board[]) => {
    for (const b of boards) accept(b);
  });
  setInterval(() => void loadBoard(token), REFRESH_MS);
  setInterval(() => void loadAlerts(), 60_000);
  setInterval(draw, 1_000);
  draw();
}

start();
