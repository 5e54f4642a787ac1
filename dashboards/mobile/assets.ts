/**
 * The passengers' page's extra files, built with the dashboards: the web app manifest, the
 * icons (an SVG and PNGs drawn here, no image files), and the service worker at /m/sw.js
 * (its scope is the folder it is served from).
 */
import { deflateSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface Asset {
  body: Buffer;
  contentType: string;
}

const ROOT = dirname(fileURLToPath(import.meta.url));
const BRAND: [number, number, number] = [0x0b, 0x3d, 0x6e];

export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#0b3d6e"/><rect x="14" y="16" width="36" height="30" rx="5" fill="#fff"/><rect x="18" y="20" width="28" height="12" rx="2" fill="#0b3d6e"/><circle cx="22" cy="50" r="4" fill="#fff"/><circle cx="42" cy="50" r="4" fill="#fff"/><path d="M26 16 L22 6 M38 16 L42 6" stroke="#fff" stroke-width="2.5" stroke-linecap="round"/></svg>`;

export const MANIFEST = {
  name: 'Транспорт Кропивницького',
  short_name: 'Транспорт',
  description: 'Зупинки поруч і прибуття тролейбусів та автобусів наживо / Nearby stops and live arrivals',
  lang: 'uk',
  id: '/m/',
  start_url: '/m/',
  scope: '/m/',
  display: 'standalone',
  orientation: 'portrait',
  background_color: '#ffffff',
  theme_color: '#0b3d6e',
  icons: [
    { src: '/m/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
    { src: '/m/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any maskable' },
    { src: '/m/icon.svg', sizes: 'any', type: 'image/svg+xml' },
  ],
};

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** The icon as a PNG of `size` pixels: the SVG's shapes, drawn by hand (RGB, filter 0). */
export function iconPng(size: number): Buffer {
  const u = size / 64;
  const white: [number, number, number] = [255, 255, 255];
  const inRect = (x: number, y: number, rx: number, ry: number, w: number, hgt: number) => x >= rx * u && x < (rx + w) * u && y >= ry * u && y < (ry + hgt) * u;
  const inCircle = (x: number, y: number, cx: number, cy: number, r: number) => (x - cx * u) ** 2 + (y - cy * u) ** 2 <= (r * u) ** 2;
  const row = 1 + size * 3;
  const raw = Buffer.alloc(row * size);
  for (let y = 0; y < size; y++) {
    raw[y * row] = 0;
    for (let x = 0; x < size; x++) {
      let c = BRAND;
      if (inRect(x, y, 14, 16, 36, 30) && !inRect(x, y, 18, 20, 28, 12)) c = white;
      if (inCircle(x, y, 22, 50, 4) || inCircle(x, y, 42, 50, 4)) c = white;
      // the trolley poles
      for (const [x0, x1] of [[26, 22], [38, 42]] as const) {
        const t = (16 - y / u) / 10;
        if (t >= 0 && t <= 1 && Math.abs(x / u - (x0 + (x1 - x0) * t)) < 1.3) c = white;
      }
      raw.set(c, y * row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const bundle = (file: string, format: 'iife' | 'esm') =>
  build({
    entryPoints: [join(ROOT, file)],
    bundle: true,
    write: false,
    format,
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });

/**
 * Also /mobile/app.js again, in one file: the dashboards' shared build splits common code into
 * chunks, and the service worker must know every file of the shell by name to keep it offline.
 * The Socket.IO client is a file of its own, /mobile/socket.js, that app.js imports when a stop
 * is shown (live.ts names it by URL, so it is not bundled into app.js).
 */
export async function buildMobileAssets(): Promise<Map<string, Asset>> {
  const [sw, app, socket] = await Promise.all([bundle('sw.ts', 'iife'), bundle('app.ts', 'esm'), bundle('socket-client.ts', 'esm')]);
  return new Map<string, Asset>([
    ['/mobile/app.js', { body: Buffer.from(app.outputFiles[0]!.contents), contentType: 'text/javascript; charset=utf-8' }],
    ['/mobile/socket.js', { body: Buffer.from(socket.outputFiles[0]!.contents), contentType: 'text/javascript; charset=utf-8' }],
    ['/m/sw.js', { body: Buffer.from(sw.outputFiles[0]!.contents), contentType: 'text/javascript; charset=utf-8' }],
    ['/m/manifest.webmanifest', { body: Buffer.from(JSON.stringify(MANIFEST)), contentType: 'application/manifest+json; charset=utf-8' }],
    ['/m/icon.svg', { body: Buffer.from(ICON_SVG), contentType: 'image/svg+xml' }],
    ['/m/icon-192.png', { body: iconPng(192), contentType: 'image/png' }],
    ['/m/icon-512.png', { body: iconPng(512), contentType: 'image/png' }],
  ]);
}
