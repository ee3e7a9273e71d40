/**
 * Per-request DataLoaders over the GRC connector: every entity and field the gateway asks for in
 * one operation is collected and fetched with one query per kind, whatever the number of keys.
 * Loaders call only the connector.
 */
import DataLoader from 'dataloader';
import type { CategoryRecord, GrcConnector, Page, RequestEventRecord, RequestFilter, RequestRecord, RequestStatsRecord, ServiceRecord, Window } from './connector.ts';
import { createEstimateLoader } from './workflow/estimate.ts';

/** Far above the 507 communes of the largest département; bounds one `ANY($1)` array. */
const MAX_BATCH_SIZE = 5000;

export interface SearchKey extends Window {
  filter: RequestFilter;
}

export interface LyceePageKey extends Window {
  uai: string;
  /** The row rules' restriction (access/rules.ts); every key of one operation has the same. */
  rows: Pick<RequestFilter, 'serviceIds' | 'references'>;
}

/**
 * A batch function that answers one value per key, made so that one member's failure never fails
 * the others (issue 7): each caller's input is validated before it joins a batch, and should the
 * batch query still fail, every key is retried alone and only the keys that fail alone get the error.
 */
function isolated<K, V>(load: (keys: readonly K[]) => Promise<V[]>): (keys: readonly K[]) => Promise<(V | Error)[]> {
  return async (keys) => {
    try {
      return await load(keys);
    } catch (error) {
      // Only a rejected query can be one member's fault; an unavailable GRC fails everyone alike.
      if (keys.length === 1 || !rejectedQuery(error)) return keys.map(() => error as Error);
      return Promise.all(keys.map((key) => load([key]).then((values) => values[0]!, (failure: unknown) => failure as Error)));
    }
  };
}

/** One record (or null) per key, from a batch call that returns records in any order. */
function byKey<K, V>(fetchMany: (keys: readonly K[]) => Promise<V[]>, keyOf: (value: V) => K) {
  return async (keys: readonly K[]): Promise<(V | null)[]> => {
    const found = new Map<K, V>();
    for (const value of await fetchMany(keys)) found.set(keyOf(value), value);
    return keys.map((key) => found.get(key) ?? null);
  };
}

/** The list of records of each key, from a batch call that returns them all together. */
function groupedByKey<K, V>(fetchMany: (keys: readonly K[]) => Promise<V[]>, groupOf: (value: V) => K) {
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

export function createLoaders(connector: GrcConnector) {
  const options = { maxBatchSize: MAX_BATCH_SIZE };
  const services = new DataLoader<'all', ServiceRecord[]>(async (keys) => {
    const all = await connector.services();
    return keys.map(() => all);
  });
  const categories = new DataLoader<'all', CategoryRecord[]>(async (keys) => {
    const all = await connector.categories();
    return keys.map(() => all);
  });
  return {
    requestById: new DataLoader<string, RequestRecord | null>(isolated(byKey((ids) => connector.requestsByIds(ids), (r) => r.id)), options),
    requestByReference: new DataLoader<string, RequestRecord | null>(isolated(byKey((refs) => connector.requestsByReferences(refs), (r) => r.reference)), options),
    timeline: new DataLoader<string, RequestEventRecord[]>(isolated(groupedByKey((ids) => connector.timelines(ids), (e) => e.requestId)), options),
    communeStats: statsLoader((codes) => connector.statsByCommunes(codes)),
    departementStats: statsLoader((codes) => connector.statsByDepartements(codes)),
    /** Lycées asking for the same window share one query. */
    lyceeOpenRequests: new DataLoader<LyceePageKey, Page<RequestRecord>, string>(
      isolated(async (keys) => {
        const byWindow = new Map<string, { window: Window; rows: LyceePageKey['rows']; uais: string[] }>();
        for (const key of keys) {
          const id = windowOf(key);
          const group = byWindow.get(id) ?? { window: { offset: key.offset, limit: key.limit }, rows: key.rows, uais: [] };
          group.uais.push(key.uai);
          byWindow.set(id, group);
        }
        const pages = new Map<string, Page<RequestRecord>>();
        await Promise.all(
          [...byWindow.entries()].map(async ([id, { window, rows, uais }]) => {
            for (const [uai, page] of await connector.openRequestsByLycees(uais, window, rows)) pages.set(`${uai}|${id}`, page);
          }),
        );
        return keys.map((key) => pages.get(`${key.uai}|${windowOf(key)}`)!);
      }),
      { ...options, cacheKeyFn: (key) => `${key.uai}|${windowOf(key)}` },
    ),
    search: new DataLoader<SearchKey, Page<RequestRecord>, string>(
      (keys) => Promise.all(keys.map((key) => connector.searchRequests(key.filter, key).catch((error: Error) => error))),
      { cacheKeyFn: (key) => JSON.stringify([key.filter, key.offset, key.limit]) },
    ),
    services,
    /** Completion estimates, one query per batch (workflow/estimate.ts). */
    estimate: createEstimateLoader(connector),
    categories,
    serviceById: new DataLoader<number, ServiceRecord | null>(async (ids) => {
      const all = await services.load('all');
      return ids.map((id) => all.find((s) => s.id === id) ?? null);
    }),
    categoryById: new DataLoader<number, CategoryRecord | null>(async (ids) => {
      const all = await categories.load('all');
      return ids.map((id) => all.find((c) => c.id === id) ?? null);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

const windowOf = (key: LyceePageKey) => JSON.stringify([key.offset, key.limit, key.rows.serviceIds ?? null, key.rows.references ?? null]);

/** Statistics per territory code; a territory without requests gets zeros, not null. */
function statsLoader(fetchMany: (codes: readonly string[]) => Promise<RequestStatsRecord[]>) {
  return new DataLoader<string, RequestStatsRecord>(
    isolated(async (codes) => {
      const found = new Map((await fetchMany(codes)).map((stats) => [stats.key, stats]));
      return codes.map((code) => found.get(code) ?? { key: code, total: 0, open: 0, resolved: 0, medianResolutionDays: null });
    }),
    { maxBatchSize: MAX_BATCH_SIZE },
  );
}

function rejectedQuery(error: unknown): boolean {
  return (error as { extensions?: { code?: unknown } }).extensions?.code === 'LEGACY_ERROR';
}
