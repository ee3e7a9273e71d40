/**
 * When an open request will likely be completed, from the GRC's own history: how long resolved
 * requests of the same service and category took (the service alone when fewer than
 * MIN_SAME_CATEGORY such requests exist), among those that were still open at this request's age.
 *
 * Conditioning on the age is what keeps the estimate honest as a request gets older: for a new
 * request it is the plain distribution of durations added to `createdAt`; for one already past the
 * usual median it is the remaining time of the requests that were still open at that age, so the
 * estimate moves into the future instead of pointing at the past. With no such request (older than
 * every resolved one), there is no estimate.
 *
 * Part of the connector for its SQL: ONE query per batch of requests, whatever their number
 * (`percentile_cont` per key in a LATERAL join), behind a DataLoader keyed by service, category
 * and creation instant (requests sharing them share the answer).
 */
import DataLoader from 'dataloader';
import type { GrcConnector } from '../connector.ts';
import { RESOLVED_CODES } from '../grc/codes.ts';

/** Below this many similar resolved requests of the same category, the service's whole history is used. */
export const MIN_SAME_CATEGORY = 10;
/** `earliest` and `latest` are these quantiles: half of similar requests finished in between. */
const QUANTILES = [0.25, 0.5, 0.75];
const DAY_S = 86_400;

export interface EstimateKey {
  serviceId: number;
  categoryId: number;
  createdAt: Date;
}

export interface CompletionEstimate {
  median: Date;
  earliest: Date;
  latest: Date;
  basedOn: number;
  medianDays: number;
}

interface Row {
  i: string;
  n_category: number;
  q_category: number[] | null;
  n_service: number;
  q_service: number[] | null;
}

export async function completionEstimates(connector: GrcConnector, keys: readonly EstimateKey[]): Promise<(CompletionEstimate | null)[]> {
  if (keys.length === 0) return [];
  const rows = await connector.query<Row>(
    `/* completionEstimates */
    WITH k AS (
      SELECT * FROM unnest($1::int[], $2::int[], $3::timestamptz[]) WITH ORDINALITY AS k(id_service, id_categorie, created, i)
    )
    SELECT k.i::text AS i, s.n_category, s.q_category, s.n_service, s.q_service
    FROM k CROSS JOIN LATERAL (
      SELECT
        (count(*) FILTER (WHERE h.id_categorie = k.id_categorie))::int AS n_category,
        percentile_cont($4::float8[]) WITHIN GROUP (ORDER BY h.duration) FILTER (WHERE h.id_categorie = k.id_categorie) AS q_category,
        count(*)::int AS n_service,
        percentile_cont($4::float8[]) WITHIN GROUP (ORDER BY h.duration) AS q_service
      FROM (
        SELECT d.id_categorie, extract(epoch FROM d.date_cloture - d.date_creation)::float8 AS duration
        FROM t_demande d
        WHERE d.id_service = k.id_service AND d.code_statut = ANY($5::text[]) AND d.date_cloture IS NOT NULL
      ) h
      WHERE h.duration > extract(epoch FROM now() - k.created)
    ) s`,
    [keys.map((k) => k.serviceId), keys.map((k) => k.categoryId), keys.map((k) => k.createdAt.toISOString()), QUANTILES, RESOLVED_CODES],
  );
  const byIndex = new Map(rows.map((row) => [Number(row.i), row]));
  return keys.map((key, index) => {
    const row = byIndex.get(index + 1);
    if (!row) return null;
    const [n, quantiles] = row.n_category >= MIN_SAME_CATEGORY ? [row.n_category, row.q_category] : [row.n_service, row.q_service];
    if (n === 0 || !quantiles) return null;
    const at = (seconds: number) => new Date(key.createdAt.getTime() + seconds * 1000);
    const [p25, p50, p75] = quantiles as [number, number, number];
    return { earliest: at(p25), median: at(p50), latest: at(p75), basedOn: n, medianDays: Math.round((p50 / DAY_S) * 10) / 10 };
  });
}

export function createEstimateLoader(connector: GrcConnector) {
  return new DataLoader<EstimateKey, CompletionEstimate | null, string>((keys) => completionEstimates(connector, keys), {
    cacheKeyFn: (key) => `${key.serviceId}:${key.categoryId}:${key.createdAt.getTime()}`,
    maxBatchSize: 1000,
  });
}
