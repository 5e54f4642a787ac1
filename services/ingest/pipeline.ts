import type { Device, DeviceMessage } from '../contracts/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { DeadLetters } from './dead-letters.ts';
import { toHistoryRecord } from './history-points.ts';
import type { AcceptOptions, DeadLetterInput, Ingest, IngestSource } from './ingest.ts';
import type { Journal } from './journal.ts';

/** Live state (and later command delivery): what sees a message once it is validated, before the fsync. */
export type AcceptedListener = (message: DeviceMessage, device: Device, receivedMs: number) => void;

/** A message accepted by one hub instance, as the others replay it (services/ingest/peer-feed.ts). */
export interface PeerItem {
  message: DeviceMessage;
  receivedMs: number;
  /** kept by the event keepers (not telemetry) */
  event: boolean;
}

/**
 * Keeps a message that is not telemetry (no history point: a command acknowledgement) durably,
 * before the device is acknowledged: true: kept; false: not its kind; a promise: kept once it
 * resolves (a group commit). `from`: this instance received it from the device, or replays what
 * a peer received and kept.
 */
export type EventKeeper = (message: DeviceMessage, device: Device, receivedMs: number, from: 'device' | 'peer') => boolean | Promise<void>;

export interface PipelineDeps {
  lookupDevice: (id: string) => Device | undefined;
  journal: Journal;
  deadLetters: DeadLetters;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  /** Backpressure: `admit` resolves when intake may go on (later while the hub is overloaded); `done` when the message is kept or refused. */
  admission?: { admit(): Promise<void> | undefined; done(): void };
}

/** The ingest pipeline: registry check → live state, and the spool (durable) before the acknowledgement. The history writer drains the spool. */
export class IngestPipeline implements Ingest {
  private readonly listeners: AcceptedListener[] = [];
  private eventKeeper: EventKeeper | undefined;
  private sharer: ((items: readonly PeerItem[]) => void) | undefined;
  /** prom-client children by label pair: looking labels up per message is measurable at 10k msg/s */
  private readonly acceptedCounters = new Map<string, { inc(): void }>();
  constructor(private readonly deps: PipelineDeps) {}

  onAccepted(listener: AcceptedListener): void {
    this.listeners.push(listener);
  }

  /** The one place events that are not telemetry are kept (the hub asks its domain modules). */
  keepEventsWith(keeper: EventKeeper): void {
    this.eventKeeper = keeper;
  }

  /** Where accepted messages go for the other hub instances (the peer feed, with REDIS_URL). */
  shareWith(sharer: (items: readonly PeerItem[]) => void): void {
    this.sharer = sharer;
  }

  /**
   * Messages another instance accepted (and spooled, and will store): seen by this instance's
   * event keepers and live views as if they had come here, but neither spooled nor counted
   * as accepted here. A device this instance does not know is skipped.
   */
  acceptFromPeer(items: readonly PeerItem[]): void {
    for (const { message, receivedMs, event } of items) {
      const device = this.deps.lookupDevice(message.deviceId);
      if (!device || !device.enabled) continue;
      const kept = event ? this.eventKeeper?.(message, device, receivedMs, 'peer') : undefined;
      if (kept instanceof Promise) kept.catch((err: Error) => this.deps.logger.error({ err }, 'could not keep an event from a peer'));
      this.tellListeners(message, device, receivedMs);
    }
  }

  async accept(messages: readonly DeviceMessage[], source: IngestSource, options: AcceptOptions = {}): Promise<void> {
    const admission = this.deps.admission;
    const gate = admission?.admit();
    try {
      if (gate) await gate;
      await this.keep(messages, source, options);
    } finally {
      admission?.done();
    }
  }

  private async keep(messages: readonly DeviceMessage[], source: IngestSource, options: AcceptOptions): Promise<void> {
    const { lookupDevice, journal, now } = this.deps;
    const receivedMs = now();
    const kept: { message: DeviceMessage; device: Device; event: boolean }[] = [];
    const events: { message: DeviceMessage; device: Device }[] = [];
    const records: Uint8Array[] = [];
    for (const message of messages) {
      const device = lookupDevice(message.deviceId);
      if (!device || !device.enabled) {
        this.reject({ source, reason: 'unknown-device', detail: `device "${message.deviceId}" is not registered or is disabled`, deviceId: message.deviceId });
        continue;
      }
      let record: Buffer | null;
      try {
        record = toHistoryRecord(message, device);
      } catch (err) {
        // Valid by the contracts yet refused by the store's rules (a bug between the two): set
        // aside now, with the store's reason, rather than refused by the store for ever after.
        this.reject({ source, reason: 'store-refused', detail: (err as Error).message, deviceId: message.deviceId, payload: JSON.stringify(message) });
        continue;
      }
      if (record) records.push(record);
      else events.push({ message, device });
      kept.push({ message, device, event: !record });
    }
    // Events are kept before anything else sees them; should that fail, the whole batch is
    // refused unacknowledged and the device sends it again.
    const commits: Promise<void>[] = [];
    for (const { message, device } of events) {
      const kept = this.eventKeeper?.(message, device, receivedMs, 'device');
      if (kept instanceof Promise) commits.push(kept);
      else if (!kept) this.deps.logger.warn({ channel: message.channel, deviceId: device.id }, 'no module keeps this kind of event; it is dropped');
    }
    if (commits.length) await Promise.all(commits);
    // Live views see a message at once, without waiting for the fsync: they are not the record.
    // Should the spool fail, the device is not acknowledged and sends the same message again,
    // which live state takes as a duplicate.
    for (const { message, device } of kept) this.tellListeners(message, device, receivedMs);
    if (records.length) await journal.append(records, { durable: options.durable !== false });
    for (const { message } of kept) this.acceptedCounter(source, message.channel).inc();
    // Only once kept: a peer must not show what this instance may yet refuse.
    if (this.sharer && kept.length) this.sharer(kept.map(({ message, event }) => ({ message, receivedMs, event })));
  }

  private tellListeners(message: DeviceMessage, device: Device, receivedMs: number): void {
    for (const listener of this.listeners) {
      try {
        listener(message, device, receivedMs);
      } catch (err) {
        // A bug in a live view must not keep the message out of the spool.
        this.deps.logger.error({ err }, 'live-state listener failed');
      }
    }
  }

  private acceptedCounter(source: IngestSource, channel: string): { inc(): void } {
    const key = `${source}/${channel}`;
    let c = this.acceptedCounters.get(key);
    if (!c) this.acceptedCounters.set(key, (c = this.deps.metrics.perMessage(this.deps.metrics.accepted, { source, channel })));
    return c;
  }

  reject(input: DeadLetterInput): void {
    this.deps.metrics.rejected.inc({ source: input.source, reason: input.reason });
    try {
      this.deps.deadLetters.add(input);
    } catch (err) {
      this.deps.logger.error({ err }, 'could not keep a dead letter');
    }
  }
}
