/**
 * Rate limits and daily quotas, counted where every gateway replica sees the same numbers.
 *
 * Where it comes from: the counters are `rate-limiter-flexible`'s (RateLimiterRedis: one Lua script
 * per hit, INCRBY + PEXPIRE, atomic in Redis; RateLimiterMemory when there is no Redis). That
 * library's own window is FIXED (it starts at a key's first hit), which lets a caller send twice
 * the limit across a window's edge. So the window here is the "sliding window counter" of
 * Cloudflare's and Redis's rate-limiting write-ups, built on two of the library's counters: the
 * current window's and the previous one's, the latter weighted by how much of it still overlaps
 * the sliding window (`previous × (1 − elapsed) + current ≤ limit`). It never lets more than the
 * limit through in any window-long span under a steady rate, and over-counts at most a little
 * just after a burst; two reads per hit, sent together.
 *
 * Refused hits are given back (`reward`), so a caller that honours Retry-After gets through then;
 * one that hammers is refused at the cost of two Redis round trips, not a query plan.
 *
 * Redis down: FAIL-OPEN onto an in-memory insurance limiter (the library's `insuranceLimiter`),
 * i.e. each replica keeps counting on its own until Redis is back. Failing closed would turn a
 * Redis outage into a full outage of the API, a worse denial of service than limits that are, for
 * a while, N replicas times looser. While Redis is reconnecting the insurance counts at once (no
 * request waits for a reconnect); a command to a Redis that hangs gives up after 500 ms. Commands
 * sent while the FIRST connection is being made wait for it, so replicas agree from the start.
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';

/** The outcome of one hit, with what the RateLimit-* headers say. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Hits left in the sliding window after this one (0 when refused). */
  remaining: number;
  /** Seconds until the current window ends (RateLimit-Reset). */
  resetS: number;
  /** Seconds to wait before the next hit can pass (Retry-After), when refused. */
  retryAfterS: number;
}

export interface QuotaDecision {
  allowed: boolean;
  quota: number;
  remaining: number;
  /** Seconds until midnight UTC, when the quota resets. */
  resetS: number;
}

export interface RateLimiterOptions {
  /** Redis shared by every replica (REDIS_URL); unset: counters in this process only. */
  redisUrl?: string;
  /** Length of the sliding window in seconds (RATE_LIMIT_WINDOW_S). */
  windowS: number;
  /** Prefix of every Redis key (default 'passerelle:rl'). */
  keyPrefix?: string;
  /** Told once each time Redis fails and the in-memory insurance takes over. */
  onStoreError?: (error: unknown) => void;
}

// The library refuses past `points`; the decision is ours (limits differ per key), so it never does.
const UNBOUNDED = Number.MAX_SAFE_INTEGER;
const DAY_MS = 86_400_000;

export class RateLimiter {
  private readonly windowMs: number;
  private readonly shared: { windows: RateLimiterAbstract; days: RateLimiterAbstract };
  private readonly local: { windows: RateLimiterAbstract; days: RateLimiterAbstract };
  private readonly redis: Redis | undefined;

  constructor(options: RateLimiterOptions) {
    this.windowMs = options.windowS * 1000;
    const prefix = options.keyPrefix ?? 'passerelle:rl';
    // Each window's counter lives two windows: the next window still weighs it.
    const windowOptions = { points: UNBOUNDED, duration: options.windowS * 2 };
    // A day's counter carries its date in its key; it only has to outlive the day.
    const dayOptions = { points: UNBOUNDED, duration: 2 * 86_400 };
    if (options.redisUrl) {
      this.redis = new Redis(options.redisUrl, { commandTimeout: 500, maxRetriesPerRequest: 0 });
      let failing = false;
      this.redis.on('error', (error) => {
        if (failing) return;
        failing = true;
        options.onStoreError?.(error);
      });
      this.redis.on('ready', () => (failing = false));
    }
    this.local = {
      windows: new RateLimiterMemory({ ...windowOptions, keyPrefix: `${prefix}:w` }),
      days: new RateLimiterMemory({ ...dayOptions, keyPrefix: `${prefix}:d` }),
    };
    this.shared = this.redis
      ? {
          windows: new RateLimiterRedis({ ...windowOptions, storeClient: this.redis, keyPrefix: `${prefix}:w`, insuranceLimiter: this.local.windows }),
          days: new RateLimiterRedis({ ...dayOptions, storeClient: this.redis, keyPrefix: `${prefix}:d`, insuranceLimiter: this.local.days }),
        }
      : this.local;
  }

