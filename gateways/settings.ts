import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DeviceId } from '../services/contracts/index.ts';

const Port = z.coerce.number().int('must be a whole number').min(0, 'must be 0–65535').max(65535, 'must be 0–65535');
const PROTOCOLS = ['teltonika', 'wialon-ips', 'gt06'] as const;

/** One tracker the standalone gateway lets in: protocol, IMEI (or Wialon id) and the hub's device id. */
export const GatewayDevice = z.strictObject({
  protocol: z.enum(PROTOCOLS),
  imei: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, _ . : -'),
  deviceId: DeviceId,
});
export type GatewayDevice = z.infer<typeof GatewayDevice>;

/** Every environment variable the standalone gateway (gateways/main.ts) reads. */
export const GatewaySettingsSchema = z.object({
  MQTT_URL: z.url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL such as mqtt://hub:1883' }),
  GATEWAY_USERNAME: z.string({ error: 'is required' }).min(1, 'must not be empty'),
  GATEWAY_PASSWORD: z.string({ error: 'is required' }).min(1, 'must not be empty'),
  GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
  TELTONIKA_PORT: Port.default(5027),
  WIALON_PORT: Port.default(5039),
  GT06_PORT: Port.default(5023),
  /** comma-separated subset of teltonika, wialon-ips, gt06 */
  GATEWAY_PROTOCOLS: z
    .string()
    .default(PROTOCOLS.join(','))
    .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
    .pipe(z.array(z.enum(PROTOCOLS, { error: `each must be one of ${PROTOCOLS.join(', ')}` })).min(1, 'name at least one protocol')),
  /** a JSON file holding an array of {protocol, imei, deviceId} */
  GATEWAY_DEVICES_FILE: z.string().min(1).optional(),
  /** the same array inline, for small deployments and tests */
  GATEWAY_DEVICES: z.string().min(1).optional(),
  /** how long a record waits for the broker's PUBACK before the device is left un-ACKed */
  GATEWAY_ACK_TIMEOUT_MS: z.coerce.number().int().min(100, 'must be ≥ 100').max(600_000, 'must be ≤ 600000').default(10_000),
  /** serves /metrics (Prometheus) when set */
  GATEWAY_METRICS_PORT: Port.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type GatewaySettings = z.infer<typeof GatewaySettingsSchema> & { devices: GatewayDevice[] };

export class GatewaySettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`mistohub gateway: bad settings — ${problems.join('; ')}`);
  }
}

/** Parses the environment and the device list; throws one error naming every bad variable. */
export function parseGatewaySettings(env: Record<string, string | undefined>, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): GatewaySettings {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = GatewaySettingsSchema.safeParse(present);
  const problems: string[] = [];
  if (!result.success) {
    for (const i of result.error.issues) {
      const name = String(i.path[0]);
      // The password, and MQTT_URL (which may carry user:password@), are named, never shown.
      problems.push(/PASSWORD|MQTT_URL/.test(name) ? `${name}: ${i.message}` : `${name}=${JSON.stringify(env[name] ?? '')}: ${i.message}`);
    }
  }
  const devices = parseDevices(env, readFile, problems);
  if (problems.length > 0 || !result.success) throw new GatewaySettingsError(problems);
  return { ...result.data, devices };
}

function parseDevices(env: Record<string, string | undefined>, readFile: (path: string) => string, problems: string[]): GatewayDevice[] {
  const file = env.GATEWAY_DEVICES_FILE || undefined;
  const inline = env.GATEWAY_DEVICES || undefined;
  if (!file && !inline) {
    problems.push('GATEWAY_DEVICES_FILE / GATEWAY_DEVICES: set one of them to the trackers this gateway lets in');
    return [];
  }
  const name = file ? 'GATEWAY_DEVICES_FILE' : 'GATEWAY_DEVICES';
  let text: string;
  try {
    text = file ? readFile(file) : (inline as string);
  } catch (e) {
    problems.push(`${name}=${JSON.stringify(file)}: cannot be read (${(e as Error).message})`);
    return [];
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    problems.push(`${name}: not JSON (${(e as Error).message})`);
    return [];
  }
  const parsed = z.array(GatewayDevice).safeParse(json);
  if (!parsed.success) {
    for (const i of parsed.error.issues.slice(0, 10)) problems.push(`${name}: [${i.path.join('.')}] ${i.message}`);
    return [];
  }
  return parsed.data;
}
