/**
 * A TTL cache with in-flight de-duplication, for yearly reference data (geodata, programmes): two
 * concurrent requests for the same key share one upstream call, and a failed call is not cached.
 * It lives for the process, unlike DataLoader caches, which live for one request.
 */
export class TtlCache<K, V> {
  private entries = new Map<K, { value: Promise<V>; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  get(key: K, load: (key: K) => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = load(key);
    if (this.ttlMs > 0) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
      this.entries.set(key, { value, expires: now + this.ttlMs });
      value.catch(() => this.entries.delete(key));
    }
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
