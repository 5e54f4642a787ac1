import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { buildDashboards } from '../../dashboards/build.ts';
import { startGt06Gateway, startTeltonikaGateway, startWialonGateway, type TrackerLookup } from '../../gateways/index.ts';
import type { Health } from '../contracts/index.ts';
import type { Settings } from '../config/settings.ts';
import { prepareDataDir } from '../config/data-dir.ts';
import { AuthThrottle } from '../broker/auth-throttle.ts';
import { aedesBackends } from '../broker/backends.ts';
import { createBroker } from '../broker/broker.ts';
import { startDeviceLoginSync } from '../uplink/dynsec.ts';
import { connectExternalBroker } from '../uplink/external-broker.ts';
import { buildApp } from '../http/app.ts';
import { authPolicy } from '../http/auth.ts';
import { Backpressure, DEFAULT_LIMITS, withSpoolLimit, type BackpressureLimits } from '../ingest/backpressure.ts';
import { DeadLetters } from '../ingest/dead-letters.ts';
import { HistoryWriter } from '../ingest/history-writer.ts';
import { IngestPipeline } from '../ingest/pipeline.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { watchSessions } from '../realtime/session-watch.ts';
import { startRealtime } from '../realtime/socket-server.ts';
import { Accounts } from '../registry/accounts.ts';
import { AuditLog } from '../registry/audit-log.ts';
import { applyDomainMigrations } from '../registry/database.ts';
import { applySharedMigrations } from '../registry/shared-migrations.ts';
import { openRegistry } from '../registry/open-registry.ts';
import { DeviceRegistry } from '../registry/devices.ts';
import { newSecret } from '../registry/secrets.ts';
import { Spool } from '../spool/index.ts';
import { createHistoryStore } from '../store/create-store.ts';
import type { StoreStatus } from '../store/history-store.ts';
import type { Domain, DomainContext, DomainModule } from '../platform/domain-module.ts';
import { Leases, MemoryLeaseStore } from '../platform/lease.ts';
import { RedisLeaseStore } from '../platform/lease-redis.ts';
import { PostgresLeaseStore } from '../platform/lease-postgres.ts';
import { startRedisPeerFeed } from '../ingest/peer-feed.ts';
import { DOMAINS } from './domains.ts';

export const VERSION = '0.1.0';

export interface HubOptions {
  logger?: Logger;
  now?: () => number;
  /** Build and serve the dashboards (default true; tests of the API alone skip the bundling). */
  dashboards?: boolean;
  /** When intake slows down (default DEFAULT_LIMITS). */
  backpressure?: BackpressureLimits;
  /** The cap of the history writer's retry backoff while the store fails (default 30 s; tests of an outage shorten it). */
  storeRetryMaxMs?: number;
  /** The domains to run (default DOMAINS: transit, lighting, energy). */
  domains?: readonly Domain[];
}

export interface Hub {
  ports: { http: number; mqtt: number; teltonika: number; teltonikaUdp: number; wialon: number; gt06: number };
  /** The admin token, when this start generated it (first start without HUB_ADMIN_TOKEN). */
  generatedAdminToken: string | undefined;
  devices: DeviceRegistry;
  accounts: Accounts;
  health(): Promise<Health>;
  close(): Promise<void>;
}

/**
 * The admin token: HUB_ADMIN_TOKEN when set; otherwise generated on first start and kept in
 * HUB_DATA_DIR/admin-token (mode 600), so the operator can read it again.
 */
