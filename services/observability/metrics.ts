import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A count bumped once per message. */
export interface PerMessageCount {
  inc(): void;
}

/** Every metric of the hub, on one registry served at `/metrics`. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mistohub_' });
  // Counts bumped per message are plain numbers, added to their prom-client counter when the
  // counter is read: a prom-client `inc` per message costs more than the rest of the counting.
  const perMessage: { counter: { inc(n: number): void }; n: number }[] = [];
  function collect(): void {
    for (const c of perMessage) {
      if (c.n === 0) continue;
      c.counter.inc(c.n);
      c.n = 0;
    }
  }
  const m = {
    registry,
    received: new Counter({ name: 'mistohub_messages_received_total', help: 'Device messages received, by source', labelNames: ['source'], registers: [registry], collect }),
    accepted: new Counter({ name: 'mistohub_messages_accepted_total', help: 'Device messages accepted into the spool, by source and channel', labelNames: ['source', 'channel'], registers: [registry], collect }),
    rejected: new Counter({ name: 'mistohub_messages_rejected_total', help: 'Device messages refused, by source and reason', labelNames: ['source', 'reason'], registers: [registry] }),
    unauthorized: new Counter({ name: 'mistohub_mqtt_unauthorized_total', help: 'MQTT publishes and subscriptions refused by the ACL', labelNames: ['action'], registers: [registry] }),
    authFailures: new Counter({ name: 'mistohub_mqtt_auth_failures_total', help: 'Failed MQTT logins', registers: [registry] }),
    mqttClients: new Gauge({ name: 'mistohub_mqtt_clients', help: 'Connected MQTT clients', registers: [registry] }),
    storeWriteSeconds: new Histogram({ name: 'mistohub_store_write_seconds', help: 'Latency of one batch write to the history store', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] }),
    storeWrittenPoints: new Counter({ name: 'mistohub_store_points_written_total', help: 'Points confirmed by the history store', registers: [registry] }),
    storeWriteErrors: new Counter({ name: 'mistohub_store_write_errors_total', help: 'Failed batch writes to the history store (retried)', registers: [registry] }),
    backlogRecords: new Gauge({ name: 'mistohub_spool_backlog_records', help: 'Records in the spool not yet confirmed by the store', registers: [registry] }),
    backlogBytes: new Gauge({ name: 'mistohub_spool_backlog_bytes', help: 'Bytes in the spool not yet confirmed by the store', registers: [registry] }),
    eventLoopLagSeconds: new Gauge({ name: 'mistohub_event_loop_lag_seconds', help: 'Event-loop lag, p99 over the last second', registers: [registry] }),
    acksWaiting: new Gauge({ name: 'mistohub_mqtt_acks_waiting', help: 'Messages kept whose PUBACK waits for its turn of the event loop', registers: [registry] }),
    throttled: new Gauge({ name: 'mistohub_ingest_throttled', help: '1 while intake is slowed down by backpressure', registers: [registry] }),
    throttleWaits: new Counter({ name: 'mistohub_ingest_throttle_waits_total', help: 'Acknowledgements delayed by backpressure', registers: [registry] }),
    socketClients: new Gauge({ name: 'mistohub_socketio_clients', help: 'Connected Socket.IO clients, by namespace', labelNames: ['namespace'], registers: [registry] }),
    /** The child of `received` or `accepted` with these labels, as a cheap per-message count. */
    perMessage<L extends string>(counter: Counter<L>, labels: Partial<Record<L, string>>): PerMessageCount {
      const entry = { counter: counter.labels(labels), n: 0 };
      perMessage.push(entry);
      return { inc: () => void entry.n++ };
    },
  };
  return m;
}
export type Metrics = ReturnType<typeof createMetrics>;
