import aedesPersistenceRedis from 'aedes-persistence-redis';
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * What the embedded aedes broker runs on. Alone: aedes' in-memory emitter and persistence.
 * With REDIS_URL: mqemitter-redis (pub/sub across every hub's broker, so a command reaches a
 * device connected to another instance) and aedes-persistence-redis (sessions, subscriptions,
 * offline messages and retained messages in Redis, so a device may reconnect to any instance).
 * Each message is still taken in, spooled and acknowledged by the instance that received it.
 */
export interface AedesBackends {
  /** spread into Aedes.createBroker: `id`, `mq` and `persistence` (empty when alone) */
  options: { id?: string; mq?: unknown; persistence?: unknown };
  /**
   * true when pub/sub is shared: an observer subscribed on another instance is not seen
   * locally, so device messages must always be handed to the emitter.
   */
  shared: boolean;
  /** Closes what aedes does not: the persistence's connection (call after the broker closed). */
  close(): Promise<void>;
}

export function aedesBackends(settings: Pick<Settings, 'REDIS_URL' | 'HUB_INSTANCE_ID'>, logger: Logger): AedesBackends {
  const url = settings.REDIS_URL;
  if (!url) return { options: {}, shared: false, close: async () => {} };
  const mq = mqemitterRedis({ connectionString: url });
  const conn = new Redis(url);
  // ioredis reconnects on its own; an error is logged once per cause, never with the URL (it may hold a password).
  let lastError = '';
  const onError = (err: Error) => {
    if (err.message === lastError) return;
    lastError = err.message;
    logger.warn({ err: err.message }, 'redis (broker backends) unreachable; retrying');
  };
  conn.on('error', onError);
  (mq as unknown as { state: { on(e: 'error', l: (err: Error) => void): void } }).state.on('error', onError);
  const persistence = aedesPersistenceRedis({ conn });
  return {
    options: { id: settings.HUB_INSTANCE_ID, mq, persistence },
    shared: true,
    close: async () => {
      // aedes closes the emitter; the persistence's own connection is closed here.
      await persistence.destroy().catch(() => undefined);
    },
  };
}
