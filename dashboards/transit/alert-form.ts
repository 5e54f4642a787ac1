/**
 * Pure helpers of the service-alert editor: the city's wall-clock time (a `datetime-local`
 * value) to a UTC instant and back, right across DST, and REST issues sorted to the form's
 * fields. No DOM here.
 */

/** The offset (ms, local minus UTC) of `zone` at the instant `ms`. */
function offsetMs(zone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(ms));
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - Math.floor(ms / 1000) * 1000;
}

/**
 * `2026-11-27T08:00` in `zone` → ISO 8601 UTC; '' → null. A time skipped by the spring change
 * is taken after the change; a repeated autumn hour, its first occurrence.
 */
export function localToIso(value: string, zone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // The offset before and after the wall time: try the earlier one first (the first occurrence).
  const candidates = [...new Set([offsetMs(zone, wall - 86_400_000 / 2), offsetMs(zone, wall + 86_400_000 / 2)])].sort((a, b) => b - a);
  for (const off of candidates) {
    const utc = wall - off;
    if (offsetMs(zone, utc) === off) return new Date(utc).toISOString();
  }
  // In the spring gap: the same wall time with the offset in force before it, i.e. after the change.
  return new Date(wall - candidates[candidates.length - 1]!).toISOString();
}

/** ISO instant → `YYYY-MM-DDTHH:MM` in `zone` (for a `datetime-local` input); null → ''. */
export function isoToLocal(iso: string | null, zone: string): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const local = new Date(ms + offsetMs(zone, ms));
  return local.toISOString().slice(0, 16);
}

/** Today in `zone` as YYYY-MM-DD. */
export function localDate(ms: number, zone: string): string {
  return new Date(ms + offsetMs(zone, ms)).toISOString().slice(0, 10);
}

/** The form's fields a REST issue may name. */
export const ALERT_FIELDS = ['routeIds', 'stopIds', 'start', 'end', 'header.uk', 'header.en', 'description.uk', 'description.en'] as const;
export type AlertField = (typeof ALERT_FIELDS)[number];

/**
 * Sorts `issues` (`{field, reason}`, field like `header.uk`, `routeIds.2`, `body.end`) to the
 * form's fields; what names none of them goes under `form`.
 */
export function issuesByField(issues: readonly { field: string; reason: string }[]): Map<AlertField | 'form', string[]> {
  const out = new Map<AlertField | 'form', string[]>();
  for (const { field, reason } of issues) {
    const path = field.replace(/^body\.?/, '');
    const target = ALERT_FIELDS.find((f) => path === f || path.startsWith(`${f}.`)) ?? (path === 'header' ? 'header.uk' : path === 'description' ? 'description.uk' : 'form');
    const list = out.get(target) ?? out.set(target, []).get(target)!;
    list.push(target === 'form' && path ? `${path}: ${reason}` : reason);
  }
  return out;
}
