/**
 * A lease in Redis: a key holding the holder's id with a time-to-live (`SET NX PX`), renewed by
 * the holder every `ttlMs / 3`, taken by another process once it lapses.
 *
 * The holder counts its lease from the moment it SENT the last successful renewal, so it always
 * believes it holds the lease for less time than Redis keeps the key. While Redis is unreachable
 * renewals wait in ioredis' queue, the local validity runs out and the holder stands down by
 * itself. Two holders at once remain possible in corner cases (a process paused longer than the
 * lease); the capture's consumers de-duplicate by cursor, so that costs duplicates, never losses.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../../../common/logger.ts';
import type { Lease } from '../index.ts';

/** Renew when ours, take when free, in one step (a GET then a SET could race another process). */
const ACQUIRE_OR_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisLease implements Lease {
  private readonly id = randomUUID();
  private readonly timer: NodeJS.Timeout;
  private validUntil = 0;
  private renewing = false;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(ttlMs / 3)));
    void this.renew();
  }

  held(): boolean {
    return !this.closed && Date.now() < this.validUntil;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const wasHeld = Date.now() < this.validUntil;
    this.validUntil = 0;
    if (!wasHeld) return;
    // Best effort: with Redis away the key simply lapses; shutting down must not wait for it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.redis.eval(RELEASE, 1, this.key, this.id).catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
  }

  private async renew(): Promise<void> {
    // A renewal stuck in the queue while Redis is away must not be joined by more of them.
    if (this.renewing || this.closed) return;
    this.renewing = true;
    const sentAt = Date.now();
    const before = this.held();
    try {
      const granted = (await this.redis.eval(ACQUIRE_OR_RENEW, 1, this.key, this.id, String(this.ttlMs))) === 1;
      if (this.closed) return;
      this.validUntil = granted ? sentAt + this.ttlMs : 0;
    } catch {
      // Left as it was: the local validity runs out by itself if Redis stays away.
    } finally {
      this.renewing = false;
    }
    if (this.held() !== before) this.logger.info({ lease: this.key, held: this.held() }, this.held() ? 'lease acquired' : 'lease lost');
  }
}
