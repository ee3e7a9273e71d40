/**
 * The shared store: Redis, behind a small local layer (memory/) so that the hottest entries cost no
 * round trip. Every replica follows the same invalidation streams and applies them to its own local
 * layer and to Redis (deletions are idempotent), so the two layers agree.
 *
 * In Redis (prefix `passerelle:cache:v1:`):
 * - `e:<sha256 of the key>`: `<expiresAt>\t<generation>\t<tags as JSON>\n<value as JSON>`, with a TTL
 *   (PX) of the entry's max-age; JSON text never holds a raw newline, so the header splits off cheaply;
 * - `t:<tag>`: the set of entry keys carrying the tag, kept as long as the longest max-age allowed;
 *   an invalidation deletes it and its entries in one script (INVALIDATE);
 * - `gen`: the generation of tagged entries. "Changes may have been missed" (an invalidation stream
 *   that dropped, an invalidation Redis did not take) increments it, and a tagged entry of another
 *   generation reads as a miss: one INCR stands for deleting every tagged entry.
 *
 * FAIL OPEN. Commands time out after COMMAND_TIMEOUT_MS and are not queued while Redis reconnects:
 * meanwhile reads miss (the local layer still answers) and writes are dropped, logged once per
 * outage. An invalidation Redis did not take leaves tagged entries there unusable until the
 * generation has been incremented, which is the first thing done once Redis answers again.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../../../../../common/logger.ts';
import type { EntryStore, StoredEntry } from '../index.ts';
import type { MemoryStore } from '../memory/index.ts';

const PREFIX = 'passerelle:cache:v1:';
const GENERATION_KEY = `${PREFIX}gen`;
/**
 * Drops every entry of the tags KEYS, and the tags' sets, in one atomic step (one round trip, and no
 * read can fall between finding the entries and deleting them). Returns how many entries went.
 */
const INVALIDATE = `
local dropped = 0
for _, tag in ipairs(KEYS) do
  local members = redis.call('SMEMBERS', tag)
  for first = 1, #members, 500 do
    dropped = dropped + redis.call('UNLINK', unpack(members, first, math.min(first + 499, #members)))
  end
  redis.call('DEL', tag)
end
return dropped`;
/** Longest a cache command may take before it counts as a miss: the cache must never slow an answer down much. */
const COMMAND_TIMEOUT_MS = 250;

export interface RedisStoreOptions {
  url: string;
  /** The local layer in front of Redis. */
  local: MemoryStore;
  /** How long a tag's set of keys is kept after its last write: the longest max-age allowed, in seconds. */
  tagTtlS: number;
  now: () => number;
  logger: Logger;
}

export class RedisStore implements EntryStore {
  private readonly redis: Redis;
  private readonly local: MemoryStore;
  /** The generation of tagged entries, as last read from Redis. */
  private generation = '0';
  /** An invalidation did not reach Redis: its tagged entries are not trusted until the generation moves. */
  private unsure = false;
  private reported = false;
  /** Counts invalidations: a read that was in flight across one must not bring back what it dropped. */
  private invalidations = 0;

  constructor(private readonly options: RedisStoreOptions) {
    this.local = options.local;
    this.redis = new Redis(options.url, { commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 0 });
    this.redis.on('error', (error: Error) => this.failed(error));
    this.redis.on('ready', () => {
      if (this.reported) options.logger.info('public cache: Redis is back');
      this.reported = false;
    });
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    const found: (StoredEntry | undefined)[] = keys.map((key) => this.local.get(key));
    const missing = keys.flatMap((key, index) => (found[index] ? [] : [index]));
    if (missing.length === 0 || !this.usable || !(await this.settled())) return found;
    const invalidations = this.invalidations;
    let replies: (string | null)[];
    try {
      replies = await this.redis.mget(GENERATION_KEY, ...missing.map((index) => entryKey(keys[index]!)));
    } catch (error) {
      this.failed(error);
      return found;
    }
    this.generation = replies[0] ?? '0';
    const now = this.options.now();
    // Redis may have answered before an invalidation that has run since (the local layer already
    // dropped its entries): a tagged entry read then is not trusted.
    const crossed = invalidations !== this.invalidations;
    missing.forEach((index, position) => {
      const entry = decode(replies[position + 1] ?? null, this.generation);
      if (!entry || entry.expiresAt <= now || (crossed && entry.tags.length > 0)) return;
      found[index] = entry;
      this.local.set(keys[index]!, entry);
    });
    return found;
  }

