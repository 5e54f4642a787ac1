import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv6 } from 'node:net';

/**
 * Which proxies' X-Forwarded-For to believe (the TRUST_PROXY setting): none, any, the nearest
 * `n` hops, or proxies at these addresses/CIDRs. The same meaning as fastify's `trustProxy`.
 */
export type TrustProxy = boolean | number | string[];

const unmapped = (a: string) => (a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a);

/** A predicate over addresses for a list of proxies' addresses and CIDRs. */
function trustedList(list: string[]): (address: string) => boolean {
  const blocks = new BlockList();
  for (const entry of list) {
    const [net, prefix] = entry.split('/');
    const type = isIPv6(net!) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) blocks.addAddress(net!, type);
    else blocks.addSubnet(net!, Number(prefix), type);
  }
  return (address) => {
    const a = unmapped(address);
    return blocks.check(a, isIPv6(a) ? 'ipv6' : 'ipv4');
  };
}

/**
 * The client's address for a request: the TCP peer, or, through trusted proxies, the address
 * they forwarded. For the raw requests fastify does not see (MQTT over WebSocket at /mqtt).
 */
export function clientAddress(trust: TrustProxy): (req: IncomingMessage) => string {
  const isTrusted = Array.isArray(trust) ? trustedList(trust) : undefined;
  return (req) => {
    const peer = unmapped(req.socket.remoteAddress ?? 'unknown');
    if (trust === false || trust === 0) return peer;
    const header = req.headers['x-forwarded-for'];
    const forwarded = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    // Nearest first: the peer, then the forwarded addresses from right to left.
    const chain = [peer, ...forwarded.reverse().map(unmapped)];
    if (trust === true) return chain[chain.length - 1]!;
    if (typeof trust === 'number') return chain[Math.min(trust, chain.length - 1)]!;
    let i = 0;
    while (i < chain.length - 1 && isTrusted!(chain[i]!)) i++;
    return chain[i]!;
  };
}

/** TRUST_PROXY in the form fastify's typings take (a hop count becomes the function it stands for). */
export function fastifyTrustProxy(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}
