/**
 * The accounting half of the energy domain: buildings, consumption rollups kept as readings
 * arrive, consumption by local hour, day and month, CSV imports. module.ts puts it together with
 * the live meters into the domain's module.
 */
import type { DomainContext, DomainModule } from '../platform/domain-module.ts';
import { BuildingRepository } from './buildings/building-repository.ts';
import { checkZone } from './consumption/local-time.ts';
import type { RegisterReading } from './consumption/registers.ts';
import { AnomalyRepository } from './anomalies/anomaly-repository.ts';
import { AnomalyScanner, SCAN_EVERY_MS } from './anomalies/anomaly-scanner.ts';
import { WeatherRepository } from './baseline/weather-repository.ts';
import { aggregateRoutes } from './http/aggregate-routes.ts';
import { anomalyRoutes } from './http/anomaly-routes.ts';
import { energyDomainRoutes } from './http/domain-routes.ts';
import { indicatorRoutes } from './http/indicator-routes.ts';
import { reportRoutes } from './http/report-routes.ts';
import { tariffRoutes } from './http/tariff-routes.ts';
import { ConsumptionQuery } from './rollups/consumption-query.ts';
import { ConsumptionRollups, type MeterRules } from './rollups/consumption-rollups.ts';
import { RollupQueue } from './rollups/rollup-queue.ts';
import { TariffRepository } from './tariffs/tariff-repository.ts';

export interface EnergyAccounting extends Pick<DomainModule, 'onAccepted' | 'keepEvent' | 'routes' | 'start' | 'close'> {
  /** Readings accepted and not rolled up yet. */
  waiting(): number;
  /** Rolls up every reading waiting (tests, imports). */
  flush(): number;
  /** Recomputes a meter's rollups from the history store's raw readings. */
  rebuildFromStore(meterId: string): Promise<number>;
  /** Settles when the start-up rebuild of meters without rollups is done. */
  readonly rebuilt: Promise<void>;
  /** Settles once the shared tables held in memory (buildings, anomalies, tariffs) are loaded. */
  readonly ready: Promise<void>;
}

export interface EnergyOptions {
  /** how long accepted readings wait before they are rolled up */
  flushMs?: number;
  /** how often anomalies are looked for */
  scanEveryMs?: number;
}

export function createEnergyAccounting(ctx: DomainContext, options: EnergyOptions = {}): EnergyAccounting {
  const tz = ctx.city.tz;
  checkZone(tz);
  const log = ctx.logger.child({ part: 'energy' });
  // Tables come from ENERGY_MIGRATIONS, which the hub applies before it builds the module.
  const rollups = new ConsumptionRollups(ctx.db, tz);
  // Buildings, anomalies and tariffs are shared in a cluster (ctx.tables); rollups and weather are each
  // instance's own, fed by every accepted reading (docs/scale-out.md §5).
  const sharedError = (err: Error) => log.warn({ err: err.message }, 'energy shared tables');
  const buildings = new BuildingRepository(ctx.tables, ctx.now, sharedError);
  const tariffs = new TariffRepository(ctx.tables, ctx.now, sharedError);
  const consumption = new ConsumptionQuery(rollups, tz, tariffs);
  const weather = new WeatherRepository(ctx.db);
  const anomalies = new AnomalyRepository(ctx.tables, ctx.now, sharedError);
  const ready = Promise.all([buildings.load(), anomalies.load(), tariffs.load()]).then(() => {});
  const scanner = new AnomalyScanner({ devices: ctx.devices, rollups, repo: anomalies, weather, tz, now: ctx.now });
  let scanTimer: NodeJS.Timeout | undefined;

  const rulesOf = (meterId: string, readings: readonly RegisterReading[]): MeterRules | undefined => {
    const device = ctx.devices.get(meterId);
    const unit = device?.unit ?? readings[readings.length - 1]?.unit ?? rollups.rulesOf(meterId)?.unit;
    return unit ? { unit, multiplier: device?.multiplier ?? 1 } : undefined;
  };
  const queue = new RollupQueue(rollups, rulesOf, (err, meterId) => log.error({ err: err.message, meterId }, 'rolling up readings failed'), options.flushMs);

  async function rebuildFromStore(meterId: string): Promise<number> {
    const points = await ctx.store.range({ measurement: 'energy_reading', tags: { device: meterId }, from: 0, to: ctx.now() + 86_400_000 });
    const readings: RegisterReading[] = [];
    for (const p of points) {
      const { value, unit } = p.fields;
      if (typeof value === 'number' && typeof unit === 'string') readings.push({ ts: p.ts, value, unit: unit as RegisterReading['unit'] });
    }
    const rules = rulesOf(meterId, readings);
    if (rules && readings.length) {
      rollups.apply(meterId, readings, rules);
      rollups.recomputeAll(meterId, rules);
    }
    return readings.length;
  }

  let markRebuilt: () => void = () => {};
  const rebuilt = new Promise<void>((resolve) => (markRebuilt = resolve));

  return {
    onAccepted(message, device) {
      if (message.channel !== 'energy-reading' || device.kind !== 'energy-meter') return;
      queue.offer(device.id, { ts: message.ts, value: message.payload.value, unit: message.payload.unit });
    },
    keepEvent(message, device) {
      if (message.channel !== 'weather' || device.kind !== 'weather-station') return false;
      weather.keep(device.id, message.ts, message.payload.temperatureC);
      return true;
    },
    routes: async (app) => {
      await app.register(energyDomainRoutes({ ctx, buildings, consumption, flush: () => queue.flush() }));
      await app.register(indicatorRoutes({ ctx, buildings, consumption, weather }));
      await app.register(reportRoutes({ ctx, buildings, consumption, weather, anomalies }));
      await app.register(tariffRoutes({ ctx, tariffs }));
      await app.register(aggregateRoutes({ ctx, buildings, consumption, flush: () => queue.flush() }));
      await app.register(anomalyRoutes({ ctx, repo: anomalies, scanner, flush: () => queue.flush() }));
    },
    waiting: () => queue.waiting,
    async start() {
      // Meters whose readings are in the history store but not in the rollups (first start of
      // this version, a restored store): rebuilt one after another, in the background.
      void (async () => {
        for (const meter of ctx.devices.list({ kind: 'energy-meter' })) {
          if (rollups.hasReadings(meter.id)) continue;
          try {
            const n = await rebuildFromStore(meter.id);
            if (n) log.info({ meterId: meter.id, readings: n }, 'energy rollups rebuilt from history');
          } catch (err) {
            log.warn({ meterId: meter.id, err: (err as Error).message }, 'energy rollups could not be rebuilt from history');
          }
        }
      })().finally(markRebuilt);
      // Anomaly detection runs once across a cluster: on the holder of this lease.
      const scanLease = ctx.lease('anomaly-scan');
      scanTimer = setInterval(() => {
        const failed = (err: Error) => log.error({ err: err.message }, 'anomaly scan failed');
        try {
          queue.flush();
          if (!scanLease.isHolder()) return;
          scanner.scanRecent().then((found) => {
            if (found) log.info({ found }, 'energy anomalies found');
          }, failed);
        } catch (err) {
          failed(err as Error);
        }
      }, options.scanEveryMs ?? SCAN_EVERY_MS);
      scanTimer.unref();
    },
    async close() {
      if (scanTimer) clearInterval(scanTimer);
      queue.flush();
      buildings.close();
      anomalies.close();
      tariffs.close();
    },
    flush: () => queue.flush(),
    rebuildFromStore,
    rebuilt,
    ready,
  };
}
