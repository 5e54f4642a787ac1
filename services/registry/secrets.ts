import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { BoundedQueue } from './bounded-queue.ts';

export { QueueFullError as HashBusyError } from './bounded-queue.ts';

/**
 * scrypt cost per kind of secret. Device and service secrets are 32 random bytes, so a brute
 * force is hopeless anyway and a cheap N keeps hundreds of reconnecting devices from pinning a
 * core. User passwords are chosen by people and get the expensive setting.
 */
const COST = { secret: 1 << 12, password: 1 << 15 } as const;
export type SecretKind = keyof typeof COST;

/**
 * scrypt runs on libuv's thread pool (4 threads), which the spool's writes and fsyncs share: a
 * flood of logins hashing on every thread held PUBACKs back by hundreds of milliseconds. So each
 * kind hashes one at a time in its own line, leaving two threads to the disk. Passwords (~100 ms
 * each) may queue a few seconds' worth; device secrets (~10 ms) a fleet's reconnect after a
 * restart. Past that a check is refused at once (HashBusyError): "busy, try again".
 */
export const hashing: Record<SecretKind, BoundedQueue> = {
  password: new BoundedQueue('password hashing', { concurrency: 1, maxWaiting: 16 }),
  secret: new BoundedQueue('secret hashing', { concurrency: 1, maxWaiting: 1024 }),
};

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function scryptAsync(secret: string, salt: Buffer, n: number): Promise<Buffer> {
  const lane = n > COST.secret ? hashing.password : hashing.secret;
  return lane.run(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt(secret, salt, 32, { N: n, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
      ),
  );
}

/** `scrypt$N$salt$hash`, base64url parts. Throws HashBusyError when too many wait already. */
export async function hashSecret(secret: string, kind: SecretKind): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, COST[kind]);
  return `scrypt$${COST[kind]}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Throws HashBusyError when too many checks wait already. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [alg, n, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64url'), Number(n));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** API tokens are high-entropy and looked up by hash, so a fast hash is the right tool. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
