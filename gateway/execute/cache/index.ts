/**
 * The public-data cache of plan fetches (issue 8). The execution engine asks `policyOf` whether a
 * fetch may be cached — only when every field it selects is hinted PUBLIC with a max-age and none is
 * access-controlled (policy.ts has the rule) — then reads the entries of its representations (or
 * of the root fetch) with `getMany`, fetches the misses, and stores the results without errors with
 * `setMany`. Keys are the engine's: `<subgraph>\0<sha256 of the fetch text>\0<JSON of its
 * variables>\0<JSON of the representation>`. Since a cacheable fetch selects nothing whose value
 * depends on who asks, one entry serves every caller; the caller's identity is never part of a key.
 *
 * Entries live in process (no REDIS_URL) or in Redis behind a small local layer (store/). Entries
 * with invalidation tags (`@cacheTag`) are dropped by the change events the supergraph's
 * `@cacheInvalidation` streams carry (invalidation.ts, `follow`), and used only while those streams
 * are live; others simply expire. A stale write is refused: a result fetched before an invalidation
 * of one of its tags (or before a gap) is not stored when it arrives after it.
 */
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../../../common/logger.ts';
import { readHints, type SupergraphHints } from './hints.ts';
import { InvalidationFollower } from './invalidation.ts';
import { computePolicy, type CachePolicy } from './policy.ts';
import { MemoryStore, RedisStore, type EntryStore } from './store/index.ts';

export type { CachePolicy } from './policy.ts';
export { CACHE_SPEC_URL } from './hints.ts';

