/**
 * The in-process store: a Map in least-recently-used order (a read moves an entry to the end, the
 * oldest go first), bounded in entries and in characters, each entry with its expiry, and an index
 * from tag to keys so an invalidation touches only the entries it names.
 */
import type { EntryStore, StoredEntry } from '../index.ts';

export interface MemoryStoreOptions {
  /** Most entries kept (PUBLIC_CACHE_MAX_ENTRIES). */
  maxEntries: number;
  /** Most characters of JSON kept over all entries; the oldest go first past it. */
  maxChars: number;
  /** The clock (ms since epoch); tests pass a fake one. */
  now: () => number;
}

export class MemoryStore implements EntryStore {
  private readonly entries = new Map<string, StoredEntry>();
  private readonly byTag = new Map<string, Set<string>>();
  private chars = 0;

  constructor(private readonly options: MemoryStoreOptions) {}

  get size(): number {
    return this.entries.size;
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    return keys.map((key) => this.get(key));
  }

  get(key: string): StoredEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.options.now()) {
      this.remove(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  async setMany(entries: readonly (StoredEntry & { key: string })[]): Promise<void> {
    for (const entry of entries) this.set(entry.key, entry);
  }

  set(key: string, entry: StoredEntry): void {
    if (this.options.maxEntries <= 0 || entry.text.length > this.options.maxChars) return;
    this.remove(key);
    const stored: StoredEntry = { text: entry.text, expiresAt: entry.expiresAt, tags: [...entry.tags] };
    this.entries.set(key, stored);
    this.chars += stored.text.length;
    for (const tag of stored.tags) {
      const keys = this.byTag.get(tag) ?? new Set<string>();
      keys.add(key);
      this.byTag.set(tag, keys);
    }
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.options.maxEntries && this.chars <= this.options.maxChars) break;
      this.remove(oldest);
    }
  }

  async invalidate(tags: readonly string[]): Promise<number> {
    let dropped = 0;
    for (const tag of tags) {
      for (const key of [...(this.byTag.get(tag) ?? [])]) dropped += this.remove(key) ? 1 : 0;
    }
    return dropped;
  }

  async dropTagged(): Promise<void> {
    for (const keys of [...this.byTag.values()]) for (const key of [...keys]) this.remove(key);
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.byTag.clear();
    this.chars = 0;
  }

  private remove(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.chars -= entry.text.length;
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.byTag.delete(tag);
    }
    return true;
  }
}
