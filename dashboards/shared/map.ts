/**
 * A schematic map on <canvas>: lines (transit routes) and stops under the points, a light grid
 * in degrees, a scale bar and a north mark; points projected from WGS 84 with an
 * equirectangular projection around the view's mid-latitude. It needs no tile server (the hub
 * may run offline); given a tile URL template it draws a street map underneath. The view fits
 * the lines and points and re-fits only when a point leaves it, the filter changes or the user
 * asks, so markers do not jump. Labels never pile up: each is placed beside its marker where it
 * overlaps no marker and no label already drawn, or is left out (the selected one goes first).
 */
import { t } from './i18n.ts';

export interface MapPoint {
  id: string;
  lat: number;
  lon: number;
  /** marker fill */
  fill: string;
  /** marker outline; defaults to the background colour */
  stroke?: string;
  radius?: number;
  /** short text drawn next to the marker */
  label?: string;
  labelColor?: string;
  /** degrees clockwise from north: draws a heading tick */
  headingDeg?: number | null;
  /** drawn under the others, hollow */
  muted?: boolean;
  /** a warning ring (fault) */
  ring?: string;
}

/** A polyline under the points, e.g. a route's shape. */
export interface MapLine {
  id: string;
  points: ReadonlyArray<readonly [number, number]>;
  color: string;
  /** px, default 3 */
  width?: number;
  /** drawn faint and left out of the fit (a route not selected by the filter) */
  dim?: boolean;
}

