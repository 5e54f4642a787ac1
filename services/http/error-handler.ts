import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorBody } from '../contracts/index.ts';
import { HashBusyError } from '../registry/secrets.ts';
import { HttpError } from './auth.ts';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** The one error handler: 4xx bodies name the field and the reason; 5xx bodies hide internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let body: ErrorBody;
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issues = err.validation.map((v) => {
        const where = err.validationContext ?? 'body';
        const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
        const keys = (v.params as { keys?: string[] }).keys;
        if (keys?.length) return { field: keys.map((k) => (path ? `${path}.${k}` : k)).join(', '), reason: 'unknown field' };
        return { field: path || where, reason: v.message ?? 'is invalid' };
      });
      body = { statusCode: 400, error: 'Bad Request', message: issues.map((i) => `${i.field}: ${i.reason}`).join('; '), issues };
    } else if (err instanceof HttpError) {
      body = { statusCode: err.statusCode, error: STATUS_TEXT[err.statusCode] ?? 'Error', message: err.message, ...(err.issues ? { issues: err.issues } : {}) };
    } else if (err instanceof HashBusyError) {
      // Creating a device or a user waits for a hash like a login does; past the line, "busy".
      void reply.header('retry-after', '1');
      body = { statusCode: 503, error: 'Service Unavailable', message: 'the hub is checking too many credentials at once; try again in a second' };
    } else if (err.statusCode && err.statusCode < 500) {
      body = { statusCode: err.statusCode, error: STATUS_TEXT[err.statusCode] ?? 'Error', message: err.message };
    } else {
      req.log.error({ err }, 'request failed');
      body = { statusCode: 500, error: 'Internal Server Error', message: 'the hub could not complete this request; the error is in its log' };
    }
    void reply.status(body.statusCode).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `no route ${req.method} ${req.url.split('?')[0]}` } satisfies ErrorBody);
  });
}
