import { hostname } from 'node:os';
import { z } from 'zod';

const Port = z.coerce.number().int('must be a whole number').min(0, 'must be 0–65535').max(65535, 'must be 0–65535');
const optionalString = z.string().min(1).optional();

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Every environment variable the hub reads, with its default. Nothing else reads process.env. */
export const SettingsSchema = z.object({
  HTTP_PORT: Port.default(8080),
  MQTT_PORT: Port.default(1883),
  TELTONIKA_PORT: Port.default(5027),
  WIALON_PORT: Port.default(5039),
  GT06_PORT: Port.default(5023),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HUB_DATA_DIR: z.string().min(1).default('./data'),
  INFLUX_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://localhost:8086' }).optional(),
  INFLUX_DB: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, _ . -').default('mistohub'),
  INFLUX_USERNAME: optionalString,
  INFLUX_PASSWORD: optionalString,
  INFLUX_TOKEN: optionalString,
  HUB_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  /** bytes the spool may hold for the store; past 80 % intake slows, at the limit it is refused */
  SPOOL_MAX_BYTES: z.coerce.number().int('must be a whole number of bytes').min(1_048_576, 'must be at least 1048576 (1 MiB)').default(2 * 1024 ** 3),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** comma-separated origins allowed by CORS; empty means same-origin only */
  CORS_ORIGINS: z.string().default(''),
  /**
   * Which proxies' X-Forwarded-For to believe for the client's address (login throttling, logs):
   * `false` (none: the TCP peer is the client), `true` (any), a hop count, or comma-separated
   * addresses/CIDRs of the proxies.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((s, ctx): boolean | number | string[] => {
      const v = s.trim();
      if (v === 'false') return false;
      if (v === 'true') return true;
      if (/^\d+$/.test(v)) return Number(v);
      const list = v.split(',').map((x) => x.trim()).filter(Boolean);
      if (list.length && list.every((x) => /^[0-9A-Fa-f.:]+(\/\d{1,3})?$/.test(x))) return list;
      ctx.addIssue({ code: 'custom', message: 'must be false, true, a hop count, or comma-separated proxy addresses/CIDRs' });
      return z.NEVER;
    }),
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** the zone of every local day, month and schedule */
  CITY_TZ: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Kyiv').default('Europe/Kyiv'),
  /** the place of sunset and sunrise (Kropyvnytskyi by default) */
  CITY_LAT: z.coerce.number().min(-90, 'must be −90…90 degrees').max(90, 'must be −90…90 degrees').default(48.5079),
  CITY_LON: z.coerce.number().min(-180, 'must be −180…180 degrees').max(180, 'must be −180…180 degrees').default(32.2623),
  /** scale-out (docs/scale-out.md): Redis shared by every hub instance (broker pub/sub and sessions, Socket.IO, leases) */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL such as redis://localhost:6379' }).optional(),
  /**
   * the registry (devices, accounts, tokens, audit) on PostgreSQL, shared by every hub instance;
   * unset: the embedded SQLite file in HUB_DATA_DIR. May carry a password: never printed.
   */
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL such as postgres://mistohub:secret@localhost:5432/mistohub' })
    .optional(),
  /** an external MQTT 5 broker: the hub then embeds none and takes device topics through a shared subscription */
  MQTT_URL: z.url({ protocol: /^mqtts?$/, error: 'must be an mqtt:// or mqtts:// URL such as mqtt://localhost:1883' }).optional(),
  /** the hub's own login to the external broker */
  MQTT_USERNAME: optionalString,
  MQTT_PASSWORD: optionalString,
  /** this instance's name in a cluster (lease holder, broker id, MQTT client id) */
  HUB_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, _ . -')
    .default(() => `${hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 50)}-${process.pid}`),
  /**
   * how long a lease of run-once work (services/platform/lease.ts) lives without renewal: a dead
   * holder's work moves to another instance within about this long; renewed every third of it
   */
  LEASE_TTL_MS: z.coerce.number().int('must be a whole number of milliseconds').min(3_000, 'must be 3000–300000 ms').max(300_000, 'must be 3000–300000 ms').default(15_000),
  /** the GTFS static feed the transit domain runs on: a .zip file or a folder of .txt files */
  GTFS_PATH: optionalString,
  /** a street-map tile server under the dispatch map, e.g. https://tiles.example.org/{z}/{x}/{y}.png */
  MAP_TILE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL with {z}, {x} and {y}' })
    .refine((u) => ['{z}', '{x}', '{y}'].every((p) => u.includes(p) || u.includes(encodeURI(p))), 'must contain {z}, {x} and {y}')
    .optional(),
  /**
   * `true`: trust every OPC UA server certificate a registered cabinet presents (audit-logged).
   * For the demo city (`npm start` turns it on); elsewhere an admin trusts each one.
   */
  OPCUA_AUTO_TRUST: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false').transform((v) => v === 'true'),
});
export type Settings = z.infer<typeof SettingsSchema>;

/**
 * Variables whose value may appear in an error message. Every other one (tokens, passwords, and
 * INFLUX_URL, which may carry user:password@) is named with the reason only: stderr ends up in
 * journals and CI logs.
 */
const SHOWN = new Set(['HTTP_PORT', 'MQTT_PORT', 'TELTONIKA_PORT', 'WIALON_PORT', 'GT06_PORT', 'HTTP_HOST', 'HUB_DATA_DIR', 'INFLUX_DB', 'LOG_LEVEL', 'CORS_ORIGINS', 'TRUST_PROXY', 'HUB_INSTANCE_ID', 'OPCUA_AUTO_TRUST', 'LEASE_TTL_MS']);

/** `NAME="value": reason` for a harmless variable, `NAME: reason` for any other. */
export function describeProblem(name: string, value: string | undefined, reason: string, shown: ReadonlySet<string> = SHOWN): string {
  return shown.has(name) ? `${name}=${JSON.stringify(value ?? '')}: ${reason}` : `${name}: ${reason}`;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`mistohub: bad settings — ${problems.join('; ')}`);
  }
}

/** Parses the environment once; throws SettingsError naming every bad variable. */
export function parseSettings(env: Record<string, string | undefined>): Settings {
  // An empty variable counts as unset, as in most shells' and compose files' habits.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = SettingsSchema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => describeProblem(String(i.path[0]), env[String(i.path[0])], i.message));
  throw new SettingsError(problems);
}

/** For entry points: the settings, or one message naming every bad variable and exit code 2. */
export function settingsOrExit(env: Record<string, string | undefined>): Settings {
  try {
    return parseSettings(env);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}
