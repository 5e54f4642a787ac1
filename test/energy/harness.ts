/**
 * The energy module on real parts, wired as the hub wires a domain: the registry database with
 * the domain's migrations, an embedded history store, the ingest pipeline with its spool and
 * history writer, and a fastify app with the hub's error handler — without the broker,
 * gateways and sockets, so each test starts in a fraction of a second and can flush the rollups.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { parseSettings } from '../../services/config/settings.ts';
import type { DeviceCreate, Role } from '../../services/contracts/index.ts';
import type { EnergyOptions } from '../../services/energy/accounting.ts';
import { ENERGY_MIGRATIONS } from '../../services/energy/migrations.ts';
import { createEnergyModule, type EnergyModule } from '../../services/energy/module.ts';
import { authPolicy } from '../../services/http/auth.ts';
import { installErrorHandler } from '../../services/http/error-handler.ts';
import { DeadLetters } from '../../services/ingest/dead-letters.ts';
import { HistoryWriter } from '../../services/ingest/history-writer.ts';
import { IngestPipeline } from '../../services/ingest/pipeline.ts';
import { createLogger } from '../../services/observability/logger.ts';
import { createMetrics } from '../../services/observability/metrics.ts';
import type { DomainContext } from '../../services/platform/domain-module.ts';
import { Accounts } from '../../services/registry/accounts.ts';
import { AuditLog } from '../../services/registry/audit-log.ts';
import { applyDomainMigrations, openRegistryDb, type Db } from '../../services/registry/database.ts';
import { sqliteRegistry } from '../../services/registry/sqlite-registry.ts';
import { DeviceRegistry } from '../../services/registry/devices.ts';
import { Spool } from '../../services/spool/index.ts';
import type { HistoryStore } from '../../services/store/history-store.ts';
import { SqliteHistoryStore } from '../../services/store/sqlite-store.ts';
import { Leases, MemoryLeaseStore } from '../../services/platform/lease.ts';
import { makeTempDir } from '../support/temp-dir.ts';

export interface EnergyHarness {
  module: EnergyModule;
  app: FastifyInstance;
  db: Db;
  devices: DeviceRegistry;
  store: HistoryStore;
  pipeline: IngestPipeline;
  /** the temp folder of the registry database (rollups) and of the default embedded store */
  dataDir: string;
  /** a bearer token with the role(s) */
  token(...roles: Role[]): Promise<string>;
  /** `app.inject` with a token of role `energy` unless one is given */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field in the tests
  call(method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH', url: string, body?: unknown, opts?: { token?: string; contentType?: string }): Promise<{ status: number; json: any; text: string }>;
  meter(id: string, fields?: Partial<DeviceCreate>): Promise<void>;
  /** Waits until the history writer has stored `n` energy readings. */
  stored(n: number): Promise<void>;
  /** A new module on the same database and store, as after a restart. */
  restart(options?: EnergyOptions): Promise<void>;
  close(): Promise<void>;
}

export interface EnergyHarnessOptions {
  now?: () => number;
  tz?: string;
  /** the history store (initialised; closed by `close()`); default: an embedded SQLite store in the temp folder */
  store?: HistoryStore;
  /** options of the first boot (flushMs defaults to 60 s: tests flush by hand) */
  energy?: EnergyOptions;
}

export async function startEnergyHarness(opts: EnergyHarnessOptions = {}): Promise<EnergyHarness> {
  const temp = makeTempDir('energy');
  const now = opts.now ?? Date.now;
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', false);
  const metrics = createMetrics();
  const db = openRegistryDb(temp.path);
  applyDomainMigrations(db, ENERGY_MIGRATIONS, now);
  const registry = sqliteRegistry(db);
  const audit = new AuditLog(registry, now);
  const devices = await DeviceRegistry.open(registry, audit, now);
  const accounts = await Accounts.open(registry, audit, now);
  let store: HistoryStore;
  if (opts.store) store = opts.store;
  else {
    store = new SqliteHistoryStore({ dataDir: temp.path });
    await store.init();
  }
  const spool = await Spool.open({ dir: `${temp.path}/spool`, groupCommitMs: 0 });
  const pipeline = new IngestPipeline({ lookupDevice: (id) => devices.get(id), journal: spool, deadLetters: new DeadLetters(db, now), metrics, logger, now });
  const writer = new HistoryWriter(spool, store, { metrics, logger, now, onUnstorable: () => {} });
  writer.start();

  // Alone: this harness holds every lease.
  const leases = new Leases({ store: new MemoryLeaseStore(now), holder: 'harness', now, logger });
  const ctx: DomainContext = {
    logger, metrics, now, store, db, tables: registry, ingest: pipeline, dataDir: temp.path,
    auth: authPolicy(accounts),
    devices: { get: (id) => devices.get(id), list: (f) => devices.list(f) },
    audit: { record: (actor, action, target, detail) => audit.record(actor, action, target ?? null, detail) },
    publish: async () => {},
    city: { tz: opts.tz ?? 'Europe/Kyiv', lat: 48.51, lon: 32.26 },
    settings: parseSettings({ HUB_DATA_DIR: temp.path, CITY_TZ: opts.tz ?? 'Europe/Kyiv' }),
    lease: (name) => leases.lease(`energy:${name}`),
  };

  let module!: EnergyModule;
  let app!: FastifyInstance;
  async function boot(options: EnergyOptions = {}): Promise<void> {
    module = createEnergyModule(ctx, { flushMs: 60_000, ...options });
    await module.ready;
    // As the hub does: the store learns the domain's tag keys.
    for (const spec of module.measurements ?? []) store.registerMeasurement(spec);
    app = Fastify().withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    installErrorHandler(app);
    app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
    await app.register(module.routes!);
    await app.ready();
    await module.start?.();
  }
  pipeline.onAccepted((m, d, r) => module.onAccepted?.(m, d, r));
  pipeline.keepEventsWith((m, d, r, from) => module.keepEvent?.(m, d, r, from) ?? false);
  await boot(opts.energy);

  const energyToken = (await accounts.createToken('energy-test', ['energy'], 'test')).token;
  const h: EnergyHarness = {
    get module() {
      return module;
    },
    get app() {
      return app;
    },
    db, devices, store, pipeline, dataDir: temp.path,
    token: async (...roles) => (await accounts.createToken(`t-${roles.join('-')}-${Math.random()}`, roles, 'test')).token,
    async call(method, url, body, o = {}) {
      const headers: Record<string, string> = { authorization: `Bearer ${o.token ?? energyToken}` };
      let payload: string | undefined;
      if (typeof body === 'string') {
        headers['content-type'] = o.contentType ?? 'text/csv';
        payload = body;
      } else if (body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
      const res = await app.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
      let json: unknown;
      try {
        json = res.json();
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, text: res.body };
    },
    async meter(id, fields = {}) {
      await devices.create({ id, kind: 'energy-meter', protocol: 'mqtt', ...fields } as DeviceCreate, 'test');
    },
    async stored(n) {
      for (let i = 0; i < 600; i++) {
        if ((await store.count('energy_reading')) >= n) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`the history store never held ${n} energy readings`);
    },
    async restart(options) {
      await module.close?.();
      await app.close();
      await boot(options);
    },
    async close() {
      await module.close?.();
      await app.close();
      await leases.close();
      await writer.stop();
      await spool.close();
      await store.close();
      db.close();
      temp.remove();
    },
  };
  return h;
}