async function bootstrapAdmin(settings: Settings, dataDir: string, accounts: Accounts): Promise<string | undefined> {
  if (settings.HUB_ADMIN_TOKEN) {
    await accounts.setAdminToken(settings.HUB_ADMIN_TOKEN);
    return undefined;
  }
  const file = join(dataDir, 'admin-token');
  if ((await accounts.hasAdminToken()) && existsSync(file)) return undefined;
  const token = `mh_${newSecret()}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  await accounts.setAdminToken(token);
  return token;
}

export function readAdminToken(dataDir: string): string | undefined {
  const file = join(resolve(dataDir), 'admin-token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

export async function startHub(settings: Settings, options: HubOptions = {}): Promise<Hub> {
  const logger = options.logger ?? createLogger(settings.LOG_LEVEL);
  const now = options.now ?? Date.now;
  const dataDir = resolve(settings.HUB_DATA_DIR);
  const metrics = createMetrics();
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) {
      try {
        await c();
      } catch (err) {
        logger.warn({ err }, 'while closing');
      }
    }
  };

  try {
    const dataDirReport = prepareDataDir(dataDir);
    if (dataDirReport.tightenedFrom) logger.warn({ dataDir, was: dataDirReport.tightenedFrom }, 'data folder was open to other users; now 700');
    const registryLog = logger.child({ part: 'registry' });
    const registryError = (err: Error, what?: string) => registryLog.warn({ err: err.message, what }, 'registry database trouble');
    const opened = await openRegistry({ dataDir, databaseUrl: settings.DATABASE_URL, onError: registryError });
    closers.push(() => opened.close());
    // The dead letters and the domains' per-instance tables stay in this instance's SQLite file;
    // the domains' shared tables go where the registry is (docs/scale-out.md §5, §6).
    const db = opened.local;
    const audit = new AuditLog(opened.registry, now, registryError);
    closers.push(() => audit.flush());
    const devices = await DeviceRegistry.open(opened.registry, audit, now, registryError);
    const accounts = await Accounts.open(opened.registry, audit, now, registryError);
    const deadLetters = new DeadLetters(db, now);
    const generatedAdminToken = await bootstrapAdmin(settings, dataDir, accounts);

    const store = createHistoryStore(settings, { dataDir, logger: logger.child({ part: 'store' }) });
    closers.push(() => store.close());
    await store.init().catch((err: Error) => {
      // The spool keeps everything while the store is away; the writer retries.
      logger.warn({ err: err.message }, 'history store not reachable at start; the spool keeps data until it is');
    });

    const spool = await Spool.open({ dir: join(dataDir, 'spool'), maxBacklogBytes: settings.SPOOL_MAX_BYTES, logger: logger.child({ part: 'spool' }) });
    closers.push(() => spool.close());

    const backpressure = new Backpressure(now, withSpoolLimit(options.backpressure ?? DEFAULT_LIMITS, settings.SPOOL_MAX_BYTES), (state) => {
      metrics.throttled.set(state.throttled ? 1 : 0);
      if (state.throttled) logger.warn({ reason: state.reason }, 'intake slowed down (backpressure)');
      else logger.info('intake back to full speed');
    });
    const pipeline = new IngestPipeline({
      lookupDevice: (id) => devices.get(id), journal: spool, deadLetters, metrics, logger, now,
      admission: {
        admit: () => {
          const wait = backpressure.admit();
          if (wait) metrics.throttleWaits.inc();
          return wait;
        },
        done: () => backpressure.done(),
      },
    });

    const writer = new HistoryWriter(spool, store, {
      metrics, logger, now,
      ...(options.storeRetryMaxMs !== undefined ? { maxBackoffMs: options.storeRetryMaxMs } : {}),
      // `point` is the record's raw text when it does not even parse.
      onUnstorable: (point, detail, reason) =>
        pipeline.reject({
          source: 'history-writer', reason, detail,
          deviceId: typeof point === 'string' ? '' : point.tags.device ?? '', payload: typeof point === 'string' ? point : JSON.stringify(point),
        }),
    });
    writer.start();
    closers.push(() => writer.stop());

    const backends = aedesBackends(settings.MQTT_URL ? { HUB_INSTANCE_ID: settings.HUB_INSTANCE_ID } : settings, logger.child({ part: 'mqtt' }));
    closers.push(() => backends.close());
    // MQTT_URL: devices connect to an external broker and no broker is embedded (docs/scale-out.md).
    const broker = settings.MQTT_URL
      ? await connectExternalBroker({
          url: settings.MQTT_URL, username: settings.MQTT_USERNAME, password: settings.MQTT_PASSWORD, instanceId: settings.HUB_INSTANCE_ID,
          devices, ingest: pipeline, metrics, logger: logger.child({ part: 'mqtt' }), now,
        })
      : await createBroker({
          backends,
          devices, accounts, ingest: pipeline, metrics, logger: logger.child({ part: 'mqtt' }), now,
          // While admissions are delayed, not during the hold after it (which health shows): a
          // short turn in the hold leaves PUBACKs behind just as traffic comes back after a spike.
          throttled: () => backpressure.state.delayMs > 0,
          trustProxy: settings.TRUST_PROXY,
        });
    closers.push(() => broker.close());
    if (settings.MQTT_URL) {
      const dynsec = await startDeviceLoginSync({ url: settings.MQTT_URL, username: settings.MQTT_USERNAME, password: settings.MQTT_PASSWORD, instanceId: settings.HUB_INSTANCE_ID, logger: logger.child({ part: 'mqtt' }), devices });
      if (dynsec) closers.push(() => dynsec.close());
    }
    const mqttPort = await broker.listen(settings.MQTT_PORT, settings.HTTP_HOST);

    // The domains: each gets narrow ports and hands back what it contributes.
    const auth = authPolicy(accounts);
    const context: Omit<DomainContext, 'lease'> = {
      logger, metrics, now, auth, store, devices, audit, db, tables: opened.registry, ingest: pipeline, dataDir,
      publish: (topic, payload) => broker.publish(topic, payload),
      city: { tz: settings.CITY_TZ, lat: settings.CITY_LAT, lon: settings.CITY_LON },
      settings,
    };
    // Leases in Redis when there is one; else in the shared PostgreSQL (instances sharing a database
    // must not each run the run-once work); alone, in memory.
    const leaseStore = settings.REDIS_URL
      ? new RedisLeaseStore(settings.REDIS_URL, (err) => logger.warn({ err: err.message }, 'redis (leases) unreachable; retrying'))
      : opened.registry.dialect === 'postgres' ? new PostgresLeaseStore(opened.registry) : new MemoryLeaseStore(now);
    const leasesIn = settings.REDIS_URL ? 'Redis' : opened.registry.dialect === 'postgres' ? 'PostgreSQL' : 'memory';
    const leases = new Leases({ store: leaseStore, holder: settings.HUB_INSTANCE_ID, now, logger: logger.child({ part: 'lease' }), ttlMs: settings.LEASE_TTL_MS });
    closers.push(() => leases.close());
    const modules: DomainModule[] = [];
    for (const domain of options.domains ?? DOMAINS) {
      applyDomainMigrations(db, domain.migrations ?? [], now);
      await applySharedMigrations(opened.registry, domain.migrations ?? [], now);
      const module = await domain.create({ ...context, logger: logger.child({ part: domain.name }), lease: (name) => leases.lease(`${domain.name}:${name}`) });
      modules.push(module);
      for (const spec of module.measurements ?? []) store.registerMeasurement(spec);
      closers.push(() => module.close?.());
    }
    const listeners = modules.flatMap((m) => (m.onAccepted ? [m.onAccepted.bind(m)] : []));
    pipeline.onAccepted((message, device, receivedMs) => {
      for (const listener of listeners) listener(message, device, receivedMs);
    });
    const keepers = modules.flatMap((m) => (m.keepEvent ? [m.keepEvent.bind(m)] : []));
    pipeline.keepEventsWith((message, device, receivedMs, from) => {
      for (const keep of keepers) {
        const kept = keep(message, device, receivedMs, from);
        if (kept) return kept;
      }
      return false;
    });
    // With REDIS_URL, every instance replays what the others accepted into its live views and
    // domain state (services/ingest/peer-feed.ts); each message is stored by its receiver only.
    if (settings.REDIS_URL) {
      const peers = await startRedisPeerFeed({ url: settings.REDIS_URL, instanceId: settings.HUB_INSTANCE_ID, logger: logger.child({ part: 'peers' }), deliver: (items) => pipeline.acceptFromPeer(items) });
      pipeline.shareWith((items) => peers.share(items));
      closers.push(() => peers.close());
    }
    // Live state from the store's latest points, so a restart does not show an empty map.
    for (const module of modules) {
      await module.seed?.(store).catch((err: Error) => logger.warn({ err: err.message, domain: module.name }, 'could not seed live state from the store'));
    }

    // Tracker gateways run in the hub by default; gateways/main.ts runs one on an edge server instead.
    const lookupTracker: TrackerLookup = (protocol, loginId) => {
      const device = devices.findByLoginId(protocol, loginId);
      return device && device.enabled && device.kind === 'tracker' ? { deviceId: device.id } : null;
    };
    const gatewayOptions = { host: settings.HTTP_HOST, ingest: pipeline, lookupTracker, logger: logger.child({ part: 'gateway' }), registry: metrics.registry, now };
    const teltonika = await startTeltonikaGateway({ ...gatewayOptions, port: settings.TELTONIKA_PORT });
    closers.push(() => teltonika.close());
    const wialon = await startWialonGateway({ ...gatewayOptions, port: settings.WIALON_PORT });
    closers.push(() => wialon.close());
    const gt06 = await startGt06Gateway({ ...gatewayOptions, port: settings.GT06_PORT });
    closers.push(() => gt06.close());

    // The store is asked on a timer, not per health request: health must answer at once even
    // when the hub is flooded, and a probe's poll should not cost a round trip to InfluxDB.
    let storeStatus = await store.status();
    let storeProbedMs = now();
    const storeProbe = setInterval(() => {
      const at = now();
      const record = (s: StoreStatus) => {
        storeStatus = s;
        storeProbedMs = at;
      };
      store.status().then(record, (err: Error) => record({ ok: false, detail: err.message }));
    }, 5_000);
    storeProbe.unref();
    closers.push(() => clearInterval(storeProbe));

    const startedMs = now();
    const health = async (): Promise<Health> => {
      const writing = writer.status();
      const s = spool.stats;
      const components: Health['components'] = {
        registry: { status: 'ok', detail: opened.registry.dialect === 'postgres' ? 'PostgreSQL (DATABASE_URL), shared' : 'SQLite, this instance' },
        ingest: backpressure.state.throttled ? { status: 'degraded', detail: `intake slowed down: ${backpressure.state.reason}` } : { status: 'ok' },
        mqtt: { status: 'ok', detail: settings.MQTT_URL ? 'external broker (MQTT_URL)' : `listening on ${mqttPort}` },
        gateways: { status: 'ok', detail: `teltonika ${teltonika.port} (tcp+udp), wialon-ips ${wialon.port}, gt06 ${gt06.port}` },
        // A write confirmed after the last probe says the store is back, whatever the probe said.
        store: writing.ok && (storeStatus.ok || writer.lastSuccessMs > storeProbedMs) ? { status: 'ok', detail: store.kind } : { status: 'degraded', detail: writing.detail ?? storeStatus.detail ?? 'unavailable' },
        spool: s.writable ? { status: 'ok', detail: `${s.backlogRecords} records waiting for the store` }
          : s.full ? { status: 'down', detail: `full (SPOOL_MAX_BYTES), nothing is acknowledged until the store takes the backlog: ${s.lastError ?? ''}` }
          : { status: 'down', detail: `not writable, nothing is acknowledged: ${s.lastError ?? ''}` },
        cluster: { status: 'ok', detail: `instance ${settings.HUB_INSTANCE_ID}, ${settings.REDIS_URL ? 'shared through Redis' : 'alone'}; leases in ${leasesIn}; holds ${leases.held().join(', ') || 'no lease'}` },
      };
      for (const module of modules) Object.assign(components, module.health?.());
      const statuses = Object.values(components).map((c) => c.status);
      const status = statuses.includes('down') ? 'down' : statuses.includes('degraded') ? 'degraded' : 'ok';
      return { status, version: VERSION, uptimeS: Math.round((now() - startedMs) / 1000), components };
    };

    const app = await buildApp({
      logger, metrics, now, version: VERSION,
      corsOrigins: settings.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
      devices, accounts, audit, deadLetters,
      domainRoutes: modules.flatMap((m) => (m.routes ? [m.routes] : [])),
      loginThrottle: new AuthThrottle(now),
      trustProxy: settings.TRUST_PROXY,
      metricsToken: settings.METRICS_TOKEN,
      health,
      onDeviceCredentialsChanged: (id) => broker.disconnectDevice(id),
      onDeviceRemoved: (device) => {
        broker.disconnectDevice(device.id);
        for (const module of modules) module.onDeviceRemoved?.(device);
      },
      dashboards: options.dashboards === false ? new Map() : await buildDashboards(),
    });
    closers.push(() => app.close());
    // A device changed on another instance (DATABASE_URL): end its connections here too, drop its live state.
    const unwatchDevices = devices.onRemoteChange(({ before, after, credentialsChanged }) => {
      if (credentialsChanged && before) broker.disconnectDevice(before.id);
      if (before && !after) for (const module of modules) module.onDeviceRemoved?.(before);
    });
    closers.push(() => unwatchDevices());

    // MQTT over WebSocket at /mqtt, on the HTTP port.
    const wss = new WebSocketServer({ noServer: true });
    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.url?.split('?')[0] !== '/mqtt') return;
      wss.handleUpgrade(req, socket, head, (ws) => broker.handle(createWebSocketStream(ws), req));
    });
    closers.push(() => new Promise<void>((r) => wss.close(() => r())));

    const realtime = startRealtime(app.server, {
      auth, metrics, channels: modules.flatMap((m) => m.realtime ?? []), trustProxy: settings.TRUST_PROXY,
    });
    closers.push(() => realtime.close());
    // Live connections end with their token (revoked, expired, user deleted), and join at most 50 rooms.
    const sessions = watchSessions(realtime.io, { authenticate: (token) => auth.authenticate(token), untokened: realtime.isOpen });
    const unwatchTokens = accounts.onTokensChanged(() => sessions.recheck());
    closers.push(() => {
      unwatchTokens();
      sessions.close();
    });

    await app.listen({ port: settings.HTTP_PORT, host: settings.HTTP_HOST });

    // Load is sampled here, a few times a second, for backpressure and /metrics alike; from
    // here on, so that start-up work (bundling the dashboards) is not taken for overload.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const loadTimer = setInterval(() => {
      const lagMs = lag.count > 0 ? lag.percentile(99) / 1e6 : 0;
      lag.reset();
      const s = spool.stats;
      metrics.eventLoopLagSeconds.set(lagMs / 1000);
      metrics.backlogRecords.set(s.backlogRecords);
      metrics.backlogBytes.set(s.backlogBytes);
      const waitingAcks = broker.pendingAcks();
      metrics.acksWaiting.set(waitingAcks);
      backpressure.update({ backlogRecords: s.backlogRecords, backlogBytes: s.backlogBytes, lagMs, waitingAcks });
    }, 250);
    loadTimer.unref();
    closers.push(() => {
      clearInterval(loadTimer);
      lag.disable();
    });

    for (const module of modules) await module.start?.();

    const httpPort = (app.server.address() as AddressInfo).port;
    const ports = { http: httpPort, mqtt: mqttPort, teltonika: teltonika.port, teltonikaUdp: teltonika.udpPort ?? teltonika.port, wialon: wialon.port, gt06: gt06.port };
    logger.info({ ...ports, store: store.kind, registry: opened.registry.description, dataDir }, 'mistohub is up');

    return { ports, generatedAdminToken, devices, accounts, health, close };
  } catch (err) {
    await close();
    throw err;
  }
}
