/**
 * `npm run bench:cluster`: one hub instance against two (REDIS_URL: embedded brokers as one, the
 * peer feed), on this machine, with the bench's own load generator. Each configuration gets the
 * same trackers (half on each instance when there are two) and the same open-loop rates; for each
 * step the table gives acknowledged msgs/s, whether the step kept up (acknowledged and stored at
 * most 10 % behind, nothing lost), and CPU: the hubs', Redis', and the hubs' CPU per message.
 * On two cores two instances share the same two cores, so the figure that carries over to bigger
 * machines is CPU per message (docs/scale-out.md, "Bench").
 *
 * Options: --rates 2000,5000,10000 (msgs/s, total), --step 8 (seconds), --devices 1000.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startInfluxd } from '../support/influxd.ts';
import { startRedis } from '../support/redis.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { fmt, table } from './format.ts';
import { GeneratorPool } from './generators.ts';
import { registerDevices, startHubProcess, type HubProcess } from './hub-process.ts';
import { countPositions, createDatabase } from './influx.ts';
import { REPO, childPidsNamed, sleep, waitFor } from './processes.ts';
import { ProcSampler } from './procstat.ts';
import { benchCommands, requirePackages, resolveCommand } from './requirements.ts';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const RATES = arg('rates', '2000,5000,10000').split(',').map(Number);
const STEP_S = Number(arg('step', '8'));
const DEVICES = Number(arg('devices', '1000'));
/** as `npm run bench`: a step kept up when acknowledged and stored at most this share behind */
const KEEP_PACE_SHARE = 0.1;

const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

interface Step {
  instances: number;
  rate: number;
  ackedPerS: number;
  keptUp: boolean;
  lost: number;
  hubCpuPct: number;
  redisCpuPct: number;
  hubCpuUsPerMsg: number;
}

function copyRegistry(fromDir: string, toDir: string): void {
  const db = new Database(join(fromDir, 'registry.sqlite'), { readonly: true });
  db.exec(`VACUUM INTO '${join(toDir, 'registry.sqlite').replace(/'/g, "''")}'`);
  db.close();
}

async function main(): Promise<void> {
  if (!requirePackages('npm run bench:cluster', [...benchCommands({ influxd: true, mosquitto: false }), 'redis-server']).ok) {
    process.exitCode = 1;
    return;
  }
  const startedMs = Date.now();
  const work = makeTempDir('bench-cluster');
  const influx = await startInfluxd({ binary: resolveCommand('influxd') });
  const redis = await startRedis();
  const sampler = new ProcSampler();
  sampler.start();
  const steps: Step[] = [];
  try {
    for (const instances of [1, 2]) {
      const db = `cluster${instances}`;
      await createDatabase(influx.url, db);
      const hubs: HubProcess[] = [];
      const pools: GeneratorPool[] = [];
      try {
        const env = (id: string): Record<string, string> => (instances > 1 ? { REDIS_URL: redis.url, HUB_INSTANCE_ID: id } : { HUB_INSTANCE_ID: id });
        log(`${instances} instance(s): starting hub a`);
        hubs.push(await startHubProcess({ work: work.path, name: `c${instances}-a`, influxUrl: influx.url, influxDb: db, profile: false, log, env: env('a') }));
        log(`registering ${DEVICES} trackers`);
        const devices = await registerDevices(hubs[0]!, DEVICES);
        if (instances > 1) {
          const dirB = join(work.path, `c${instances}-b`);
          mkdirSync(dirB, { recursive: true });
          copyRegistry(hubs[0]!.dataDir, dirB);
          log('starting hub b on a copy of the registry');
          hubs.push(await startHubProcess({ work: work.path, name: `c${instances}-b`, influxUrl: influx.url, influxDb: db, profile: false, log, env: env('b') }));
        }
        for (const [i, hub] of hubs.entries()) {
          pools.push(await GeneratorPool.start(1, devices.filter((d) => d.index % hubs.length === i), hub.mqttPort, `c${instances}${i}-`, REPO));
        }
        sampler.setRole('hubs', hubs.map((h) => h.child.pid));
        sampler.setRole('redis', childPidsNamed('redis-server'));
        for (const rate of RATES) {
          log(`${instances} instance(s): ${fmt(rate)} msgs/s for ${STEP_S} s`);
          const window = sampler.begin(['hubs', 'redis']);
          const runs = await Promise.all(pools.map((p) => p.run({ mode: 'open', window: 0, rate: rate / pools.length, durationMs: STEP_S * 1000, tsBase: 0, record: false, settleMs: 30_000 })));
          const cpu = window.end();
          const published = runs.reduce((n, r) => n + r.published, 0);
          const acked = runs.reduce((n, r) => n + r.acked, 0);
          const ackedInWindow = runs.reduce((n, r) => n + r.ackedInWindow, 0);
          const tsMin = Math.min(...runs.map((r) => r.tsMin));
          const tsMax = Math.max(...runs.map((r) => r.tsMax));
          await waitFor(async () => (await countPositions(influx.url, db, tsMin, tsMax)).total >= acked, 60_000, 1000);
          const stored = (await countPositions(influx.url, db, tsMin, tsMax)).total;
          const lost = Math.max(0, acked - stored);
          const failed = runs.reduce((n, r) => n + r.failed + r.skipped, 0);
          const hubCpuPct = cpu.hubs?.cpuPct ?? Number.NaN;
          const step: Step = {
            instances, rate,
            ackedPerS: Math.round(ackedInWindow / STEP_S),
            keptUp: lost === 0 && failed === 0 && ackedInWindow >= published * (1 - KEEP_PACE_SHARE),
            lost,
            hubCpuPct: Math.round(hubCpuPct),
            redisCpuPct: Math.round(cpu.redis?.cpuPct ?? Number.NaN),
            // CPU seconds of every hub over the step, per message acknowledged in it.
            hubCpuUsPerMsg: ackedInWindow ? Math.round(((hubCpuPct / 100) * STEP_S * 1e6) / ackedInWindow) : Number.NaN,
          };
          steps.push(step);
          log(`  acked ${fmt(step.ackedPerS)}/s, ${step.keptUp ? 'kept up' : 'did not keep up'}, lost ${lost}; hubs ${step.hubCpuPct} % CPU, redis ${step.redisCpuPct} %, ${step.hubCpuUsPerMsg} µs/msg`);
          await sleep(2000);
        }
      } finally {
        for (const p of pools) await p.close();
        for (const h of hubs) await h.child.stop(15_000);
      }
    }
  } finally {
    sampler.stop();
    await redis.stop();
    await influx.stop();
    work.remove();
  }
  console.log(`\n${table([
    ['instances', 'rate msgs/s', 'acked msgs/s', 'kept up', 'lost', 'hubs CPU %', 'redis CPU %', 'hub CPU µs/msg'],
    ...steps.map((s) => [String(s.instances), fmt(s.rate), fmt(s.ackedPerS), s.keptUp ? 'yes' : 'no', String(s.lost), String(s.hubCpuPct), String(s.redisCpuPct), String(s.hubCpuUsPerMsg)]),
  ])}`);
  console.log(JSON.stringify({ bench: 'cluster', cores: cpus().length, devices: DEVICES, stepS: STEP_S, wallS: Math.round((Date.now() - startedMs) / 1000), steps }));
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
});
