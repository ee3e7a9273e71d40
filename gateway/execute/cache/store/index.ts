/**
 * Where cached fetch results live. One small interface, one folder per implementation, picked by
 * REDIS_URL:
 * - `memory/`: a least-recently-used map with expiry, bounded in entries and characters, for one
 *   process (no REDIS_URL), and as the small local layer in front of Redis;
 * - `redis/`: Redis with expiry, shared by every gateway replica, behind the local layer; fails open
 *   (a miss, a dropped write) while Redis is away.
 * Values travel as JSON text: the cache parses a fresh copy for each reader.
 */
export interface StoredEntry {
  /** The value as JSON text. */
  text: string;
  /** ms since epoch. */
  expiresAt: number;
  /** Invalidation tags the value depends on. */
  tags: readonly string[];
}

export interface EntryStore {
  /** The live entries for `keys` (undefined where missing or expired). */
  getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]>;
  setMany(entries: readonly (StoredEntry & { key: string })[]): Promise<void>;
  /** Drops every entry carrying one of `tags`; resolves to how many went (as far as it knows). */
  invalidate(tags: readonly string[]): Promise<number>;
  /** Drops every entry carrying any tag: changes may have been missed. */
  dropTagged(): Promise<void>;
  close(): Promise<void>;
}

export { MemoryStore, type MemoryStoreOptions } from './memory/index.ts';
export { RedisStore, type RedisStoreOptions } from './redis/index.ts';