  /** Redis's counters, or this process's while Redis is being reconnected to. */
  private get windows(): RateLimiterAbstract {
    return this.reconnecting ? this.local.windows : this.shared.windows;
  }

  private get days(): RateLimiterAbstract {
    return this.reconnecting ? this.local.days : this.shared.days;
  }

  private get reconnecting(): boolean {
    return this.redis !== undefined && ['reconnecting', 'close', 'end'].includes(this.redis.status);
  }

  /**
   * Counts one hit of `key` weighing `weight` (1 for a request; an operation's estimated cost for a
   * cost budget) against `limit` per sliding window.
   */
  async hit(key: string, limit: number, now = Date.now(), weight = 1): Promise<RateDecision> {
    const index = Math.floor(now / this.windowMs);
    const elapsed = (now - index * this.windowMs) / this.windowMs;
    const currentKey = `${key}:${index}`;
    const [current, previous] = await Promise.all([this.windows.consume(currentKey, weight), this.windows.get(`${key}:${index - 1}`)]);
    const counted = consumed(current);
    const before = consumed(previous);
    const estimate = before * (1 - elapsed) + counted;
    const resetS = Math.max(1, Math.ceil(((1 - elapsed) * this.windowMs) / 1000));
    if (estimate <= limit) {
      return { allowed: true, limit, remaining: Math.max(0, Math.floor(limit - estimate)), resetS, retryAfterS: 0 };
    }
    await this.windows.reward(currentKey, weight);
    return { allowed: false, limit, remaining: 0, resetS, retryAfterS: this.retryAfter(limit, before, counted - weight, elapsed, weight) };
  }

  /** Counts one request of `key` against `quota` per UTC day. */
  async spend(key: string, quota: number, now = Date.now()): Promise<QuotaDecision> {
    const day = new Date(now).toISOString().slice(0, 10);
    const resetS = Math.max(1, Math.ceil((DAY_MS - (now % DAY_MS)) / 1000));
    const dayKey = `${key}:${day}`;
    const used = consumed(await this.days.consume(dayKey, 1));
    if (used <= quota) return { allowed: true, quota, remaining: quota - used, resetS };
    await this.days.reward(dayKey, 1);
    return { allowed: false, quota, remaining: 0, resetS };
  }

  /** Gives back a quota unit spent by a request that was refused afterwards (by the rate limit). */
  async refund(key: string, now = Date.now()): Promise<void> {
    await this.days.reward(`${key}:${new Date(now).toISOString().slice(0, 10)}`, 1);
  }

  async close(): Promise<void> {
    if (this.redis) this.redis.disconnect();
  }

  /**
   * When a hit of `weight` would pass, with `admitted` already counted in this window and `before` in
   * the previous: still in this window if it has room and the previous one's weight fades enough,
   * otherwise in the next one, once this window's weight (then the previous one) has faded enough.
   */
  private retryAfter(limit: number, before: number, admitted: number, elapsed: number, weight: number): number {
    let waitWindows: number;
    if (admitted + weight <= limit && before > 0) {
      waitWindows = 1 - (limit - admitted - weight) / before - elapsed;
    } else {
      const fade = admitted > 0 ? Math.max(0, 1 - (limit - weight) / admitted) : 0;
      waitWindows = 1 - elapsed + fade;
    }
    return Math.max(1, Math.ceil((Math.max(0, waitWindows) * this.windowMs) / 1000));
  }
}

function consumed(result: RateLimiterRes | null): number {
  return result?.consumedPoints ?? 0;
}
