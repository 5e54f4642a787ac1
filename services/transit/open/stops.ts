/**
 * Stops for passengers: the nearest to a rounded location, and a search by name in Ukrainian
 * or English. Pure functions of the stops list.
 */
/** What a stop needs here: the rest is carried through. */
export interface NamedPlace {
  stopId: string;
  name: string;
  names?: Record<string, string>;
  lat: number;
  lon: number;
}

/** A location is accepted to 3 decimals (about 100 m): no more precise than that reaches a lookup. */
export const NEAR_DECIMALS = 3;

export type NearParse = { ok: true; lat: number; lon: number } | { ok: false; reason: string };

/**
 * `"48.517,32.284"` → rounded to 3 decimals. More decimals are refused: the phone rounds before
 * it asks, so that a precise location is never sent.
 */
export function parseNear(text: string): NearParse {
  const m = /^\s*(-?\d{1,3}(?:\.(\d+))?)\s*,\s*(-?\d{1,3}(?:\.(\d+))?)\s*$/.exec(text);
  if (!m) return { ok: false, reason: 'expected "lat,lon" in decimal degrees, e.g. 48.514,32.262' };
  if ((m[2]?.length ?? 0) > NEAR_DECIMALS || (m[4]?.length ?? 0) > NEAR_DECIMALS) {
    return { ok: false, reason: `at most ${NEAR_DECIMALS} decimals (about 100 m): round the location before sending it` };
  }
  const lat = roundTo(Number(m[1]), NEAR_DECIMALS);
  const lon = roundTo(Number(m[3]), NEAR_DECIMALS);
  if (Math.abs(lat) > 90) return { ok: false, reason: 'latitude must be within ±90' };
  if (Math.abs(lon) > 180) return { ok: false, reason: 'longitude must be within ±180' };
  return { ok: true, lat, lon };
}

export const roundTo = (x: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};

/** Great-circle distance in metres. */
export function distanceM(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const rad = Math.PI / 180;
  const dLat = (bLat - aLat) * rad;
  const dLon = (bLon - aLon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The `limit` stops nearest to (lat, lon), nearest first, with the distance rounded to 10 m. */
export function nearestStops<S extends NamedPlace>(stops: readonly S[], lat: number, lon: number, limit: number, withinM = 5_000): Array<S & { distanceM: number }> {
  return stops
    .map((s) => ({ ...s, distanceM: Math.round(distanceM(lat, lon, s.lat, s.lon) / 10) * 10 }))
    .filter((s) => s.distanceM <= withinM)
    .sort((a, b) => a.distanceM - b.distanceM || a.stopId.localeCompare(b.stopId))
    .slice(0, limit);
}

/** Lower case, one kind of apostrophe, no punctuation, single spaces: "Балка, ринок" → "балка ринок". */
export function normalizeName(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFC')
    .replace(/[’ʼ'`´]/g, "'")
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Stops whose name (in any language the feed gives) contains every word of the query; names
 * that start with the query first, then by name.
 */
export function searchStops<S extends NamedPlace>(stops: readonly S[], query: string, limit: number): S[] {
  const q = normalizeName(query);
  if (!q) return [];
  const words = q.split(' ');
  const scored: Array<{ s: S; rank: number }> = [];
  for (const s of stops) {
    const names = [s.name, ...Object.values(s.names ?? {})].map(normalizeName);
    if (!names.some((n) => words.every((w) => n.includes(w)))) continue;
    const rank = names.some((n) => n.startsWith(q)) ? 0 : names.some((n) => n.split(' ').some((p) => p.startsWith(words[0]!))) ? 1 : 2;
    scored.push({ s, rank });
  }
  return scored.sort((a, b) => a.rank - b.rank || a.s.name.localeCompare(b.s.name, 'uk')).slice(0, limit).map((x) => x.s);
}
