import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway, GatewayLimits, GatewayLogger, TrackerProtocol } from '../../gateways/common/types.ts';
import { startGt06Gateway, startTeltonikaGateway, startWialonGateway } from '../../gateways/index.ts';
import { encodeGt06Login } from '../../simulators/protocols/gt06.ts';
import { encodeImeiLogin } from '../../simulators/protocols/teltonika.ts';
import { wialonPackets } from '../../simulators/protocols/wialon.ts';
import { RawClient, RecordingIngest } from './support.ts';

const REGISTERED = '353976013445485';

/** Each protocol: how a device logs in, and what an accepted login is answered. */
const PROTOCOLS: { protocol: TrackerProtocol; start: typeof startWialonGateway; login(id: string): Buffer | string; accepted(c: RawClient): Promise<boolean> }[] = [
  { protocol: 'teltonika', start: startTeltonikaGateway, login: encodeImeiLogin, accepted: async (c) => (await c.read(1))[0] === 0x01 },
  { protocol: 'wialon-ips', start: startWialonGateway, login: (id) => wialonPackets.login(id), accepted: async (c) => (await c.readLine()) === '#AL#1' },
  { protocol: 'gt06', start: startGt06Gateway, login: (id) => encodeGt06Login(id, 1), accepted: async (c) => (await c.read(10)).length === 10 },
];

/** A logger that keeps its lines. */
function recordingLogger(): GatewayLogger & { lines: { level: string; msg: string; obj: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at = (level: string) => (obj: object, msg = '') => lines.push({ level, msg, obj: obj as Record<string, unknown> });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe.each(PROTOCOLS)('$protocol: refused logins are limited per address and logged at a bounded rate (over TCP)', ({ protocol, start, login, accepted }) => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('after the burst an address is refused unseen, a registered id too; another address still logs in', async () => {
    const lookups: string[] = [];
    const logger = recordingLogger();
    const limits: Partial<GatewayLimits> = { refusedLoginBurst: 3, refusedLoginsPerMinute: 1, refusalLogIntervalMs: 60_000 };
    gw = await start({
      host: '127.0.0.1', port: 0, ingest: new RecordingIngest(), logger, limits,
      lookupTracker: (p, id) => {
        lookups.push(id);
        return p === protocol && id === REGISTERED ? { deviceId: 'trk-1' } : null;
      },
    });
    const attempt = async (id: string, from: string) => {
      const c = await RawClient.connect(gw!.port, from);
      c.write(login(id));
      const ok = await accepted(c).catch(() => false);
      const closed = ok ? false : await c.waitClosed();
      c.close();
      return { ok, closed };
    };

    // An outsider tries eight ids: the first three are looked up, the other five never are.
    for (let i = 0; i < 8; i++) expect(await attempt(`35397601344${String(i).padStart(4, '0')}`, '127.0.0.7')).toEqual({ ok: false, closed: true });
    expect(lookups).toHaveLength(3);
    // From that address even a registered id is refused, unseen: it learns nothing.
    expect(await attempt(REGISTERED, '127.0.0.7')).toEqual({ ok: false, closed: true });
    expect(lookups).toHaveLength(3);
    // A tracker elsewhere is not held back.
    expect((await attempt(REGISTERED, '127.0.0.8')).ok).toBe(true);
    expect(lookups).toHaveLength(4);

    // Nine refusals, two log lines: the first in full, then one line with the count (at the interval's end, or on close).
    const refusedLines = () => logger.lines.filter((l) => /login/.test(l.msg) && /refused/.test(l.msg));
    expect(refusedLines()).toHaveLength(1);
    expect(refusedLines()[0]!.obj).toMatchObject({ address: '127.0.0.7', reason: 'not registered' });
    await gw.close();
    gw = undefined;
    expect(refusedLines()).toHaveLength(2);
    expect(refusedLines()[1]!.obj).toMatchObject({ count: 8, addresses: ['127.0.0.7'] });
  });
});
