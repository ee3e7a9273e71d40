/**
 * Per-request DataLoaders over the GRC connector: every entity and field the gateway asks for in
 * one operation is collected and fetched with one query per kind, whatever the number of keys.
 * Loaders call only the connector.
 */
import DataLoader from 'dataloader';
import type { CategoryRecord, GrcConnector, Page, RequestEventRecord, RequestFilter, RequestRecord, RequestStatsRecord, ServiceRecord, Window } from './connector.ts';
import { batchLoader, groupLoader, isolated } from '../kit/index.ts';
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

export function createLoaders(connector: GrcConnector) {
  // One member's rejected query is retried alone; an unavailable GRC fails everyone alike.
  const options = { maxBatchSize: MAX_BATCH_SIZE, isolate: rejectedQuery };
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
    timeline: groupLoader((ids: readonly string[]) => connector.timelines(ids), (e: RequestEventRecord) => e.requestId, options),
    communeStats: statsLoader((codes) => connector.statsByCommunes(codes)),
    departementStats: statsLoader((codes) => connector.statsByDepartements(codes)),
    /** Lycées asking for the same window share one query. */
    lyceeOpenRequests: new DataLoader<LyceePageKey, Page<RequestRecord>, string>(
      isolated(async (keys: readonly LyceePageKey[]) => {
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
      }, rejectedQuery),
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
    isolated(async (codes: readonly string[]) => {
      const found = new Map((await fetchMany(codes)).map((stats) => [stats.key, stats]));
      return codes.map((code) => found.get(code) ?? { key: code, total: 0, open: 0, resolved: 0, medianResolutionDays: null });
    }, rejectedQuery),
    { maxBatchSize: MAX_BATCH_SIZE },
  );
}

function rejectedQuery(error: unknown): boolean {
  return (error as { extensions?: { code?: unknown } }).extensions?.code === 'LEGACY_ERROR';
}
