import type { GatewayPlugin } from '../pipeline.ts';
import { createCorsPolicy, type CorsOptions } from '../receive/cors.ts';

export type { CorsOptions };

/**
 * Refuses, in the receive stage, a cross-origin request whose Origin is not allowed
 * (ORIGIN_NOT_ALLOWED, 403) — on HTTP, SSE and WebSocket upgrades alike. Preflights and the
 * `Access-Control-*` response headers are the receive stage's (gateway/receive/cors.ts, the same
 * policy built from the same options).
 */
export function useCors(options: CorsOptions): GatewayPlugin {
  const policy = createCorsPolicy(options);
  return { name: 'cors', onReceive: ({ headers }) => policy.check(headers) };
}
