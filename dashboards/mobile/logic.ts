/** The page's pure parts: rounding the location, minutes, colours that read, fitting a map. */

/** 3 decimals (about 100 m): all the server needs for the nearest stops. */
export function roundLocation(lat: number, lon: number): { lat: number; lon: number } {
  return { lat: Math.round(lat * 1000) / 1000, lon: Math.round(lon * 1000) / 1000 };
}

/** Whole minutes left, or "arriving" under a minute (as the stop displays count). */
export function arrivalText(arrivalMs: number, nowMs: number): number | 'arriving' {
  const m = Math.floor((arrivalMs - nowMs) / 60_000);
  return m <= 0 ? 'arriving' : m;
}

function luminance(hex: string): number {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) return 0;
  const n = parseInt(m[1]!, 16);
  const ch = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * ch[0]! + 0.7152 * ch[1]! + 0.0722 * ch[2]!;
}

export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

/** The feed's text colour when it reads at WCAG AA (4.5:1) on the route colour, else black or white, whichever reads better. */
export function contrastText(background: string, preferred: string | null): string {
  if (preferred && contrast(background, preferred) >= 4.5) return preferred;
  return contrast(background, '#000000') >= contrast(background, '#ffffff') ? '#000000' : '#ffffff';
}

/** An equirectangular fit of [lat, lon] points into `width` (height follows), with a margin. */
export function fitProjection(points: ReadonlyArray<readonly [number, number]>, width: number, margin: number): { height: number; xy(lat: number, lon: number): [number, number] } {
  if (!points.length) return { height: width / 2, xy: () => [width / 2, width / 4] };
  let [minLat, maxLat, minLon, maxLon] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [la, lo] of points) {
    minLat = Math.min(minLat, la); maxLat = Math.max(maxLat, la);
    minLon = Math.min(minLon, lo); maxLon = Math.max(maxLon, lo);
  }
  const k = Math.cos(((minLat + maxLat) / 2) * (Math.PI / 180));
  const spanX = Math.max((maxLon - minLon) * k, 1e-6);
  const spanY = Math.max(maxLat - minLat, 1e-6);
  const scale = Math.min((width - 2 * margin) / spanX, (width * 1.2 - 2 * margin) / spanY);
  const height = Math.max(width * 0.5, spanY * scale + 2 * margin);
  const ox = (width - spanX * scale) / 2;
  const oy = (height - spanY * scale) / 2;
  return { height, xy: (lat, lon) => [ox + (lon - minLon) * k * scale, oy + (maxLat - lat) * scale] };
}
