import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../services/http/error-handler.ts';
import { HashBusyError } from '../../services/registry/secrets.ts';

describe('the error handler', () => {
  it('answers a full hashing line with 503 and Retry-After, not 500', async () => {
    const app = Fastify();
    installErrorHandler(app);
    app.post('/busy', async () => {
      throw new HashBusyError('secret hashing');
    });
    app.post('/bug', async () => {
      throw new Error('internal detail that must not leak');
    });
    const busy = await app.inject({ method: 'POST', url: '/busy' });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    const bug = await app.inject({ method: 'POST', url: '/bug' });
    expect(bug.statusCode).toBe(500);
    expect(bug.body).not.toContain('internal detail');
    await app.close();
  });
});
