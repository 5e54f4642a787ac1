/** The package ships no typings; this is the part the hub uses (see services/broker/backends.ts). */
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';

  export interface AedesPersistenceRedisOptions {
    /** a connection made by the caller (it is closed by `destroy`) */
    conn?: Redis;
    /** offline messages delivered on CONNECT (default 1000) */
    maxSessionDelivery?: number;
  }

  export interface AedesPersistenceRedis {
    /** without a callback: a promise (aedes 1.x runs persistence in promise mode) */
    destroy(): Promise<void>;
  }

  export default function aedesPersistenceRedis(opts?: AedesPersistenceRedisOptions): AedesPersistenceRedis;
}
