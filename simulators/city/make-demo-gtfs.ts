/**
 * Writes the demo city's GTFS feed (DEMO data) to simulators/city/demo-gtfs/ and checks it with
 * the hub's loader: `npx tsx simulators/city/make-demo-gtfs.ts`. Run it after changing the
 * routes, the traffic curves or the timetable rules, and commit the folder.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue } from '../../services/transit/gtfs/load.ts';
import { loadGtfsPath } from '../../services/transit/gtfs/read.ts';
import { DEMO_GTFS_DIR, demoGtfsFiles } from './demo-gtfs.ts';

const files = demoGtfsFiles();
mkdirSync(DEMO_GTFS_DIR, { recursive: true });
for (const f of readdirSync(DEMO_GTFS_DIR)) if (f.endsWith('.txt')) rmSync(join(DEMO_GTFS_DIR, f));
for (const [name, text] of Object.entries(files)) writeFileSync(join(DEMO_GTFS_DIR, name), text);

const result = loadGtfsPath(DEMO_GTFS_DIR);
if (!result.ok) {
  for (const e of result.errors) console.error(formatIssue(e));
  process.exit(1);
}
for (const w of result.warnings) console.warn(formatIssue(w));
const f = result.feed;
const blocks = new Map<string, Set<string>>();
for (const t of f.trips.values()) {
  if (!blocks.has(t.routeId)) blocks.set(t.routeId, new Set());
  blocks.get(t.routeId)!.add(t.blockId ?? t.tripId);
}
console.log(`demo GTFS written to ${DEMO_GTFS_DIR}: ${f.routes.size} routes, ${f.stops.size} stops, ${f.trips.size} trips, ${[...f.stopTimes.values()].reduce((s, l) => s + l.length, 0)} stop times`);
console.log(`blocks per route: ${[...blocks].map(([r, b]) => `${r} ${b.size}`).join(', ')}`);