  async setMany(entries: readonly (StoredEntry & { key: string })[]): Promise<void> {
    for (const entry of entries) this.local.set(entry.key, entry);
    if (!this.usable) return;
    const now = this.options.now();
    const tagTtlMs = this.options.tagTtlS * 1000;
    const pipeline = this.redis.pipeline();
    let commands = 0;
    for (const entry of entries) {
      const ttlMs = entry.expiresAt - now;
      // Tagged entries written while an invalidation is unaccounted for could be stale already.
      if (ttlMs <= 0 || (this.unsure && entry.tags.length > 0)) continue;
      const key = entryKey(entry.key);
      pipeline.set(key, encode(entry, this.generation), 'PX', ttlMs);
      for (const tag of entry.tags) pipeline.sadd(tagKey(tag), key).pexpire(tagKey(tag), tagTtlMs);
      commands += 1;
    }
    if (commands === 0) return;
    try {
      await pipeline.exec();
    } catch (error) {
      this.failed(error);
    }
  }

  async invalidate(tags: readonly string[]): Promise<number> {
    if (tags.length === 0) return 0;
    // Counted, and the deletion sent, before anything is awaited: a read sent after this point is
    // queued behind the deletion on the same connection, one sent before is marked as crossing it.
    this.invalidations += 1;
    const remote = this.usable ? this.redis.eval(INVALIDATE, tags.length, ...tags.map(tagKey)) : undefined;
    if (!remote) this.unsure = true;
    let dropped = await this.local.invalidate(tags);
    try {
      dropped += Number(await remote);
    } catch (error) {
      this.unsure = true;
      this.failed(error);
    }
    return dropped;
  }

  async dropTagged(): Promise<void> {
    this.invalidations += 1;
    this.unsure = true;
    const settled = this.usable ? this.settled() : undefined;
    await this.local.dropTagged();
    await settled;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.local.close();
  }

  /** Commands wait for the first connection, not for a reconnection (then they would only delay answers). */
  private get usable(): boolean {
    return ['ready', 'connecting', 'connect', 'wait'].includes(this.redis.status);
  }

  /** Moves the generation past an unaccounted invalidation; false while that is not done. */
  private async settled(): Promise<boolean> {
    if (!this.unsure) return true;
    try {
      this.generation = String(await this.redis.incr(GENERATION_KEY));
      this.unsure = false;
      return true;
    } catch (error) {
      this.failed(error);
      return false;
    }
  }

  private failed(error: unknown): void {
    if (this.reported) return;
    this.reported = true;
    this.options.logger.warn({ err: error }, 'public cache: Redis unavailable; answering from the subgraphs until it is back');
  }
}

function entryKey(key: string): string {
  return `${PREFIX}e:${createHash('sha256').update(key).digest('base64url')}`;
}

function tagKey(tag: string): string {
  return `${PREFIX}t:${tag}`;
}

function encode(entry: StoredEntry, generation: string): string {
  return `${entry.expiresAt}\t${generation}\t${JSON.stringify(entry.tags)}\n${entry.text}`;
}

/** The entry a Redis value holds; undefined when malformed or a tagged entry of another generation. */
function decode(payload: string | null, generation: string): StoredEntry | undefined {
  if (payload === null) return undefined;
  const newline = payload.indexOf('\n');
  if (newline < 0) return undefined;
  const [expiresAt, written, tagsText] = payload.slice(0, newline).split('\t');
  let tags: unknown;
  try {
    tags = JSON.parse(tagsText ?? '');
  } catch {
    return undefined;
  }
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) return undefined;
  if (tags.length > 0 && written !== generation) return undefined;
  const expires = Number(expiresAt);
  if (!Number.isFinite(expires)) return undefined;
  return { text: payload.slice(newline + 1), expiresAt: expires, tags };
}
