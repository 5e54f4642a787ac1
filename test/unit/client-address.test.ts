import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../services/http/client-address.ts';

const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;

describe('clientAddress (TRUST_PROXY)', () => {
  const chain = req('::ffff:10.0.0.5', '203.0.113.7, 198.51.100.1, 10.0.0.9');
  it('false: the TCP peer, whatever the header says', () => {
    expect(clientAddress(false)(chain)).toBe('10.0.0.5');
  });
  it('true: the first address the proxies forwarded', () => {
    expect(clientAddress(true)(chain)).toBe('203.0.113.7');
  });
  it('a hop count: that many proxies in front are believed', () => {
    expect(clientAddress(1)(chain)).toBe('10.0.0.9');
    expect(clientAddress(2)(chain)).toBe('198.51.100.1');
    expect(clientAddress(9)(chain)).toBe('203.0.113.7');
  });
  it('a list: proxies at these addresses are skipped, the first other address is the client', () => {
    expect(clientAddress(['10.0.0.0/8'])(chain)).toBe('198.51.100.1');
    expect(clientAddress(['10.0.0.0/8', '198.51.100.1'])(chain)).toBe('203.0.113.7');
    // A peer that is not a trusted proxy is the client, whatever it forwards.
    expect(clientAddress(['192.168.0.0/16'])(chain)).toBe('10.0.0.5');
    expect(clientAddress(['10.0.0.0/8'])(req('10.0.0.5'))).toBe('10.0.0.5');
  });
});
