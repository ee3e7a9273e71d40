/**
 * DataLoader helpers. Loaders are created per request (in each subgraph's context factory), so
 * their cache is a per-request de-duplication; longer-lived caching is the connector's business.
 */
import DataLoader from 'dataloader';

export interface BatchOptions {
  maxBatchSize?: number;
  /**
   * Which failures of a batch call may be one member's fault (e.g. LEGACY_ERROR: the system refused
   * the query, perhaps for one key's value). On such a failure every key is retried alone, and only
   * the keys that fail alone get the error: one caller's bad input never fails the others batched
   * with it (issue 7). Other failures (the system is down) fail every key at once, without retries.
   * Default: none is, every failure fails the whole batch.
   */
  isolate?: (error: unknown) => boolean;
}

/**
 * A batch function that answers one value per key, made so that one member's failure never fails
 * the others when `isolate` says the failure may be that member's.
 */
export function isolated<K, V>(load: (keys: readonly K[]) => Promise<V[]>, isolate: ((error: unknown) => boolean) | undefined): (keys: readonly K[]) => Promise<(V | Error)[]> {
  if (!isolate) return load;
  return async (keys) => {
    try {
      return await load(keys);
    } catch (error) {
      if (keys.length === 1 || !isolate(error)) return keys.map(() => error as Error);
      return Promise.all(keys.map((key) => load([key]).then((values) => values[0]!, (failure: unknown) => failure as Error)));
    }
  };
}

/** One record (or null) per key, from a batch call that returns records in any order. */
export function byKey<K, V>(fetchMany: (keys: readonly K[]) => Promise<V[]>, keyOf: (value: V) => K) {
  return async (keys: readonly K[]): Promise<(V | null)[]> => {
    const found = new Map<K, V>();
    for (const value of await fetchMany(keys)) found.set(keyOf(value), value);
    return keys.map((key) => found.get(key) ?? null);
  };
}

/** The list of records of each key, from a batch call that returns them all together. */
export function groupedByKey<K, V>(fetchMany: (keys: readonly K[]) => Promise<V[]>, groupOf: (value: V) => K) {
  return async (keys: readonly K[]): Promise<V[][]> => {
    const groups = new Map<K, V[]>();
    for (const value of await fetchMany(keys)) {
      const key = groupOf(value);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(value);
    }
    return keys.map((key) => groups.get(key) ?? []);
  };
}

/**
 * A loader over a batch call that returns records in any order: results are matched back to keys
 * with `keyOf`; a key with no record resolves to null.
 */
export function batchLoader<K, V>(
  fetchMany: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (value: V) => K,
  options: BatchOptions = {},
): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(isolated(byKey(fetchMany, keyOf), options.isolate), { maxBatchSize: options.maxBatchSize });
}

/**
 * A loader over a batch call that returns, per key, a list (e.g. investments per commune).
 */
export function groupLoader<K, V>(
  fetchMany: (keys: readonly K[]) => Promise<V[]>,
  groupOf: (value: V) => K,
  options: BatchOptions & { cacheKeyFn?: (key: K) => unknown } = {},
): DataLoader<K, V[], unknown> {
  return new DataLoader<K, V[], unknown>(isolated(groupedByKey(fetchMany, groupOf), options.isolate), {
    maxBatchSize: options.maxBatchSize,
    cacheKeyFn: options.cacheKeyFn,
  });
}

/**
 * For systems with no batch endpoint (the geo API): one upstream call per distinct key, issued
 * concurrently within the batch, de-duplicated by DataLoader and cached by the connector.
 */
export function perKeyLoader<K, V>(fetchOne: (key: K) => Promise<V | null>): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(async (keys) => {
    const settled = await Promise.all(keys.map((key) => fetchOne(key).catch((error: unknown) => error as Error)));
    return settled;
  });
}