/** A small stop marker on the lines; named when `showName` and there is room. */
export interface MapStop {
  id: string;
  lat: number;
  lon: number;
  name?: string;
  color?: string;
  showName?: boolean;
  dim?: boolean;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

interface View {
  lat0: number;
  lon0: number;
  /** pixels per degree of latitude */
  k: number;
  cosLat: number;
  cx: number;
  cy: number;
}

const NICE_DEG = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 45];
const NICE_M = [50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000];
const M_PER_DEG_LAT = 111_320;
/** The smallest span shown (about 1.5 km), so one vehicle does not fill the screen. */
const MIN_SPAN_DEG = 0.015;
/** Kropyvnytskyi centre: the view before any data arrives. */
const DEFAULT_CENTRE = { lat: 48.5079, lon: 32.2623 };

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export class SchematicMap {
  private readonly ctx: CanvasRenderingContext2D;
  private points: MapPoint[] = [];
  private lines: MapLine[] = [];
  private stops: MapStop[] = [];
  private tileUrl: string | null = null;
  private readonly tiles = new Map<string, HTMLImageElement | 'failed'>();
  private view: View | null = null;
  private width = 0;
  private height = 0;
  private dirty = true;
  private selected: string | null = null;
  private needFit = true;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly onSelect?: (id: string | null) => void) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2d context unavailable');
    this.ctx = ctx;
    const parent = canvas.parentElement ?? canvas;
    new ResizeObserver(() => this.resize()).observe(parent);
    this.resize();
    canvas.addEventListener('click', (e) => {
      const rect = canvas.getBoundingClientRect();
      const id = this.hit(e.clientX - rect.left, e.clientY - rect.top);
      this.onSelect?.(id);
    });
  }

  private resize(): void {
    const parent = this.canvas.parentElement;
    const w = Math.max(100, Math.floor(parent?.clientWidth ?? 300));
    const h = Math.max(100, Math.floor(parent?.clientHeight ?? 300));
    if (w === this.width && h === this.height) return;
    this.width = w;
    this.height = h;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.needFit = true;
    this.dirty = true;
    // resizing clears the canvas: draw now rather than leave it blank until the next tick
    this.draw();
  }

  setPoints(points: MapPoint[]): void {
    this.points = points;
    this.dirty = true;
    if (this.view && !this.needFit) {
      const margin = 12;
      for (const p of points) {
        const [x, y] = this.project(p.lat, p.lon);
        if (x < margin || y < margin || x > this.width - margin || y > this.height - margin) {
          this.needFit = true;
          break;
        }
      }
    }
  }

  /** Lines drawn under everything else, in order. */
  setLines(lines: MapLine[]): void {
    this.lines = lines;
    this.dirty = true;
  }

  setStops(stops: MapStop[]): void {
    this.stops = stops;
    this.dirty = true;
  }

  /**
   * A street map under the lines: an XYZ tile URL template (`/map/tiles/{z}/{x}/{y}`), or null
   * for none. Tiles are Web Mercator; at a city's scale the equirectangular view differs from
   * it by well under a pixel per tile.
   */
  setTiles(template: string | null): void {
    this.tileUrl = template;
    this.dirty = true;
  }

  setSelected(id: string | null): void {
    if (this.selected === id) return;
    this.selected = id;
    this.dirty = true;
  }

  /** Fit the view to the points at the next draw. */
  fit(): void {
    this.needFit = true;
    this.dirty = true;
  }

  invalidate(): void {
    this.dirty = true;
  }

  private computeFit(): View {
    let minLat = Infinity;
    let maxLat = -Infinity;
    let minLon = Infinity;
    let maxLon = -Infinity;
    const add = (lat: number, lon: number) => {
      if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
      minLat = Math.min(minLat, lat);
      maxLat = Math.max(maxLat, lat);
      minLon = Math.min(minLon, lon);
      maxLon = Math.max(maxLon, lon);
    };
    for (const p of this.points) add(p.lat, p.lon);
    for (const l of this.lines) if (!l.dim) for (const [lat, lon] of l.points) add(lat, lon);
    for (const st of this.stops) if (!st.dim) add(st.lat, st.lon);
    if (!Number.isFinite(minLat)) {
      minLat = maxLat = DEFAULT_CENTRE.lat;
      minLon = maxLon = DEFAULT_CENTRE.lon;
    }
    const lat0 = (minLat + maxLat) / 2;
    const lon0 = (minLon + maxLon) / 2;
    const cosLat = Math.max(0.05, Math.cos((lat0 * Math.PI) / 180));
    const spanLat = Math.max(maxLat - minLat, MIN_SPAN_DEG);
    const spanLonScaled = Math.max((maxLon - minLon) * cosLat, MIN_SPAN_DEG);
    const pad = 56;
    const k = Math.min((this.width - 2 * pad) / spanLonScaled, (this.height - 2 * pad) / spanLat);
    return { lat0, lon0, k: Math.max(k, 1e-6), cosLat, cx: this.width / 2, cy: this.height / 2 };
  }

  private project(lat: number, lon: number): [number, number] {
    const v = this.view;
    if (!v) return [0, 0];
    return [v.cx + (lon - v.lon0) * v.cosLat * v.k, v.cy - (lat - v.lat0) * v.k];
  }

  private hit(x: number, y: number): string | null {
    let best: string | null = null;
    let bestD = 16 * 16;
    for (const p of this.points) {
      const [px, py] = this.project(p.lat, p.lon);
      const d = (px - x) ** 2 + (py - y) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = p.id;
      }
    }
    return best;
  }

  /** Draws if anything changed since the last draw. Call from the redraw timer. */
  draw(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.needFit || !this.view) {
      this.view = this.computeFit();
      this.needFit = false;
    }
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const bg = cssVar('--map-bg', '#101820');
    const grid = cssVar('--map-grid', '#2a3947');
    const gridText = cssVar('--map-grid-text', '#9fb0c0');
    const fg = cssVar('--fg', '#eef3f7');
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, this.width, this.height);
    const tiled = this.drawTiles(bg);
    if (!tiled) this.drawGrid(grid, gridText);
    this.drawLines();
    this.drawStops(bg);

    const font = '600 14px system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif';
    ctx.font = font;
    ctx.textBaseline = 'middle';
    const ordered = [...this.points].sort((a, b) => Number(b.muted ?? false) - Number(a.muted ?? false));
    let selectedPoint: MapPoint | null = null;
    for (const p of ordered) {
      if (p.id === this.selected) {
        selectedPoint = p;
        continue;
      }
      this.drawPoint(p, bg, false);
    }
    if (selectedPoint) this.drawPoint(selectedPoint, bg, true);
    this.drawLabels(bg);
    this.drawScale(fg, bg);
  }

  /**
   * Labels of the selected point, then of live points, then of muted ones, then stop names:
   * each tries right, left, above and below its marker and is drawn at the first place that
   * overlaps no marker and no label already placed; otherwise it is left out.
   */
  private drawLabels(bg: string): void {
    const ctx = this.ctx;
    const placed: Rect[] = [];
    for (const p of this.points) {
      const [x, y] = this.project(p.lat, p.lon);
      const r = (p.radius ?? 7) + 2;
      placed.push({ x: x - r, y: y - r, w: 2 * r, h: 2 * r });
    }
    const rank = (p: MapPoint) => (p.id === this.selected ? 0 : p.muted ? 2 : 1);
    const queue: Array<{ text: string; x: number; y: number; r: number; color: string; font: string }> = [];
    const vehicleFont = '600 14px system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif';
    for (const p of [...this.points].sort((a, b) => rank(a) - rank(b))) {
      if (!p.label) continue;
      const [x, y] = this.project(p.lat, p.lon);
      queue.push({ text: p.label, x, y, r: (p.radius ?? 7) + (p.id === this.selected ? 3 : 0), color: p.labelColor ?? cssVar('--fg', '#eef3f7'), font: vehicleFont });
    }
    const stopFont = '12px system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif';
    for (const st of this.stops) {
      if (!st.showName || !st.name || st.dim) continue;
      const [x, y] = this.project(st.lat, st.lon);
      queue.push({ text: st.name, x, y, r: 9, color: cssVar('--map-grid-text', '#9fb0c0'), font: stopFont });
    }
    let shown = 0;
    let hidden = 0;
    ctx.textBaseline = 'middle';
    for (const q of queue) {
      ctx.font = q.font;
      const w = ctx.measureText(q.text).width + 4;
      const h = q.font === stopFont ? 16 : 20;
      const candidates: Rect[] = [
        { x: q.x + q.r + 3, y: q.y - h / 2, w, h },
        { x: q.x - q.r - 3 - w, y: q.y - h / 2, w, h },
        { x: q.x - w / 2, y: q.y - q.r - 3 - h, w, h },
        { x: q.x - w / 2, y: q.y + q.r + 3, w, h },
      ];
      const spot = candidates.find((c) => c.x >= 2 && c.y >= 2 && c.x + c.w <= this.width - 2 && c.y + c.h <= this.height - 2 && !placed.some((o) => overlaps(c, o)));
      if (!spot) {
        hidden++;
        continue;
      }
      placed.push(spot);
      shown++;
      ctx.fillStyle = bg;
      ctx.globalAlpha = 0.8;
      ctx.fillRect(spot.x, spot.y, spot.w, spot.h);
      ctx.globalAlpha = 1;
      ctx.fillStyle = q.color;
      ctx.fillText(q.text, spot.x + 2, spot.y + spot.h / 2);
    }
    // For tests and for people inspecting the page: what the declutter kept and left out.
    this.canvas.dataset.labelsShown = String(shown);
    this.canvas.dataset.labelsHidden = String(hidden);
  }

  private drawLines(): void {
    const ctx = this.ctx;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    const order = [...this.lines].sort((a, b) => Number(b.dim ?? false) - Number(a.dim ?? false));
    for (const l of order) {
      if (l.points.length < 2) continue;
      ctx.beginPath();
      l.points.forEach(([lat, lon], i) => {
        const [x, y] = this.project(lat, lon);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.globalAlpha = l.dim ? 0.25 : 0.9;
      ctx.lineWidth = l.width ?? 3;
      ctx.strokeStyle = l.color;
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    this.canvas.dataset.lines = String(this.lines.filter((l) => !l.dim).length);
  }

  private drawStops(bg: string): void {
    const ctx = this.ctx;
    for (const st of this.stops) {
      const [x, y] = this.project(st.lat, st.lon);
      ctx.beginPath();
      ctx.arc(x, y, st.dim ? 2.5 : 4, 0, Math.PI * 2);
      ctx.globalAlpha = st.dim ? 0.4 : 1;
      ctx.fillStyle = cssVar('--fg', '#eef3f7');
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = st.color ?? bg;
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    this.canvas.dataset.stops = String(this.stops.filter((s) => !s.dim).length);
  }

  /** Draws the street-map tiles that are loaded (asking for the rest); false when there is no tile source. */
  private drawTiles(bg: string): boolean {
    const v = this.view;
    if (!this.tileUrl || !v) return false;
    const ctx = this.ctx;
    // The zoom whose 256-px tiles come closest to 256 screen pixels.
    const z = Math.max(0, Math.min(19, Math.round(Math.log2((360 * v.cosLat * v.k) / 256))));
    const n = 2 ** z;
    const tileX = (lon: number) => Math.floor(((lon + 180) / 360) * n);
    const tileY = (lat: number) => {
      const r = (lat * Math.PI) / 180;
      return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
    };
    const lonOf = (x: number) => (x / n) * 360 - 180;
    const latOf = (y: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
    const latMin = v.lat0 - this.height / 2 / v.k;
    const latMax = v.lat0 + this.height / 2 / v.k;
    const lonMin = v.lon0 - this.width / 2 / (v.k * v.cosLat);
    const lonMax = v.lon0 + this.width / 2 / (v.k * v.cosLat);
    const [x0, x1] = [Math.max(0, tileX(lonMin)), Math.min(n - 1, tileX(lonMax))];
    const [y0, y1] = [Math.max(0, tileY(latMax)), Math.min(n - 1, tileY(latMin))];
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > 200) return false;
    for (let x = x0; x <= x1; x++) {
      for (let y = y0; y <= y1; y++) {
        const url = this.tileUrl.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y));
        let img = this.tiles.get(url);
        if (!img) {
          const el = new Image();
          el.onload = () => {
            this.dirty = true;
          };
          el.onerror = () => this.tiles.set(url, 'failed');
          el.src = url;
          this.tiles.set(url, (img = el));
          if (this.tiles.size > 600) this.tiles.delete(this.tiles.keys().next().value!);
        }
        if (img === 'failed' || !img.complete || img.naturalWidth === 0) continue;
        const [ax, ay] = this.project(latOf(y), lonOf(x));
        const [bx, by] = this.project(latOf(y + 1), lonOf(x + 1));
        ctx.drawImage(img, ax, ay, bx - ax, by - ay);
      }
    }
    // Darken the street map so route colours and labels keep their contrast.
    ctx.fillStyle = bg;
    ctx.globalAlpha = 0.45;
    ctx.fillRect(0, 0, this.width, this.height);
    ctx.globalAlpha = 1;
    return true;
  }

  private drawPoint(p: MapPoint, bg: string, selected: boolean): void {
    const ctx = this.ctx;
    const [x, y] = this.project(p.lat, p.lon);
    const r = (p.radius ?? 7) + (selected ? 3 : 0);
    if (p.headingDeg !== null && p.headingDeg !== undefined && Number.isFinite(p.headingDeg) && !p.muted) {
      const a = ((p.headingDeg - 90) * Math.PI) / 180;
      ctx.beginPath();
      ctx.moveTo(x + Math.cos(a) * (r + 7), y + Math.sin(a) * (r + 7));
      ctx.lineTo(x + Math.cos(a + 2.4) * r, y + Math.sin(a + 2.4) * r);
      ctx.lineTo(x + Math.cos(a - 2.4) * r, y + Math.sin(a - 2.4) * r);
      ctx.closePath();
      ctx.fillStyle = p.fill;
      ctx.fill();
    }
    if (p.ring) {
      ctx.beginPath();
      ctx.arc(x, y, r + 4, 0, Math.PI * 2);
      ctx.lineWidth = 3;
      ctx.strokeStyle = p.ring;
      ctx.stroke();
    }
    ctx.beginPath();
    ctx.arc(x, y, r, 0, Math.PI * 2);
    if (p.muted) {
      ctx.fillStyle = bg;
      ctx.fill();
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = p.fill;
      ctx.stroke();
    } else {
      ctx.fillStyle = p.fill;
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = p.stroke ?? bg;
      ctx.stroke();
    }
    if (selected) {
      ctx.beginPath();
      ctx.arc(x, y, r + 8, 0, Math.PI * 2);
      ctx.lineWidth = 3;
      ctx.strokeStyle = cssVar('--focus', '#ffd54a');
      ctx.stroke();
    }
  }

  private drawGrid(grid: string, gridText: string): void {
    const v = this.view;
    if (!v) return;
    const ctx = this.ctx;
    // one step for both axes, at least ~80 px apart on the narrower (longitude) axis
    const step = NICE_DEG.find((s) => s * v.k * v.cosLat >= 80) ?? 45;
    const latMin = v.lat0 - this.height / 2 / v.k;
    const latMax = v.lat0 + this.height / 2 / v.k;
    const lonMin = v.lon0 - this.width / 2 / (v.k * v.cosLat);
    const lonMax = v.lon0 + this.width / 2 / (v.k * v.cosLat);
    const decimals = Math.max(0, Math.ceil(-Math.log10(step)));
    ctx.lineWidth = 1;
    ctx.strokeStyle = grid;
    ctx.fillStyle = gridText;
    ctx.font = '12px system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif';
    ctx.textBaseline = 'top';
    ctx.beginPath();
    for (let lat = Math.ceil(latMin / step) * step; lat <= latMax; lat += step) {
      const [, y] = this.project(lat, v.lon0);
      ctx.moveTo(0, Math.round(y) + 0.5);
      ctx.lineTo(this.width, Math.round(y) + 0.5);
    }
    for (let lon = Math.ceil(lonMin / step) * step; lon <= lonMax; lon += step) {
      const [x] = this.project(v.lat0, lon);
      ctx.moveTo(Math.round(x) + 0.5, 0);
      ctx.lineTo(Math.round(x) + 0.5, this.height);
    }
    ctx.stroke();
    for (let lat = Math.ceil(latMin / step) * step; lat <= latMax; lat += step) {
      const [, y] = this.project(lat, v.lon0);
      if (y > 14 && y < this.height - 40) ctx.fillText(`${lat.toFixed(decimals)}°`, 4, y + 2);
    }
    for (let lon = Math.ceil(lonMin / step) * step; lon <= lonMax; lon += step) {
      const [x] = this.project(v.lat0, lon);
      if (x > 60 && x < this.width - 60) ctx.fillText(`${lon.toFixed(decimals)}°`, x + 3, 4);
    }
    ctx.strokeRect(0.5, 0.5, this.width - 1, this.height - 1);
  }

  private drawScale(fg: string, bg: string): void {
    const v = this.view;
    if (!v) return;
    const ctx = this.ctx;
    const pxPerM = v.k / M_PER_DEG_LAT;
    const meters = [...NICE_M].reverse().find((m) => m * pxPerM <= this.width / 4) ?? 50;
    const len = meters * pxPerM;
    const x = 14;
    const y = this.height - 18;
    ctx.fillStyle = bg;
    ctx.globalAlpha = 0.8;
    ctx.fillRect(x - 6, y - 20, len + 70, 30);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = fg;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, y - 5);
    ctx.lineTo(x, y);
    ctx.lineTo(x + len, y);
    ctx.lineTo(x + len, y - 5);
    ctx.stroke();
    ctx.fillStyle = fg;
    ctx.font = '12px system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif';
    ctx.textBaseline = 'bottom';
    const label = meters >= 1000 ? `${meters / 1000} ${t('unit.km')}` : `${meters} ${t('unit.m')}`;
    ctx.fillText(label, x + len + 6, y + 2);
    // north mark, top right
    const nx = this.width - 24;
    const ny = 30;
    ctx.beginPath();
    ctx.moveTo(nx, ny - 14);
    ctx.lineTo(nx + 7, ny + 4);
    ctx.lineTo(nx - 7, ny + 4);
    ctx.closePath();
    ctx.fill();
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    ctx.fillText(t('map.north'), nx, ny + 6);
    ctx.textAlign = 'start';
  }
}
