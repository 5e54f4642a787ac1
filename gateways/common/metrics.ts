import { Counter, Gauge, Registry } from 'prom-client';
import type { TrackerProtocol } from './types.ts';

export type FrameResult =
  | 'ok'
  | 'bad-crc'
  | 'malformed'
  | 'too-large'
  | 'unsupported'
  | 'unknown-imei'
  | 'login-throttled'
  | 'not-logged-in'
  | 'ingest-failed';

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  // Three gateways share one registry: the first creates a metric, the others reuse it.
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

/** The `mistohub_gateway_*` metrics of one gateway. */
export class GatewayMetrics {
  private readonly open: Gauge<'protocol'>;
  private readonly connections: Counter<'protocol' | 'result'>;
  private readonly frames: Counter<'protocol' | 'result'>;
  private readonly badCrcs: Counter<'protocol'>;
  private readonly unknownImeis: Counter<'protocol'>;
  private readonly records: Counter<'protocol' | 'result'>;

  constructor(
    readonly protocol: TrackerProtocol,
    registry: Registry = new Registry(),
  ) {
    this.open = gauge(registry, 'mistohub_gateway_connections', 'Open tracker connections', ['protocol']);
    this.connections = counter(registry, 'mistohub_gateway_connections_total', 'Tracker connections by outcome (accepted, over-limit)', ['protocol', 'result']);
    this.frames = counter(registry, 'mistohub_gateway_frames_total', 'Tracker frames by protocol and result', ['protocol', 'result']);
    this.badCrcs = counter(registry, 'mistohub_gateway_bad_crc_total', 'Tracker frames refused for a bad checksum', ['protocol']);
    this.unknownImeis = counter(registry, 'mistohub_gateway_unknown_imei_total', 'Logins refused because the IMEI is not registered', ['protocol']);
    this.records = counter(registry, 'mistohub_gateway_records_total', 'Tracker records by result (accepted, rejected, duplicate)', ['protocol', 'result']);
    this.open.labels(protocol).inc(0);
  }

  connectionOpened(): void {
    this.open.labels(this.protocol).inc();
    this.connections.labels(this.protocol, 'accepted').inc();
  }
  connectionClosed(): void {
    this.open.labels(this.protocol).dec();
  }
  connectionRefused(): void {
    this.connections.labels(this.protocol, 'over-limit').inc();
  }
  frame(result: FrameResult): void {
    this.frames.labels(this.protocol, result).inc();
    if (result === 'bad-crc') this.badCrcs.labels(this.protocol).inc();
    if (result === 'unknown-imei') this.unknownImeis.labels(this.protocol).inc();
  }
  record(result: 'accepted' | 'rejected' | 'duplicate', n = 1): void {
    if (n > 0) this.records.labels(this.protocol, result).inc(n);
  }
}
