import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import type { PeerItem } from './pipeline.ts';

/**
 * Accepted messages shared between hub instances (REDIS_URL), so every instance's live state
 * and derived state (vehicles, trips and predictions, cabinets heard from, command acks, meter
 * rollups) is whole, whichever instance a device reached. Each message is still spooled and
 * stored by the instance that received it; a peer only replays it into its live views and
 * domain modules (docs/scale-out.md, "Shared state").
 *
 * Redis pub/sub, batched: at most one PUBLISH per `FLUSH_MS` (or per `MAX_BATCH` messages),
 * since one per message would cost more than the rest of the ingest path. Pub/sub does not
 * keep what a peer misses while it is away; a restarted instance seeds its live state from the
 * shared history store instead.
 */
export const PEER_CHANNEL = 'mistohub:accepted';
const FLUSH_MS = 20;
const MAX_BATCH = 2_000;

export interface PeerBatch {
  /** instance id of the sender: an instance skips its own batches */
  from: string;
  items: PeerItem[];
}

export interface PeerFeed {
  /** Queues messages this instance accepted (spooled) for the other instances. */
  share(items: readonly PeerItem[]): void;
  readonly stats: { sent: number; received: number };
  close(): Promise<void>;
}

export interface PeerFeedOptions {
  url: string;
  instanceId: string;
  logger: Logger;
  /** a peer's messages, in the order it accepted them */
  deliver(items: readonly PeerItem[]): void;
}

export async function startRedisPeerFeed(o: PeerFeedOptions): Promise<PeerFeed> {
  const onError = (() => {
    let last = '';
    return (err: Error) => {
      if (err.message === last) return;
      last = err.message;
      o.logger.warn({ err: err.message }, 'redis (peer feed) unreachable; retrying');
    };
  })();
  // A subscribed connection can do nothing else: one to publish, one to listen.
  const pub = new Redis(o.url, { maxRetriesPerRequest: 1 });
  const sub = new Redis(o.url);
  pub.on('error', onError);
  sub.on('error', onError);
  const stats = { sent: 0, received: 0 };

  sub.on('messageBuffer', (_channel: Buffer, raw: Buffer) => {
    let batch: PeerBatch;
    try {
      batch = JSON.parse(raw.toString('utf8')) as PeerBatch;
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, 'peer feed: a batch that is not JSON was ignored');
      return;
    }
    if (batch.from === o.instanceId || !Array.isArray(batch.items)) return;
    stats.received += batch.items.length;
    o.deliver(batch.items);
  });
  await sub.subscribe(PEER_CHANNEL);

  let queued: PeerItem[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (!queued.length) return;
    const items = queued;
    queued = [];
    stats.sent += items.length;
    // A batch lost while Redis is away costs peers live freshness only: nothing durable.
    pub.publish(PEER_CHANNEL, JSON.stringify({ from: o.instanceId, items } satisfies PeerBatch)).catch(onError);
  };

  return {
    stats,
    share(items) {
      for (const item of items) queued.push(item);
      if (queued.length >= MAX_BATCH) flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
    },
    async close() {
      if (timer) clearTimeout(timer);
      flush();
      await Promise.all([pub.quit(), sub.quit()].map((p) => p.catch(() => undefined)));
    },
  };
}
