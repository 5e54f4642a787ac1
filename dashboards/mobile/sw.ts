/**
 * The passengers' page's service worker (scope /m/): the shell cached at install and refreshed
 * whenever the network answers; the open API and alerts network-first, with the last answer
 * kept and given back when offline, marked by the `x-mistohub-cached` header so the page can
 * say the data is stale. Built as a classic script to /m/sw.js.
 */
// The project's TypeScript has the DOM library, not the worker one: the little used here, typed by hand.
interface ExtendableEvent extends Event { waitUntil(p: Promise<unknown>): void }
interface FetchEvent extends ExtendableEvent { request: Request; respondWith(r: Promise<Response> | Response): void }
declare const self: {
  location: Location;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
};

const VERSION = 'm-v1';
const SHELL = ['/m/', '/mobile/app.js', '/m/manifest.webmanifest', '/m/icon.svg', '/m/icon-192.png'];
const DATA = 'm-data';

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(VERSION).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION && k !== DATA).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

const isData = (url: URL) => url.pathname.startsWith('/api/v1/open/') || url.pathname === '/gtfs-rt/alerts';

async function marked(res: Response): Promise<Response> {
  const headers = new Headers(res.headers);
  headers.set('x-mistohub-cached', '1');
  return new Response(await res.blob(), { status: res.status, statusText: res.statusText, headers });
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (isData(url)) {
    e.respondWith(
      fetch(req).then(async (res) => {
        if (res.ok) await (await caches.open(DATA)).put(req, res.clone());
        return res;
      }).catch(async () => {
        const hit = await caches.match(req, { cacheName: DATA });
        if (hit) return marked(hit);
        return new Response(JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'offline, nothing saved for this address' }), { status: 503, headers: { 'content-type': 'application/json' } });
      }),
    );
    return;
  }
  const shellKey = req.mode === 'navigate' && url.pathname.startsWith('/m/') ? '/m/' : SHELL.includes(url.pathname) ? url.pathname : null;
  if (!shellKey) return;
  e.respondWith(
    fetch(req).then(async (res) => {
      if (res.ok) await (await caches.open(VERSION)).put(shellKey, res.clone());
      return res;
    }).catch(async () => (await caches.match(shellKey, { cacheName: VERSION })) ?? Response.error()),
  );
});
