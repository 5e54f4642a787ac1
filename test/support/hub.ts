import { parseSettings } from '../../services/config/settings.ts';
import type { DeviceCreate } from '../../services/contracts/index.ts';
import { startHub, type Hub, type HubOptions } from '../../services/hub/hub.ts';
import { createLogger } from '../../services/observability/logger.ts';
import { makeTempDir } from './temp-dir.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestHub {
  hub: Hub;
  dataDir: string;
  httpUrl: string;
  mqttPort: number;
  /** fetch against the hub's HTTP port with the admin token (or `token`) */
  api(path: string, init?: RequestInit & { token?: string | null; json?: unknown }): Promise<Response>;
  register(device: DeviceCreate): Promise<{ id: string; secret: string }>;
  stop(): Promise<void>;
}

/** A real hub on free ports with its own data folder; INFLUX_URL and others may be passed in `env`. */
export async function startTestHub(env: Record<string, string> = {}, opts: Pick<HubOptions, 'dashboards' | 'backpressure' | 'domains' | 'storeRetryMaxMs'> & { dataDir?: string } = {}): Promise<TestHub> {
  const temp = opts.dataDir ? undefined : makeTempDir('hub');
  const dataDir = opts.dataDir ?? temp!.path;
  const settings = parseSettings({
    HTTP_PORT: '0', MQTT_PORT: '0', TELTONIKA_PORT: '0', WIALON_PORT: '0', GT06_PORT: '0',
    HTTP_HOST: '127.0.0.1', HUB_DATA_DIR: dataDir, HUB_ADMIN_TOKEN: ADMIN_TOKEN, ...env,
  });
  const hub = await startHub(settings, {
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', false),
    dashboards: opts.dashboards ?? false,
    ...(opts.backpressure ? { backpressure: opts.backpressure } : {}),
    ...(opts.domains ? { domains: opts.domains } : {}),
    ...(opts.storeRetryMaxMs !== undefined ? { storeRetryMaxMs: opts.storeRetryMaxMs } : {}),
  });
  const httpUrl = `http://127.0.0.1:${hub.ports.http}`;
  const api: TestHub['api'] = (path, init = {}) => {
    const { token = ADMIN_TOKEN, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${httpUrl}${path}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  };
  return {
    hub,
    dataDir,
    httpUrl,
    mqttPort: hub.ports.mqtt,
    api,
    async register(device) {
      const res = await api('/api/v1/devices', { method: 'POST', json: device });
      if (res.status !== 201) throw new Error(`registering ${device.id}: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { id: string; secret?: string };
      return { id: body.id, secret: body.secret ?? '' };
    },
    async stop() {
      await hub.close();
      temp?.remove();
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). For waiting on asynchronous effects, not for timing. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
