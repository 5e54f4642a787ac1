import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LoginBody, Role, ServiceAccountCreate, ServiceAccountCreated, TokenCreate, TokenCreated, User, UserCreate } from '../../contracts/index.ts';
import { SERVICE_PREFIX } from '../../broker/acl.ts';
import type { AppDeps } from '../app.ts';
import { HttpError, requireRole } from '../auth.ts';
import { HashBusyError } from '../../registry/secrets.ts';
import { attemptAfterHold } from '../../broker/auth-throttle.ts';

const SESSION_MS = 12 * 3600_000;

/** Runs work that hashes; a full hashing line (a login flood) answers 503, try again, not 500. */
async function whenHashed<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof HashBusyError)) throw err;
    void reply.header('retry-after', '1');
    throw new HttpError(503, 'the hub is checking too many logins at once; try again in a second');
  }
}

export const accountRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const admin = requireRole(deps.accounts);
    const actor = (p: { name: string } | undefined) => p?.name ?? 'unknown';

    app.post(
      '/api/v1/auth/login',
      {
        schema: { tags: ['auth'], summary: 'Sign in; answers a session token (12 h)', body: LoginBody, response: { 200: z.object({ token: z.string(), roles: z.array(Role), expiresAt: z.string() }) } },
      },
      async (req, reply) => {
        // Counted before the hash, per address and per account: passwords are guessable, and
        // parallel guesses must not all pass before the first one fails.
        const attempt = await attemptAfterHold(deps.loginThrottle, req.ip, req.body.username);
        if (!attempt.ok) {
          void reply.header('retry-after', String(Math.ceil(attempt.retryAfterMs / 1000)));
          throw new HttpError(429, 'too many failed logins from this address or for this user; try again later');
        }
        let session: Awaited<ReturnType<typeof deps.accounts.login>>;
        try {
          session = await whenHashed(reply, () => deps.accounts.login(req.body.username, req.body.password, SESSION_MS));
        } catch (err) {
          attempt.abandoned();
          throw err;
        }
        if (!session) {
          attempt.failed();
          throw new HttpError(401, 'wrong username or password');
        }
        attempt.succeeded();
        return session;
      },
    );

    app.get('/api/v1/users', { preHandler: admin, schema: { tags: ['auth'], summary: 'Users and their roles', response: { 200: z.array(User) } } }, async () => deps.accounts.listUsers());

    app.post('/api/v1/users', { preHandler: admin, schema: { tags: ['auth'], summary: 'Create a user', body: UserCreate, response: { 201: User } } }, async (req, reply) => {
      if (await deps.accounts.hasUser(req.body.username)) throw new HttpError(409, `user "${req.body.username}" exists`, [{ field: 'username', reason: 'is taken' }]);
      await whenHashed(reply, () => deps.accounts.createUser(req.body.username, req.body.password, req.body.roles, actor(req.principal)));
      const user = (await deps.accounts.listUsers()).find((u) => u.username === req.body.username)!;
      return reply.status(201).send(user);
    });

    app.delete('/api/v1/users/:username', { preHandler: admin, schema: { tags: ['auth'], summary: 'Delete a user and their sessions', params: z.object({ username: z.string() }) } }, async (req, reply) => {
      if (!(await deps.accounts.deleteUser(req.params.username, actor(req.principal)))) throw new HttpError(404, `no user "${req.params.username}"`);
      return reply.status(204).send();
    });

    app.get('/api/v1/tokens', { preHandler: admin, schema: { tags: ['auth'], summary: 'API tokens (values are never shown again)' } }, async () => deps.accounts.listTokens());

    app.post('/api/v1/tokens', { preHandler: admin, schema: { tags: ['auth'], summary: 'Issue an API token (e.g. for a stop display); the value is shown once', body: TokenCreate, response: { 201: TokenCreated } } }, async (req, reply) => {
      const t = await deps.accounts.createToken(req.body.name, req.body.roles, actor(req.principal));
      return reply.status(201).send({ id: t.id, name: t.name, roles: t.roles, token: t.token, createdAt: t.createdAt });
    });

    app.delete('/api/v1/tokens/:id', { preHandler: admin, schema: { tags: ['auth'], summary: 'Revoke an API token', params: z.object({ id: z.string() }) } }, async (req, reply) => {
      if (!(await deps.accounts.revokeToken(req.params.id, actor(req.principal)))) throw new HttpError(404, `no token "${req.params.id}"`);
      return reply.status(204).send();
    });
  
    app.post(
      '/api/v1/service-accounts',
      {
        preHandler: admin,
        schema: {
          tags: ['auth'],
          summary: 'MQTT credentials for an internal service, e.g. a standalone tracker gateway; the secret is shown once (issuing again replaces it)',
          body: ServiceAccountCreate,
          response: { 201: ServiceAccountCreated },
        },
      },
      async (req, reply) => {
        const username = `${SERVICE_PREFIX}${req.body.name}`;
        const secret = await whenHashed(reply, () => deps.accounts.createServiceAccount(username, req.body.scope, actor(req.principal)));
        return reply.status(201).send({ username, scope: req.body.scope, secret });
      },
    );
  };
