import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_ENDED, type SessionEnded } from '../../services/contracts/index.ts';
import { MAX_ROOMS_PER_SOCKET } from '../../services/realtime/session-watch.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../support/hub.ts';

/** A live connection lives no longer than its token, and joins a bounded number of rooms. */
describe('Socket.IO sessions end with their token', () => {
  let t: TestHub;
  const sockets: Socket[] = [];

  /** Connects to /transit and waits for the snapshot; records how the connection ends. */
  async function connect(token: string) {
    const s = io(`${t.httpUrl}/transit`, { auth: { token }, transports: ['websocket'], reconnection: false });
    sockets.push(s);
    const ended: { info?: SessionEnded; reason?: string } = {};
    s.on(SESSION_ENDED, (info: SessionEnded) => (ended.info = info));
    s.on('disconnect', (reason) => (ended.reason = reason));
    await new Promise<void>((resolve, reject) => {
      s.once('snapshot', () => resolve());
      s.once('connect_error', reject);
    });
    return { s, ended };
  }
  const createUser = async (username: string) => {
    const res = await t.api('/api/v1/users', { method: 'POST', json: { username, password: `${username}-password-1`, roles: ['dispatcher'] } });
    expect(res.status).toBe(201);
  };
  const loginToken = async (username: string) => {
    const res = await t.api('/api/v1/auth/login', { method: 'POST', token: null, json: { username, password: `${username}-password-1` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  };

  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.stop();
  });

  it('a revoked API token: its connection is told why and ended at once, others stay', async () => {
    const created = (await (await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'depot screen', roles: ['dispatcher'] } })).json()) as { id: string; token: string };
    const doomed = await connect(created.token);
    const bystander = await connect(ADMIN_TOKEN);
    expect((await t.api(`/api/v1/tokens/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    await eventually(async () => doomed.ended.reason, 10_000, 'the revoked connection to end');
    expect(doomed.ended.reason).toBe('io server disconnect');
    expect(doomed.ended.info?.reason).toMatch(/revoked|expired|deleted/);
    expect(bystander.s.connected).toBe(true);
    // And the token cannot come back.
    const again = io(`${t.httpUrl}/transit`, { auth: { token: created.token }, transports: ['websocket'], reconnection: false });
    sockets.push(again);
    expect((await new Promise<Error>((resolve) => again.once('connect_error', resolve))).message).toMatch(/unauthorized/);
  });

  it('a deleted user: the sessions they opened end', async () => {
    await createUser('olena');
    const { ended } = await connect(await loginToken('olena'));
    expect((await t.api('/api/v1/users/olena', { method: 'DELETE' })).status).toBe(204);
    await eventually(async () => ended.reason, 10_000, "the deleted user's connection to end");
    expect(ended.info?.reason).toBeTruthy();
  });

  it('an expired session ends on the periodic check, with nothing else happening', async () => {
    await createUser('taras');
    const session = await t.hub.accounts.login('taras', 'taras-password-1', 1_500);
    if (!session) throw new Error('login failed');
    const { s, ended } = await connect(session.token);
    expect(s.connected).toBe(true);
    await eventually(async () => ended.reason, 15_000, 'the expired session to end');
    expect(ended.info?.reason).toMatch(/expired/);
  });

  it(`a connection joins at most ${MAX_ROOMS_PER_SOCKET} rooms`, async () => {
    const { s } = await connect(ADMIN_TOKEN);
    for (let i = 0; i < MAX_ROOMS_PER_SOCKET; i++) expect(await s.emitWithAck('join', { room: `route:R${i}` })).toEqual({ ok: true });
    const over = (await s.emitWithAck('join', { room: 'route:one-too-many' })) as { ok: boolean; error?: string };
    expect(over.ok).toBe(false);
    expect(over.error).toMatch(/at most 50 rooms/);
    // A room it is in already costs nothing; leaving one makes room for another.
    expect(await s.emitWithAck('join', { room: 'route:R7' })).toEqual({ ok: true });
    s.emit('leave', { room: 'route:R7' });
    expect(await s.emitWithAck('join', { room: 'route:one-too-many' })).toEqual({ ok: true });
    expect(s.connected).toBe(true);
  });
});
