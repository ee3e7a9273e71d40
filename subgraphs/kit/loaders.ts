/**
 * DataLoader helpers. Loaders are created per request (in each subgraph's context factory), so
 * their cache is a per-request de-duplication; longer-lived caching is the connector's business.
 */
import DataLoader from 'dataloader';

/**
 * A loader over a batch call that returns records in any order: results are matched back to keys
 * with `keyOf`; a key with no record resolves to null.
 */
export function batchLoader<K, V>(
  fetchMany: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (value: V) => K,
  options: { maxBatchSize?: number } = {},
): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(
    async (keys) => {
      const found = new Map<K, V>();
      for (const value of await fetchMany(keys)) found.set(keyOf(value), value);
      return keys.map((key) => found.get(key) ?? null);
    },
    { maxBatchSize: options.maxBatchSize },
  );
}

/**
 * A loader over a batch call that returns, per key, a list (e.g. investments per commune).
 */
export function groupLoader<K, V>(
  fetchMany: (keys: readonly K[]) => Promise<V[]>,
  groupOf: (value: V) => K,
  options: { maxBatchSize?: number; cacheKeyFn?: (key: K) => unknown } = {},
): DataLoader<K, V[], unknown> {
  return new DataLoader<K, V[], unknown>(
    async (keys) => {
      const groups = new Map<K, V[]>();
      for (const value of await fetchMany(keys)) {
        const key = groupOf(value);
        let group = groups.get(key);
        if (!group) groups.set(key, (group = []));
        group.push(value);
      }
      return keys.map((key) => groups.get(key) ?? []);
    },
    { maxBatchSize: options.maxBatchSize, cacheKeyFn: options.cacheKeyFn },
  );
}

/**
 * For systems with no batch endpoint (the geo API): one upstream call per distinct key, issued
 * concurrently within the batch, de-duplicated by DataLoader and cached by the connector.
 */
export function perKeyLoader<K, V>(fetchOne: (key: K) => Promise<V | null>): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(async (keys) => {
    const settled = await Promise.allSettled(keys.map((key) => fetchOne(key)));
    return settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error)));
  });
}
