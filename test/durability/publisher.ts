import mqtt from 'mqtt';
import { topics } from '../../services/contracts/index.ts';

/**
 * Publishes positions at QoS 1 from several devices, several in flight each, and records which
 * were acknowledged (PUBACK). Timestamps are unique per device, so each message is one point.
 */
export class AckedPublisher {
  readonly acked = new Map<string, Set<number>>();
  sent = 0;
  private clients: mqtt.MqttClient[] = [];
  private stopped = false;

  constructor(private readonly devices: { id: string; secret: string }[]) {
    for (const d of devices) this.acked.set(d.id, new Set());
  }

  get ackedCount(): number {
    let n = 0;
    for (const s of this.acked.values()) n += s.size;
    return n;
  }

  /** Publishes `perDevice` messages per device; resolves when all are done or the connection failed. */
  async run(mqttPort: number, perDevice: number, baseTs: number, opts: { inFlight?: number } = {}): Promise<void> {
    const inFlight = opts.inFlight ?? 20;
    // Connected one after the other: logins from one address in parallel count as failures until
    // each is checked, and the broker's throttle holds back a fourth one (services/broker/auth-throttle.ts).
    const connected: { d: { id: string; secret: string }; client: mqtt.MqttClient }[] = [];
    for (const d of this.devices) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: d.id, password: d.secret, clientId: d.id, reconnectPeriod: 0, connectTimeout: 5000 });
      this.clients.push(client);
      connected.push({ d, client });
    }
    await Promise.all(
      connected.map(async ({ d, client }) => {
        // mqtt.js keeps unacknowledged messages for a reconnect that never comes: settle them on close.
        const closed = new Promise<never>((_, reject) => client.once('close', () => reject(new Error('connection closed'))));
        closed.catch(() => undefined);
        let next = 0;
        const worker = async () => {
          while (next < perDevice && !this.stopped && client.connected) {
            const i = next++;
            const ts = baseTs + i;
            this.sent++;
            try {
              await Promise.race([
                client.publishAsync(topics.position(d.id), JSON.stringify({ ts, lat: 48.5 + (i % 1000) / 1e5, lon: 32.26, speedKmh: i % 60 }), { qos: 1 }),
                closed,
              ]);
              this.acked.get(d.id)!.add(ts);
            } catch {
              return; // the connection went away: this message was not acknowledged
            }
          }
        };
        await Promise.all(Array.from({ length: inFlight }, worker));
      }),
    );
  }

  async close(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
}
