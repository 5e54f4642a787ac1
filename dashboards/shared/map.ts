/**
 * A schematic map on <canvas>: no tiles (the hub may run offline), a light grid in degrees,
 * a scale bar and a north mark; points projected from WGS 84 with an equirectangular
 * projection around the view's mid-latitude. The view fits the points and re-fits only when
 * a point leaves it, the filter changes or the user asks, so markers do not jump.
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
    for (const p of this.points) {
      if (!Number.isFinite(p.lat) || !Number.isFinite(p.lon)) continue;
      minLat = Math.min(minLat, p.lat);
      maxLat = Math.max(maxLat, p.lat);
      minLon = Math.min(minLon, p.lon);
      maxLon = Math.max(maxLon, p.lon);
    }
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
    this.drawGrid(grid, gridText);
    this.drawScale(fg, bg);

    const font = '600 14px system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif';
    ctx.font = font;
    ctx.textBaseline = 'middle';
    const ordered = [...this.points].sort((a, b) => Number(b.muted ?? false) - Number(a.muted ?? false));
    const showLabels = this.points.length <= 250;
    let selectedPoint: MapPoint | null = null;
    for (const p of ordered) {
      if (p.id === this.selected) {
        selectedPoint = p;
        continue;
      }
      this.drawPoint(p, bg, showLabels, false);
    }
    if (selectedPoint) this.drawPoint(selectedPoint, bg, true, true);
  }

  private drawPoint(p: MapPoint, bg: string, showLabel: boolean, selected: boolean): void {
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
    if (showLabel && p.label) {
      const w = ctx.measureText(p.label).width;
      const tx = x + r + 5 + w > this.width - 4 ? x - r - 5 - w : x + r + 5;
      ctx.fillStyle = bg;
      ctx.globalAlpha = 0.8;
      ctx.fillRect(tx - 2, y - 10, w + 4, 20);
      ctx.globalAlpha = 1;
      ctx.fillStyle = p.labelColor ?? cssVar('--fg', '#eef3f7');
      ctx.fillText(p.label, tx, y);
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
