/**
 * Per-request DataLoaders over the GRC connector: every entity and field the gateway asks for in
 * one operation is collected and fetched with one query per kind, whatever the number of keys.
 * Loaders call only the connector.
 */
import DataLoader from 'dataloader';
import { batchLoader, groupLoader } from '../kit/index.ts';
import type { CategoryRecord, GrcConnector, Page, RequestFilter, RequestRecord, RequestStatsRecord, ServiceRecord, Window } from './connector.ts';
import { createEstimateLoader } from './estimate.ts';

/** Far above the 507 communes of the largest département; bounds one `ANY($1)` array. */
const MAX_BATCH_SIZE = 5000;

export interface SearchKey extends Window {
  filter: RequestFilter;
}

export interface LyceePageKey extends Window {
  uai: string;
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
    requestById: batchLoader((ids: readonly string[]) => connector.requestsByIds(ids), (r) => r.id, options),
    requestByReference: batchLoader((refs: readonly string[]) => connector.requestsByReferences(refs), (r) => r.reference, options),
    timeline: groupLoader((ids: readonly string[]) => connector.timelines(ids), (e) => e.requestId, options),
    communeStats: statsLoader((codes) => connector.statsByCommunes(codes)),
    departementStats: statsLoader((codes) => connector.statsByDepartements(codes)),
    /** Lycées asking for the same window share one query. */
    lyceeOpenRequests: new DataLoader<LyceePageKey, Page<RequestRecord>, string>(
      async (keys) => {
        const byWindow = new Map<string, { window: Window; uais: string[] }>();
        for (const key of keys) {
          const id = `${key.offset}:${key.limit}`;
          const group = byWindow.get(id) ?? { window: { offset: key.offset, limit: key.limit }, uais: [] };
          group.uais.push(key.uai);
          byWindow.set(id, group);
        }
        const pages = new Map<string, Page<RequestRecord>>();
        await Promise.all(
          [...byWindow.values()].map(async ({ window, uais }) => {
            for (const [uai, page] of await connector.openRequestsByLycees(uais, window)) pages.set(`${uai}|${window.offset}:${window.limit}`, page);
          }),
        );
        return keys.map((key) => pages.get(`${key.uai}|${key.offset}:${key.limit}`)!);
      },
      { ...options, cacheKeyFn: (key) => `${key.uai}|${key.offset}:${key.limit}` },
    ),
    search: new DataLoader<SearchKey, Page<RequestRecord>, string>(
      (keys) => Promise.all(keys.map((key) => connector.searchRequests(key.filter, key).catch((error: Error) => error))),
      { cacheKeyFn: (key) => JSON.stringify([key.filter, key.offset, key.limit]) },
    ),
    services,
    /** Completion estimates, one query per batch (estimate.ts). */
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

/** Statistics per territory code; a territory without requests gets zeros, not null. */
function statsLoader(fetchMany: (codes: readonly string[]) => Promise<RequestStatsRecord[]>) {
  return new DataLoader<string, RequestStatsRecord>(
    async (codes) => {
      const found = new Map((await fetchMany(codes)).map((stats) => [stats.key, stats]));
      return codes.map((code) => found.get(code) ?? { key: code, total: 0, open: 0, resolved: 0, medianResolutionDays: null });
    },
    { maxBatchSize: MAX_BATCH_SIZE },
  );
}