export interface FetchCache {
  /** Whether (and how long) one fetch of a plan may be cached: every field it selects must be hinted PUBLIC with maxAge > 0 (policy.ts). Memoised per (supergraph, subgraph, operation text). Undefined: never cached. */
  policyOf(supergraph: GraphQLSchema, subgraph: string, operation: string): CachePolicy | undefined;
  /** Cached values (parsed, fresh objects the caller may mutate) for keys; undefined where missing/expired. */
  getMany(keys: readonly string[]): Promise<(unknown | undefined)[]>;
  /** Stores values (the caller hands the subgraph's result for one representation or one root fetch; only results WITHOUT errors are stored). */
  setMany(entries: readonly { key: string; value: unknown; maxAgeS: number; tags: readonly string[] }[]): void;
  stats(): { hits: number; misses: number; invalidations: number };
  /**
   * Follows the invalidation streams `supergraph` declares (call it with each supergraph the gateway
   * loads; streams it no longer declares are closed). `subgraphUrl` overrides the URL the supergraph
   * gives a subgraph (SUBGRAPH_URLS). Until it is called, tagged entries are never used.
   */
  follow?(supergraph: GraphQLSchema, subgraphUrl?: (name: string) => string | undefined): void;
  /** Whether tagged entries are used now: every invalidation stream followed is live. */
  invalidationsLive?(): boolean;
  /** Applies an invalidation by hand (tests, an operator's tool): drops the entries carrying any of `tags`. */
  invalidate?(tags: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** What `createFetchCache` returns: the engine's contract, every optional member present. */
export type PublicDataCache = Required<FetchCache>;

export interface FetchCacheOptions {
  /** PUBLIC_CACHE: false makes `policyOf` answer undefined for every fetch (nothing is cached, Redis is not opened). Default true. */
  enabled?: boolean;
  /** REDIS_URL: entries shared by every replica in Redis, behind a local layer; unset: in process only. */
  redisUrl?: string;
  /** PUBLIC_CACHE_MAX_ENTRIES: entries kept in process (the whole cache, or the local layer in front of Redis); least recently used go first. */
  maxEntries: number;
  /** PUBLIC_CACHE_MAX_AGE_S: the longest any entry is kept, whatever the hints say. Default 3600. */
  maxAgeCapS?: number;
  /** Characters of JSON the in-process layer keeps at most, over all entries. Default 64,000,000. */
  maxChars?: number;
  /** How the invalidation streams are opened: an anonymous caller's gateway-signed identity, and the socket timeout (SUBGRAPH_TIMEOUT_MS). */
  invalidation?: { identity: () => string; timeoutMs: number };
  /** The clock (ms since epoch); tests pass a fake one. */
  now?: () => number;
  logger: Logger;
}

/** Policies remembered per supergraph, at most this many (plans are few; a flood of distinct texts is not). */
const MAX_POLICIES = 10_000;
/** Keys whose miss is remembered (to refuse stale writes), at most this many. */
const MAX_PENDING = 50_000;

export function createFetchCache(options: FetchCacheOptions): PublicDataCache {
  const enabled = options.enabled ?? true;
  const now = options.now ?? Date.now;
  const maxAgeCapS = options.maxAgeCapS ?? 3600;
  const { logger } = options;
  const local = new MemoryStore({ maxEntries: options.maxEntries, maxChars: options.maxChars ?? 64_000_000, now });
  const store: EntryStore = enabled && options.redisUrl ? new RedisStore({ url: options.redisUrl, local, tagTtlS: maxAgeCapS, now, logger }) : local;
  const stats = { hits: 0, misses: 0, invalidations: 0 };
  const bySupergraph = new WeakMap<GraphQLSchema, { hints: SupergraphHints; policies: Map<string, CachePolicy | null> }>();
  const known = (supergraph: GraphQLSchema) => {
    let found = bySupergraph.get(supergraph);
    if (!found) {
      found = { hints: readHints(supergraph), policies: new Map() };
      bySupergraph.set(supergraph, found);
    }
    return found;
  };

  // Every invalidation (a tag's, or a gap dropping everything tagged) takes the next number; a key
  // remembers the number current when it missed, and its result is stored only if nothing it
  // depends on was invalidated since.
  let sequence = 0;
  let lastGap = 0;
  const invalidatedAt = new Map<string, number>();
  const missedAt = new Map<string, number>();

  const applyTags = async (tags: readonly string[]) => {
    sequence += 1;
    for (const tag of tags) {
      invalidatedAt.delete(tag);
      invalidatedAt.set(tag, sequence);
    }
    // Forgetting old invalidations is safe only as a gap for every write still pending.
    if (invalidatedAt.size > MAX_PENDING) {
      invalidatedAt.clear();
      lastGap = sequence;
    }
    try {
      stats.invalidations += await store.invalidate(tags);
    } catch (error) {
      logger.warn({ err: error }, 'public cache: invalidation failed');
    }
  };
  const gap = () => {
    sequence += 1;
    lastGap = sequence;
    invalidatedAt.clear();
    store.dropTagged().catch((error: unknown) => logger.warn({ err: error }, 'public cache: dropping tagged entries failed'));
  };
  const follower = options.invalidation
    ? new InvalidationFollower({ ...options.invalidation, logger, onTags: (tags) => void applyTags(tags), onGap: gap })
    : undefined;
  const taggedUsable = () => follower?.live() ?? false;

  return {
    policyOf(supergraph, subgraph, operation) {
      if (!enabled) return undefined;
      const { hints, policies } = known(supergraph);
      const id = `${subgraph}\0${operation}`;
      const cached = policies.get(id);
      if (cached !== undefined) return cached ?? undefined;
      const policy = computePolicy(supergraph, hints, subgraph, operation, maxAgeCapS);
      if (policies.size >= MAX_POLICIES) policies.clear();
      policies.set(id, policy ?? null);
      return policy;
    },

    async getMany(keys) {
      if (!enabled || keys.length === 0) return keys.map(() => undefined);
      let entries;
      try {
        entries = await store.getMany(keys);
      } catch (error) {
        logger.warn({ err: error }, 'public cache: read failed');
        entries = keys.map(() => undefined);
      }
      const usable = taggedUsable();
      return entries.map((entry, index) => {
        const value = entry && (entry.tags.length === 0 || usable) ? parseOrUndefined(entry.text) : undefined;
        if (value !== undefined) {
          stats.hits += 1;
          return value;
        }
        stats.misses += 1;
        const key = keys[index]!;
        missedAt.delete(key);
        missedAt.set(key, sequence);
        if (missedAt.size > MAX_PENDING) missedAt.delete(missedAt.keys().next().value!);
        return undefined;
      });
    },

    setMany(entries) {
      if (!enabled || entries.length === 0) return;
      const at = now();
      const usable = taggedUsable();
      const fresh = entries.flatMap(({ key, value, maxAgeS, tags }) => {
        const since = missedAt.get(key);
        missedAt.delete(key);
        const ttlS = Math.min(maxAgeS, maxAgeCapS);
        if (!(ttlS > 0) || value === undefined) return [];
        if (tags.length > 0 && (!usable || since === undefined || lastGap > since || tags.some((tag) => (invalidatedAt.get(tag) ?? 0) > since))) return [];
        let text: string;
        try {
          text = JSON.stringify(value);
        } catch {
          return [];
        }
        return [{ key, text, expiresAt: at + ttlS * 1000, tags: [...tags] }];
      });
      if (fresh.length === 0) return;
      store.setMany(fresh).catch((error: unknown) => logger.warn({ err: error }, 'public cache: write failed'));
    },

    stats: () => ({ ...stats }),

    follow(supergraph, subgraphUrl) {
      if (!enabled || !follower) return;
      const fields = known(supergraph).hints.invalidationFields().map((field) => ({ ...field, url: subgraphUrl?.(field.subgraph) ?? field.url }));
      follower.follow(fields.filter((field) => field.url !== ''));
    },

    invalidationsLive: taggedUsable,

    invalidate: (tags) => applyTags(tags),

    async close() {
      follower?.close();
      await store.close();
    },
  };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
