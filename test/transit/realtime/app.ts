/** A fastify app with the realtime routes on a real registry database, for route tests. */
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { requireRole } from '../../../services/http/auth.ts';
import { installErrorHandler } from '../../../services/http/error-handler.ts';
import type { AuthPolicy } from '../../../services/platform/domain-module.ts';
import { Accounts } from '../../../services/registry/accounts.ts';
import { AuditLog } from '../../../services/registry/audit-log.ts';
import { openRegistryDb, type Db } from '../../../services/registry/database.ts';
import { sqliteRegistry } from '../../../services/registry/sqlite-registry.ts';
import { gtfsRtRoutes } from '../../../services/transit/gtfs-rt-routes.ts';
import { realtimeRoutes } from '../../../services/transit/realtime-routes.ts';
import type { RealtimeEngine } from '../../../services/transit/realtime/engine.ts';
import type { ServiceAlertInput } from '../../../services/transit/realtime/gtfs-rt.ts';
import { REALTIME_MIGRATIONS } from '../../../services/transit/realtime/migrations.ts';
import { DisplayStops } from '../../../services/transit/realtime/sqlite-repos.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

export interface RouteHarness {
  app: FastifyInstance;
  db: Db;
  accounts: Accounts;
  displays: DisplayStops;
  token(name: string, roles: Parameters<Accounts['createToken']>[1]): Promise<string>;
  close(): Promise<void>;
}

export function openDb(): { db: Db; remove: () => void } {
  const dir = makeTempDir('transit-rt');
  const db = openRegistryDb(dir.path);
  for (const m of REALTIME_MIGRATIONS) db.exec(m.sql);
  return { db, remove: () => { db.close(); dir.remove(); } };
}

export async function routeHarness(engine: RealtimeEngine, now: () => number, serviceAlerts?: () => ServiceAlertInput[]): Promise<RouteHarness> {
  const { db, remove } = openDb();
  const registry = sqliteRegistry(db);
  const audit = new AuditLog(registry, now);
  const accounts = await Accounts.open(registry, audit, now);
  // The seam's AuthPolicy, as the hub builds it from Accounts.
  const auth: AuthPolicy = {
    authenticate: (t) => accounts.authenticateToken(t),
    requireRole: (...roles) => requireRole(accounts, ...roles),
  };
  const displays = new DisplayStops(registry);
  await displays.load();
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  await app.register(realtimeRoutes({ engine, auth, displays, audit, now }));
  await app.register(gtfsRtRoutes({ engine, now, ...(serviceAlerts ? { serviceAlerts } : {}) }));
  await app.ready();
  return {
    app, db, accounts, displays,
    token: async (name, roles) => (await accounts.createToken(name, roles, 'admin')).token,
    close: async () => {
      await app.close();
      remove();
    },
  };
}
