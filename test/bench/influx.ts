/** The few InfluxQL questions the bench asks influxd (v1 HTTP API). */

interface Series {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
}

interface Answer {
  results?: { series?: Series[]; error?: string }[];
  error?: string;
}

export async function influxQuery(url: string, db: string | undefined, q: string): Promise<Series[]> {
  const form = new URLSearchParams({ q, epoch: 'ms' });
  if (db) form.set('db', db);
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json()) as Answer;
  const error = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || error) throw new Error(`InfluxDB query "${q}" failed: HTTP ${res.status} ${error ?? ''}`);
  return body.results?.[0]?.series ?? [];
}

export async function createDatabase(url: string, db: string): Promise<void> {
  await influxQuery(url, undefined, `CREATE DATABASE "${db}"`);
}

/**
 * Points of measurement `position` with ts in [fromMs, toMs], per device tag. Each message
 * is one point with a `lat` field, so count(lat) is the number of stored messages.
 */
export async function countPositions(url: string, db: string, fromMs: number, toMs: number): Promise<{ total: number; byDevice: Map<string, number> }> {
  const series = await influxQuery(url, db, `SELECT count(lat) FROM position WHERE time >= ${Math.floor(fromMs)}ms AND time <= ${Math.ceil(toMs)}ms GROUP BY device`);
  const byDevice = new Map<string, number>();
  let total = 0;
  for (const s of series) {
    const n = Number(s.values?.[0]?.[1] ?? 0);
    byDevice.set(s.tags?.device ?? '', n);
    total += n;
  }
  return { total, byDevice };
}
