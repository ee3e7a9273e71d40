import type { Principal } from '../pipeline.ts';

/**
 * Whom a rate limit, quota or subscription cap counts: the API key (partners), the user (citizens,
 * agents, operators: their principal id), or the IP address for anonymous callers, since they have
 * nothing else. Behind a load balancer the address is the balancer's unless it passes the client's
 * on (the gateway does not read X-Forwarded-For: any client could write it).
 */
export function callerKey(principal: Principal, remoteAddress?: string): string {
  if (principal.kind !== 'anonymous') return `${principal.kind}:${principal.id}`;
  return `ip:${principal.remoteAddress ?? remoteAddress ?? 'unknown'}`;
}
