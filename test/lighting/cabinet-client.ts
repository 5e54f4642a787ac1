import mqtt, { type MqttClient } from 'mqtt';
import { LightingCommand, topics } from '../../services/contracts/index.ts';

export interface TestCabinet {
  id: string;
  client: MqttClient;
  /** every command received, parsed by the contract */
  received: ReturnType<typeof LightingCommand.parse>[];
  reportState(level: number, on?: boolean): Promise<void>;
  ack(cmdId: string, status?: 'applied' | 'rejected', reason?: string): Promise<void>;
  close(): Promise<void>;
}

/** A real MQTT cabinet: logs in with its secret, listens on its command topic, reports and acknowledges when told. */
export async function connectCabinet(port: number, id: string, secret: string): Promise<TestCabinet> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: id, password: secret, clientId: `cab-${id}`, clean: true, reconnectPeriod: 0 });
  const received: TestCabinet['received'] = [];
  client.on('message', (topic, payload) => {
    if (topic === topics.lightingCommand(id)) received.push(LightingCommand.parse(JSON.parse(payload.toString())));
  });
  await client.subscribeAsync(topics.lightingCommand(id), { qos: 1 });
  return {
    id, client, received,
    async reportState(level, on = level > 0) {
      await client.publishAsync(topics.lightingState(id), JSON.stringify({ ts: new Date().toISOString(), level, on }), { qos: 1 });
    },
    async ack(cmdId, status = 'applied', reason) {
      await client.publishAsync(topics.lightingCommandAck(id), JSON.stringify({ cmdId, ts: new Date().toISOString(), status, ...(reason ? { reason } : {}) }), { qos: 1 });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}
