import { passerelleError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { RateLimiter, callerKey } from '../limit/index.ts';
import type { GatewayPlugin, PrincipalKind } from '../pipeline.ts';

export interface RateLimitOptions {
  /** Length of the sliding window, in seconds (RATE_LIMIT_WINDOW_S, default 60). */
  windowS: number;
  /**
   * Requests per window for each kind of caller (RATE_LIMIT_ANONYMOUS, _CITIZEN, _PARTNER, _AGENT,
   * _OPERATOR); 0 = no limit. A principal's own `limits.rate` (an API key's) overrides its kind's.
   * Anonymous callers are counted per IP address, the others per principal id.
   */
  limits: Record<PrincipalKind, number>;
  /** Requests per UTC day of a partner key without a quota of its own (DAILY_QUOTA_PARTNER); 0 = none. */
  dailyQuotaPartner: number;
  /** Redis shared by every replica (REDIS_URL); unset: counted in this process only. */
  redisUrl?: string;
  /** Where a Redis failure (limits then counted per replica, fail-open) is reported. */
  logger?: Logger;
}

/**
 * Rate limits per API key, per user and per IP, and daily quotas per partner key, at admission
 * (after authentication, before the document is read): every HTTP request, SSE stream and
 * graphql-ws `subscribe` counts one. Every answer carries `RateLimit-Limit`, `RateLimit-Remaining`
 * and `RateLimit-Reset` (IETF draft "RateLimit header fields for HTTP"); a refusal is HTTP 429 with
 * `Retry-After` and RATE_LIMITED, or QUOTA_EXCEEDED once the day's quota is spent, both with
 * `extensions.retryAfter` (seconds) for graphql-ws clients, which see no headers.
 * Counting and its failure mode (fail-open when Redis is down): gateway/limit/rate-limiter.ts.
 */
export function useRateLimit(options: RateLimitOptions): GatewayPlugin {
  const limiter = new RateLimiter({
    windowS: options.windowS,
    redisUrl: options.redisUrl,
    onStoreError: (error) => options.logger?.warn({ err: error }, 'rate-limit store unreachable: limits are counted per replica until it is back'),
  });

  return {
    name: 'rate-limit',
    async onAdmit({ principal, request, setHeader }) {
      const key = callerKey(principal, request.remoteAddress);
      const limit = principal.limits?.rate ?? options.limits[principal.kind];
      const quota = principal.limits?.dailyQuota ?? (principal.kind === 'partner' ? options.dailyQuotaPartner : 0);

      if (quota > 0) {
        const spent = await limiter.spend(key, quota);
        if (!spent.allowed) {
          setHeader('Retry-After', String(spent.resetS));
          throw passerelleError('QUOTA_EXCEEDED', `The daily quota of this API key (${quota} requests) is used up; it resets at midnight UTC.`, {
            quota,
            retryAfter: spent.resetS,
          });
        }
      }
      if (limit <= 0) return;
      const decision = await limiter.hit(key, limit);
      setHeader('RateLimit-Limit', String(decision.limit));
      setHeader('RateLimit-Remaining', String(decision.remaining));
      setHeader('RateLimit-Reset', String(decision.resetS));
      if (decision.allowed) return;
      if (quota > 0) await limiter.refund(key);
      setHeader('Retry-After', String(decision.retryAfterS));
      throw passerelleError('RATE_LIMITED', `Too many requests: ${limit} per ${options.windowS} s; retry in ${decision.retryAfterS} s.`, {
        limit,
        windowS: options.windowS,
        retryAfter: decision.retryAfterS,
      });
    },
    close: () => limiter.close(),
  };
}
