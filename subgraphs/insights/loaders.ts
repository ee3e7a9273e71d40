/**
 * Per-request loaders over the open data connector. Each batch becomes one export call whatever
 * the number of communes, départements or lycées in it (up to 1,000 keys); keys that ask for
 * different years share that call, and the rows are split back per key here.
 */
import DataLoader from 'dataloader';
import { batchLoader } from '../kit/index.ts';
import { MAX_KEYS_PER_CALL, type Indicator, type Investment, type InvestmentTotal, type OpendataConnector, type Programme } from './connector.ts';

/** A territory or lycée, and a year (null: every year). */
export interface ScopeKey {
  code: string;
  year: number | null;
}

/**
 * A loader of lists keyed by (code, year): one connector call for every code of the batch, for the
 * batch's years (all years if one key asks for all), then each key keeps its code's rows of its year.
 */
function scopedLoader<V>(
  fetch: (codes: string[], years: number[] | null) => Promise<V[]>,
  codeOf: (value: V) => string | null,
  yearOf: (value: V) => number,
): DataLoader<ScopeKey, V[], string> {
  return new DataLoader<ScopeKey, V[], string>(
    async (keys) => {
      const codes = keys.map((k) => k.code);
      const years = keys.some((k) => k.year === null) ? null : [...new Set(keys.map((k) => k.year as number))];
      const byCode = new Map<string, V[]>();
      for (const value of await fetch(codes, years)) {
        const code = codeOf(value);
        if (code === null) continue;
        let list = byCode.get(code);
        if (!list) byCode.set(code, (list = []));
        list.push(value);
      }
      return keys.map((key) => (byCode.get(key.code) ?? []).filter((v) => key.year === null || yearOf(v) === key.year));
    },
    { maxBatchSize: MAX_KEYS_PER_CALL, cacheKeyFn: (key) => `${key.code}|${key.year ?? '*'}` },
  );
}

export function createLoaders(connector: OpendataConnector) {
  const byId = { maxBatchSize: MAX_KEYS_PER_CALL };
  // Once per request even when REFERENCE_CACHE_TTL_MS is 0; the connector's cache spares the portal across requests.
  let programmes: Promise<Programme[]> | undefined;
  const allProgrammes = () => (programmes ??= connector.programmes());
  return {
    /** Every programme. */
    programmes: allProgrammes,
    programme: new DataLoader<string, Programme | null>(async (ids) => {
      const all = new Map((await allProgrammes()).map((p) => [p.id, p]));
      return ids.map((id) => all.get(id) ?? null);
    }),
    investment: batchLoader((ids: readonly string[]) => connector.investments('id', ids), (i: Investment) => i.id, byId),
    indicator: batchLoader((ids: readonly string[]) => connector.indicators('id', ids), (i: Indicator) => i.id, byId),
    investmentsOfCommune: scopedLoader(
      (codes, years) => connector.investments('commune', codes, years),
      (i) => i.communeCode,
      (i) => i.year,
    ),
    investmentsOfLycee: scopedLoader(
      (uais, years) => connector.investments('lycee', uais, years),
      (i) => i.uai,
      (i) => i.year,
    ),
    indicatorsOfCommune: scopedLoader(
      (codes, years) => connector.indicators('commune', codes, years),
      (i) => i.communeCode,
      (i) => i.year,
    ),
    indicatorsOfDepartement: scopedLoader(
      (codes, years) => connector.indicators('departement', codes, years),
      (i) => i.departementCode,
      (i) => i.year,
    ),
    totalsOfCommune: scopedLoader(
      (codes, years) => connector.investmentTotals('commune', codes, years ?? []),
      (t: InvestmentTotal) => t.territory,
      (t) => t.year,
    ),
    totalsOfDepartement: scopedLoader(
      (codes, years) => connector.investmentTotals('departement', codes, years ?? []),
      (t: InvestmentTotal) => t.territory,
      (t) => t.year,
    ),
  };
}

export type InsightsLoaders = ReturnType<typeof createLoaders>;
