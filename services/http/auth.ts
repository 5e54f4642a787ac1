import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tokenDigest } from '../registry/secrets.ts';
import type { Role } from '../contracts/index.ts';
import type { AuthPolicy } from '../platform/domain-module.ts';
import type { Accounts, Principal } from '../registry/accounts.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string, readonly issues?: { field: string; reason: string }[]) {
    super(message);
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/** The admin may do everything; everyone else needs one of the roles. */
export const hasRole = (p: Principal, roles: readonly Role[]): boolean => p.roles.includes('admin') || p.roles.some((r) => roles.includes(r));

/** A preHandler that lets through only a valid bearer token with one of the roles. */
export function requireRole(accounts: Accounts, ...roles: Role[]) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearerToken(req.headers.authorization);
    const principal = token ? accounts.authenticateToken(token) : undefined;
    if (!principal) throw new HttpError(401, token ? 'the bearer token is unknown or expired' : 'an Authorization: Bearer token is required');
    if (!hasRole(principal, roles)) throw new HttpError(403, `this needs one of the roles: ${['admin', ...roles].join(', ')}`);
    req.principal = principal;
  };
}

/**
 * A preHandler that lets through only `Authorization: Bearer <expected>` (a fixed token from a
 * setting, such as METRICS_TOKEN for a Prometheus scraper). Digests are compared, in constant time.
 */
export function requireBearer(expected: string, setting: string) {
  const want = Buffer.from(tokenDigest(expected));
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new HttpError(401, `an Authorization: Bearer token is required (the ${setting} setting)`);
    if (!timingSafeEqual(Buffer.from(tokenDigest(token)), want)) throw new HttpError(401, 'the bearer token is wrong');
  };
}

/** The auth policy domain modules get: token checks and role preHandlers over the accounts. */
export function authPolicy(accounts: Accounts): AuthPolicy {
  return {
    authenticate: (token) => accounts.authenticateToken(token),
    requireRole: (...roles) => requireRole(accounts, ...roles),
  };
}
