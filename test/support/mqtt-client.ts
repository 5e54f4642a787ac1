import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/**
 * "Try again later": CONNACK 3 (server unavailable, MQTT 3.1.1 — the hub's answer when busy),
 * 0x88/0x89 (server unavailable/busy, MQTT 5), and connection-level failures.
 */
const TRANSIENT = new Set<unknown>([3, 0x88, 0x89, 'ECONNRESET', 'ECONNREFUSED', 'EPIPE']);

export interface DeviceConnectOptions {
  /** connects in all before giving up (default 4) */
  attempts?: number;
  /**
   * Called on each new client before it connects: listeners set here see everything the broker
   * sends right after its CONNACK (a persistent session's queued messages), which listeners set
   * after `connectAsync` resolves may miss.
   */
  prepare?: (client: MqttClient) => void;
}

/**
 * Connects as a device of a fleet does: a connect answered "server unavailable" or
 * cut at the connection level is tried again after a short pause, a few times; any other refusal
 * (bad credentials, not authorized) fails at once, so tests of refusals stay exact. Resolves once
 * the CONNACK accepted the connection; the client never reconnects by itself afterwards.
 */
export async function connectDevice(url: string, opts: IClientOptions, { attempts = 4, prepare }: DeviceConnectOptions = {}): Promise<MqttClient> {
  for (let attempt = 1; ; attempt++) {
    const client = mqtt.connect(url, { ...opts, reconnectPeriod: 0 });
    prepare?.(client);
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (err: Error) => {
          client.off('connect', ok);
          client.off('close', closed);
          reject(err);
        };
        const closed = () => fail(Object.assign(new Error('connection closed before a CONNACK'), { code: 'ECONNRESET' }));
        const ok = () => {
          client.off('error', fail);
          client.off('close', closed);
          resolve();
        };
        client.once('connect', ok);
        client.once('error', fail);
        client.once('close', closed);
      });
      return client;
    } catch (err) {
      await client.endAsync(true).catch(() => undefined);
      const code = (err as { code?: unknown }).code;
      if (!TRANSIENT.has(code) || attempt >= attempts) {
        throw new Error(`MQTT connect to ${url} as ${opts.username ?? '(anonymous)'} failed (try ${attempt} of ${attempts}): ${(err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}
