/**
 * Per-request loaders of the lycées subgraph. Every entity and field resolution goes through a
 * batch loader, so a query over 500 communes or lycées costs one API call per batch endpoint.
 * The paginated list endpoint serves only the `lycees` root connection, never bulk loads.
 */
import { batchLoader, groupLoader } from '../kit/index.ts';
import { API_MAX_PER_PAGE, type Lycee, type LyceeListFilter, type LyceesConnector } from './connector.ts';

/** At least the API's batch limit, so one DataLoader batch is one call (the connector splits beyond). */
const MAX_BATCH_SIZE = 1000;

export function createLoaders(connector: LyceesConnector) {
  const lycee = batchLoader((uais: readonly string[]) => connector.getMany(uais), (l) => l.uai, { maxBatchSize: MAX_BATCH_SIZE });

  /** Lycées fetched by another route are primed, so resolving them again costs no call. */
  const primed = (lycees: Lycee[]): Lycee[] => {
    for (const l of lycees) lycee.prime(l.uai, l);
    return lycees;
  };

  return {
    lycee,
    lyceesOfCommune: groupLoader(
      async (codes: readonly string[]) => primed(await connector.byCommunes(codes)),
      (l) => l.communeCode,
      { maxBatchSize: MAX_BATCH_SIZE },
    ),
    equipment: batchLoader((uais: readonly string[]) => connector.equipment(uais), (e) => e.uai, { maxBatchSize: MAX_BATCH_SIZE }),
    ent: batchLoader((uais: readonly string[]) => connector.ent(uais), (e) => e.uai, { maxBatchSize: MAX_BATCH_SIZE }),
    connectivity: batchLoader((uais: readonly string[]) => connector.connectivity(uais), (c) => c.uai, { maxBatchSize: MAX_BATCH_SIZE }),

    /** The lycées at [offset, offset + limit) of the filtered list, and how many match in all. */
    async page(filter: LyceeListFilter, offset: number, limit: number): Promise<{ items: Lycee[]; total: number }> {
      if (limit === 0) {
        const { total } = await connector.list(filter, 1, 1);
        return { items: [], total };
      }
      const { perPage, pages } = apiPages(offset, limit);
      const results = await Promise.all(pages.map((page) => connector.list(filter, page, perPage)));
      const start = offset - (pages[0]! - 1) * perPage;
      const items = results.flatMap((r) => r.items).slice(start, start + limit);
      return { items: primed(items), total: results[0]!.total };
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * Maps a window [offset, offset + limit) onto the API's pages. When some page size holds the whole
 * window in one page, one call suffices (e.g. offset 20, limit 20 → page 2 of 20; offset 5,
 * limit 20 → page 1 of 25); otherwise the pages of the largest size that cover it are fetched.
 */
export function apiPages(offset: number, limit: number): { perPage: number; pages: number[] } {
  const last = offset + limit - 1;
  for (let size = limit; size <= API_MAX_PER_PAGE; size++) {
    if (Math.floor(offset / size) === Math.floor(last / size)) return { perPage: size, pages: [Math.floor(offset / size) + 1] };
  }
  const first = Math.floor(offset / API_MAX_PER_PAGE) + 1;
  const count = Math.floor(last / API_MAX_PER_PAGE) + 2 - first;
  return { perPage: API_MAX_PER_PAGE, pages: Array.from({ length: count }, (_, i) => first + i) };
}
