/**
 * API keys in Redis (REDIS_URL), shared by every gateway replica: one hash per key
 * (`passerelle:api-key:<id>`) and a set of ids. Each replica caches the records it has read, and
 * every change is published on `passerelle:api-keys`: each replica drops that record from its cache
 * as the message arrives, so a revoked or rotated key stops working at once everywhere. When the
 * subscription connection is lost, messages may be missed: the cache is emptied when it comes back,
 * and is not used at all while it is down.
 */
import { Redis } from 'ioredis';
import { isApiKeyRecord, type ApiKeyRecord, type ApiKeyStore } from '../store.ts';

const PREFIX = 'passerelle:api-key:';
const IDS = 'passerelle:api-keys:ids';
const CHANNEL = 'passerelle:api-keys';

export interface RedisApiKeyStoreOptions {
  url: string;
  /** Whether to cache records and follow changes (the gateway); the CLI needs neither. Default true. */
  cache?: boolean;
}

export function redisApiKeyStore(options: RedisApiKeyStoreOptions): ApiKeyStore & { ready(): Promise<void> } {
  const redis = new Redis(options.url, { maxRetriesPerRequest: 2 });
  // ioredis reconnects by itself; without a listener each failed attempt is printed as unhandled.
  // A key cannot be read meanwhile: its verification fails (closed), it is never let through unchecked.
  redis.on('error', () => {});
  // Found records only: unknown ids (anyone can make one up) are not kept, so the cache stays small.
  const cache = new Map<string, ApiKeyRecord>();
  // Changes seen per id: a read that a change overtook is not cached (the reply may predate it).
  const changes = new Map<string, number>();
  let subscriber: Redis | undefined;
  // True only while the subscription is live: a cache that might have missed a revocation is not used.
  let following = false;
  let markFollowing = () => {};
  const firstFollow = new Promise<void>((resolve) => (markFollowing = resolve));

  if (options.cache !== false) {
    const connection = new Redis(options.url);
    connection.on('error', () => {});
    subscriber = connection;
    connection.on('message', (_channel: string, id: string) => {
      changes.set(id, (changes.get(id) ?? 0) + 1);
      cache.delete(id);
    });
    connection.on('close', () => {
      following = false;
      cache.clear();
    });
    connection.on('ready', () => {
      connection
        .subscribe(CHANNEL)
        .then(() => {
          cache.clear();
          following = true;
          markFollowing();
        })
        .catch(() => {});
    });
  } else {
    markFollowing();
  }

  async function read(id: string): Promise<ApiKeyRecord | undefined> {
    const fields = await redis.hgetall(PREFIX + id);
    if (!fields.record) return undefined;
    try {
      const record: unknown = JSON.parse(fields.record);
      return isApiKeyRecord(record) ? record : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    ready: () => firstFollow,
    async get(id) {
      if (following) {
        const cached = cache.get(id);
        if (cached) return cached;
      }
      const seen = changes.get(id) ?? 0;
      const record = await read(id);
      if (record && following && (changes.get(id) ?? 0) === seen) cache.set(id, record);
      return record;
    },
    async list() {
      const ids = await redis.smembers(IDS);
      const records = await Promise.all(ids.sort().map((id) => read(id)));
      return records.filter((record): record is ApiKeyRecord => record !== undefined);
    },
    async put(record) {
      // The record as one JSON field (arrays and optional limits round-trip exactly), a few plain
      // fields beside it for people reading Redis by hand.
      await redis
        .multi()
        .hset(PREFIX + record.id, { record: JSON.stringify(record), name: record.name, revoked: record.revokedAt ? '1' : '0' })
        .sadd(IDS, record.id)
        .publish(CHANNEL, record.id)
        .exec();
    },
    async close() {
      following = false;
      await Promise.allSettled([redis.quit(), subscriber?.quit()]);
    },
  };
}
