/**
 * The caller's address, which anonymous rate limits, cost budgets and caps count by. Behind a load
 * balancer (nginx, an Ingress) the TCP peer is the balancer: every anonymous caller would share one
 * budget. `X-Forwarded-For` names the client, but any client can write it, so it is read only when
 * the peer is a proxy listed in TRUSTED_PROXIES, and then from the right: the first address that
 * is not a trusted proxy is the one the nearest trusted proxy saw (entries to its left are the
 * client's own claims). This is the rule of Express's `trust proxy` and nginx's `real_ip_recursive`.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

export type ClientAddress = (request: IncomingMessage) => string | undefined;

/** `trusted`: IP addresses and CIDR blocks (e.g. "10.0.0.0/8", "::1"), as TRUSTED_PROXIES lists them. */
export function createClientAddress(trusted: readonly string[]): ClientAddress {
  if (trusted.length === 0) return (request) => plain(request.socket.remoteAddress);
  const proxies = new BlockList();
  for (const entry of trusted) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) proxies.addAddress(address, family);
    else proxies.addSubnet(address, Number(prefix), family);
  }
  const isProxy = (address: string) => proxies.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');

  return (request) => {
    const peer = plain(request.socket.remoteAddress);
    if (peer === undefined || !isProxy(peer)) return peer;
    const header = request.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((hop) => plain(hop.trim()));
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i];
      // A malformed entry ends the walk: nothing to its left can be trusted either.
      if (hop === undefined || isIP(hop) === 0) break;
      client = hop;
      if (!isProxy(hop)) break;
    }
    return client;
  };
}

/** "::ffff:10.0.0.1" → "10.0.0.1", so IPv4 lists match IPv4 peers on a dual-stack socket. */
function plain(address: string | undefined): string | undefined {
  if (!address) return undefined;
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
