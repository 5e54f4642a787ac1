import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DashboardAsset } from '../../dashboards/build.ts';
import type { Device, Health } from '../contracts/index.ts';
import type { DeadLetters } from '../ingest/dead-letters.ts';
import type { AuthThrottle } from '../broker/auth-throttle.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Accounts } from '../registry/accounts.ts';
import type { AuditLog } from '../registry/audit-log.ts';
import type { DeviceRegistry } from '../registry/devices.ts';
import { fastifyTrustProxy, type TrustProxy } from './client-address.ts';
import { serveDashboards } from './dashboard-assets.ts';
import { installErrorHandler } from './error-handler.ts';
import { accountRoutes } from './routes/accounts.ts';
import { deviceRoutes } from './routes/devices.ts';
import { systemRoutes } from './routes/system.ts';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  version: string;
  corsOrigins: string[];
  devices: DeviceRegistry;
  accounts: Accounts;
  audit: AuditLog;
  deadLetters: DeadLetters;
  /** What the domain modules serve (their `routes`), registered after the hub's own. */
  domainRoutes: readonly FastifyPluginAsync[];
  loginThrottle: AuthThrottle;
  /** Which proxies' X-Forwarded-For gives the client's address (TRUST_PROXY); none by default. */
  trustProxy?: TrustProxy;
  /** When set, /metrics needs this bearer token (METRICS_TOKEN). */
  metricsToken?: string;
  health: () => Promise<Health>;
  /** A device was disabled, deleted or got a new secret: drop its connections. */
  onDeviceCredentialsChanged: (deviceId: string) => void;
  /** A device was deleted: drop its connections and its live state. */
  onDeviceRemoved: (device: Device) => void;
  /** Dashboards by URL path, built at start. */
  dashboards: Map<string, DashboardAsset>;
}

/** The HTTP app, ready to `inject()` or `listen()`; it never listens by itself. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Requests are counted in metrics; the log keeps warnings and errors only.
    loggerInstance: deps.logger.child({ part: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: 2 * 1024 * 1024,
    trustProxy: fastifyTrustProxy(deps.trustProxy ?? false),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
      },
    },
  });
  await app.register(cors, { origin: deps.corsOrigins.length ? deps.corsOrigins : false });
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  await app.register(swagger, {
    openapi: {
      info: { title: 'mistohub API', version: deps.version, description: 'Telemetry and control hub for city infrastructure. Bearer token in `Authorization`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(systemRoutes(deps));
  await app.register(accountRoutes(deps));
  await app.register(deviceRoutes(deps));
  for (const routes of deps.domainRoutes) await app.register(routes);

  serveDashboards(app, deps.dashboards);
  return app;
}
