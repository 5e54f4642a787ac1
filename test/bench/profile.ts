/** Where the hub's time went: a summary of a V8 .cpuprofile written by `node --cpu-prof`. */
import { transformSync } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  selfPct: number;
}

export interface ProfileSummary {
  /** sampled time in which the hub's thread was busy (idle left out) */
  totalMs: number;
  /** share of the sampled time the thread was idle */
  idlePct: number;
  /** self time per function */
  functions: ProfileEntry[];
  /** self time per package / project folder */
  places: ProfileEntry[];
  /** total (inclusive) time of hub code and libraries on the stack */
  inclusive: ProfileEntry[];
}

function place(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(services|gateways|test)\/([^/]+)\//.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 14);
  const m = /\/((services|gateways|test)\/.*)$/.exec(url);
  return m?.[1] ?? url;
}

// ---- source lines of the project's own .ts files
//
// tsx compiles every .ts file with esbuild into one minified line, so V8 reports every function
// of a project file at line 1. The same esbuild, with the options tsx uses, gives the same code
// and its source map, which turn (line, column) back into the line of the .ts file.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Per generated line: [generated column, original line (0-based)] in column order. */
function decodeMappings(mappings: string): [number, number][][] {
  const lines: [number, number][][] = [];
  let srcLine = 0;
  for (const line of mappings.split(';')) {
    const segs: [number, number][] = [];
    let genCol = 0;
    for (const seg of line.split(',')) {
      if (!seg) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        let digit = B64.indexOf(ch);
        const more = digit & 32;
        digit &= 31;
        value += digit * 2 ** shift;
        shift += 5;
        if (!more) {
          values.push(value % 2 === 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
          value = 0;
          shift = 0;
        }
      }
      genCol += values[0] ?? 0;
      if (values.length >= 4) {
        srcLine += values[2] ?? 0;
        segs.push([genCol, srcLine]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

const mapCache = new Map<string, [number, number][][] | null>();

/** The .ts line (1-based) of a position V8 reported in tsx's compiled code, or undefined. */
function tsLine(url: string, line: number, column: number): number | undefined {
  if (!url.startsWith('file://') || url.includes('/node_modules/') || !url.endsWith('.ts')) return undefined;
  let map = mapCache.get(url);
  if (map === undefined) {
    try {
      const path = fileURLToPath(url);
      const out = transformSync(readFileSync(path, 'utf8'), {
        loader: 'ts', format: 'esm', target: `node${process.versions.node}`, sourcemap: true, minifyWhitespace: true, keepNames: true, sourcefile: path,
      });
      map = decodeMappings((JSON.parse(out.map) as { mappings: string }).mappings);
    } catch {
      map = null;
    }
    mapCache.set(url, map);
  }
  const segs = map?.[line];
  if (!segs?.length) return undefined;
  let found: number | undefined;
  for (const [col, src] of segs) {
    if (col > column) break;
    found = src;
  }
  return found === undefined ? undefined : found + 1;
}

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Self time per node from samples × time deltas (hitCount alone ignores uneven intervals).
  const selfUs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0));
  }
  // Percentages are of busy time: the idle node (waiting for I/O) is counted apart.
  let total = 0;
  let idle = 0;
  for (const [id, v] of selfUs) {
    if (byId.get(id)?.callFrame.functionName === '(idle)') idle += v;
    else total += v;
  }
  const fnSelf = new Map<string, number>();
  const placeSelf = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n || n.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber, columnNumber } = n.callFrame;
    const line = tsLine(url, lineNumber, columnNumber) ?? lineNumber + 1;
    const name = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${line}` : ''}`.trim();
    fnSelf.set(name, (fnSelf.get(name) ?? 0) + us);
    const pl = place(url, functionName);
    placeSelf.set(pl, (placeSelf.get(pl) ?? 0) + us);
    // Inclusive: every distinct place on this sample's stack gets the time once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (!f?.url) continue;
      const key = place(f.url, f.functionName);
      if (!seen.has(key)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + us);
      }
    }
  }
  const ranked = (m: Map<string, number>): ProfileEntry[] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, selfPct: total ? (us / total) * 100 : 0 }));
  return { totalMs: total / 1000, idlePct: total + idle > 0 ? (idle / (total + idle)) * 100 : 0, functions: ranked(fnSelf), places: ranked(placeSelf), inclusive: ranked(inclusive) };
}
