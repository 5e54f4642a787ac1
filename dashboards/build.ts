/**
 * Builds the dashboards into memory at hub start: each page's TypeScript bundled by esbuild,
 * the HTML with the shared header and the default language (Ukrainian) filled in, the CSS.
 * Keys are URL paths: `/`, `/app.js`, `/transit/`, `/transit/app.js`, `/shared/style.css`, …
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DEFAULT_LANG, isMsgKey, translate } from './shared/i18n.ts';
import { buildMobileAssets } from './mobile/assets.ts';

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
}

const ROOT = dirname(fileURLToPath(import.meta.url));

/** page URL → folder under dashboards/ holding index.html and app.ts */
export const DASHBOARD_PAGES: Readonly<Record<string, string>> = {
  '/': 'start',
  '/transit/': 'transit',
  '/lighting/': 'lighting',
  '/energy/': 'energy',
  // A stop display: one page for every stop, the stop id in the path.
  '/stop/:stopId': 'stop',
  // Passengers' page (no login): manifest, icons and service worker under /m/ from mobile/assets.ts.
  '/m/': 'mobile',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Inserts the shared header and pre-renders `data-i18n` text in the default language. */
export function renderHtml(html: string, header: string): string {
  const withHeader = html.replace('<!-- @header -->', header.trim());
  return withHeader.replace(
    /(<([a-z][a-z0-9]*)\b[^>]*\sdata-i18n="([\w.-]+)"[^>]*>)(<\/\2>)/g,
    (whole, open: string, _tag: string, key: string, close: string) => (isMsgKey(key) ? `${open}${escapeHtml(translate(DEFAULT_LANG, key))}${close}` : whole),
  );
}

function entryOf(page: string): string {
  return page === 'start' ? 'app' : `${page}/app`;
}

/** Every dashboard file, built in memory. Takes a fraction of a second. */
export async function buildDashboards(): Promise<Map<string, DashboardAsset>> {
  const out = new Map<string, DashboardAsset>();
  const pages = Object.entries(DASHBOARD_PAGES);
  const entryPoints = Object.fromEntries(pages.map(([, dir]) => [entryOf(dir), join(ROOT, dir, 'app.ts')]));
  const outdir = join(ROOT, 'dist');

  const require = createRequire(import.meta.url);
  const [result, header, style, uplotCss, favicon, ...htmls] = await Promise.all([
    build({
      entryPoints,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
      minify: true,
      splitting: true,
      outdir,
      chunkNames: 'shared/chunk-[hash]',
      legalComments: 'none',
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
    }),
    readFile(join(ROOT, 'shared', 'header.html'), 'utf8'),
    readFile(join(ROOT, 'shared', 'style.css')),
    readFile(require.resolve('uplot/dist/uPlot.min.css')),
    readFile(join(ROOT, 'favicon.svg')),
    ...pages.map(([, dir]) => readFile(join(ROOT, dir, 'index.html'), 'utf8')),
  ]);

  for (const file of result.outputFiles) {
    const url = `/${relative(outdir, file.path).split(sep).join('/')}`;
    out.set(url, { body: Buffer.from(file.contents), contentType: TYPES['.js'] as string });
  }
  pages.forEach(([url], i) => {
    out.set(url, { body: Buffer.from(renderHtml(htmls[i] ?? '', header)), contentType: TYPES['.html'] as string });
  });
  out.set('/shared/style.css', { body: style, contentType: TYPES['.css'] as string });
  out.set('/shared/uplot.css', { body: uplotCss, contentType: TYPES['.css'] as string });
  out.set('/favicon.svg', { body: favicon, contentType: TYPES['.svg'] as string });
  for (const [url, asset] of await buildMobileAssets()) out.set(url, asset);
  return out;
}
