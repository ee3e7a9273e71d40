/**
 * The connector to the GRC, the DSI's citizens'-requests database: the ONLY code that knows its
 * tables (`t_demande`, `t_evenement`, `t_service`…) and its codes (through `grc/codes.ts`). It
 * speaks SQL over a `pg` pool (`grc/database.ts`: retries, transactions, error mapping),
 * parameterised only, and returns API-shaped records (`grc/records.ts`).
 *
 * Every method takes many keys and makes one query (`= ANY($1)`, `GROUP BY`, window functions), so
 * the loaders can resolve any number of entities with one round trip. Each query starts with a
 * `/* name *\/` comment: the GRC stand-in's proxy counts calls under it, as pg_stat_statements-style
 * tooling would in production.
 */
import { TtlCache } from '../kit/index.ts';
import { OPEN_CODES, RESOLVED_CODES, eventKindOf, serviceKindOf, statusCode, statusOf } from './grc/codes.ts';
import { GrcDatabase, mapped, type GrcConnectorOptions } from './grc/database.ts';
import {
  NEWEST_FIRST, REQUEST_COLUMNS, toRequest,
  type CategoryRecord, type DemandeRow, type Page, type RequestEventRecord, type RequestFilter, type RequestRecord, type RequestStatsRecord, type ServiceRecord, type Window,
} from './grc/records.ts';

export type { RequestChannel, RequestEventKind, RequestStatus, ServiceKind } from './grc/codes.ts';
export type { GrcConnectorOptions } from './grc/database.ts';
export { requestFromSnapshot } from './grc/records.ts';
export type { CategoryRecord, Page, RequestEventRecord, RequestFilter, RequestRecord, RequestStatsRecord, ServiceRecord, Window } from './grc/records.ts';

/** How long an agent's service is cached (access/rules.ts): short, as agents do change services. */
const AGENT_CACHE_MS = 30_000;

export class GrcConnector extends GrcDatabase {
  private readonly serviceCache: TtlCache<'all', ServiceRecord[]>;
  private readonly categoryCache: TtlCache<'all', CategoryRecord[]>;
  private readonly agentCache = new TtlCache<string, number[]>(AGENT_CACHE_MS, 10_000);

  constructor(options: GrcConnectorOptions) {
    super(options);
    this.serviceCache = new TtlCache(options.referenceTtlMs);
    this.categoryCache = new TtlCache(options.referenceTtlMs);
  }

  async requestsByIds(ids: readonly string[]): Promise<RequestRecord[]> {
    const numeric = ids.filter((id) => /^\d{1,9}$/.test(id)).map(Number);
    if (numeric.length === 0) return [];
    const rows = await this.read<DemandeRow>(
      `/* requestsByIds */ SELECT ${REQUEST_COLUMNS} FROM t_demande d WHERE d.id_demande = ANY($1::int[])`,
      [numeric],
    );
    return rows.map(toRequest);
  }

  async requestsByReferences(references: readonly string[]): Promise<RequestRecord[]> {
    if (references.length === 0) return [];
    const rows = await this.read<DemandeRow>(
      `/* requestsByReferences */ SELECT ${REQUEST_COLUMNS} FROM t_demande d WHERE d.num_demande = ANY($1::text[])`,
      [references],
    );
    return rows.map(toRequest);
  }

  /** One page of the requests matching `filter`, newest first, and how many match in all. */
  async searchRequests(filter: RequestFilter, window: Window): Promise<Page<RequestRecord>> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where: string[] = [];
    if (filter.serviceCode !== undefined) where.push(`d.id_service IN (SELECT id_service FROM t_service WHERE code_service = ${param(filter.serviceCode)})`);
    if (filter.status !== undefined) where.push(`d.code_statut = ${param(statusCode(filter.status))}`);
    if (filter.communeCode !== undefined) where.push(`d.code_insee = ${param(filter.communeCode)}`);
    if (filter.uai !== undefined) where.push(`d.code_uai = ${param(filter.uai)}`);
    if (filter.since !== undefined) where.push(`d.date_creation >= ${param(filter.since.toISOString())}::timestamptz`);
    if (filter.serviceIds !== undefined) where.push(`d.id_service = ANY(${param(filter.serviceIds)}::int[])`);
    if (filter.references !== undefined) where.push(`d.num_demande = ANY(${param(filter.references)}::text[])`);
    const sql = `/* searchRequests */
      WITH f AS (SELECT ${REQUEST_COLUMNS} FROM t_demande d ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''})
      SELECT c.total, p.* FROM (SELECT count(*)::int AS total FROM f) c
      LEFT JOIN LATERAL (SELECT * FROM f ORDER BY ${NEWEST_FIRST} LIMIT ${param(window.limit)} OFFSET ${param(window.offset)}) p ON true`;
    const rows = await this.read<DemandeRow & { total: number }>(sql, params);
    return {
      totalCount: rows[0]?.total ?? 0,
      offset: window.offset,
      items: rows.filter((row) => row.id_demande !== null).map(toRequest),
    };
  }

  /**
   * The same window of open requests for each lycée, with each lycée's total, in one query:
   * row 1 of every lycée is always returned so its total is known even past its last page.
   */
  async openRequestsByLycees(uais: readonly string[], window: Window, rows: Pick<RequestFilter, 'serviceIds' | 'references'> = {}): Promise<Map<string, Page<RequestRecord>>> {
    const pages = new Map<string, Page<RequestRecord>>(uais.map((uai) => [uai, { totalCount: 0, offset: window.offset, items: [] }]));
    if (uais.length === 0) return pages;
    // Row rules (access/rules.ts): NULL means every row.
    const found = await this.read<DemandeRow & { rn: number; total: number }>(
      `/* lyceeOpenRequests */
      SELECT * FROM (
        SELECT ${REQUEST_COLUMNS}, (row_number() OVER w)::int AS rn, (count(*) OVER (PARTITION BY d.code_uai))::int AS total
        FROM t_demande d WHERE d.code_uai = ANY($1::text[]) AND d.code_statut = ANY($2::text[])
          AND ($5::int[] IS NULL OR d.id_service = ANY($5::int[])) AND ($6::text[] IS NULL OR d.num_demande = ANY($6::text[]))
        WINDOW w AS (PARTITION BY d.code_uai ORDER BY d.date_creation DESC, d.id_demande DESC)
      ) o WHERE o.rn = 1 OR (o.rn > $3 AND o.rn <= $3 + $4)
      ORDER BY o.code_uai, o.rn`,
      [uais, OPEN_CODES, window.offset, window.limit, rows.serviceIds ?? null, rows.references ?? null],
    );
    for (const row of found) {
      const page = pages.get(row.code_uai!);
      if (!page) continue;
      page.totalCount = row.total;
      if (row.rn > window.offset && row.rn <= window.offset + window.limit) page.items.push(toRequest(row));
    }
    return pages;
  }

  /** Request counts per commune (INSEE code); communes without requests are absent. */
  statsByCommunes(codes: readonly string[]): Promise<RequestStatsRecord[]> {
    return this.stats('communeRequestStats', 'd.code_insee', codes);
  }

  /** Request counts per département, from the communes' INSEE codes (Île-de-France: 2 digits). */
  statsByDepartements(codes: readonly string[]): Promise<RequestStatsRecord[]> {
    return this.stats('departementRequestStats', 'left(d.code_insee, 2)', codes);
  }

  private async stats(name: string, keyExpression: string, codes: readonly string[]): Promise<RequestStatsRecord[]> {
    if (codes.length === 0) return [];
    const resolved = 'd.code_statut = ANY($3::text[]) AND d.date_cloture IS NOT NULL';
    const rows = await this.read<RequestStatsRecord & { median: number | null }>(
      `/* ${name} */
      SELECT ${keyExpression} AS key, count(*)::int AS total,
        (count(*) FILTER (WHERE d.code_statut = ANY($2::text[])))::int AS open,
        (count(*) FILTER (WHERE d.code_statut = ANY($3::text[])))::int AS resolved,
        round((percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM d.date_cloture - d.date_creation) / 86400)::float8)
          FILTER (WHERE ${resolved}))::numeric, 1)::float8 AS median
      FROM t_demande d WHERE ${keyExpression} = ANY($1::text[]) GROUP BY 1`,
      [codes, OPEN_CODES, RESOLVED_CODES],
    );
    return rows.map((row) => ({ key: row.key, total: row.total, open: row.open, resolved: row.resolved, medianResolutionDays: row.median }));
  }

  /** The events the citizen may see, for each request, oldest first. */
  async timelines(requestIds: readonly string[]): Promise<RequestEventRecord[]> {
    const numeric = requestIds.filter((id) => /^\d{1,9}$/.test(id)).map(Number);
    if (numeric.length === 0) return [];
    const rows = await this.read<{ id_demande: number; date_evenement: Date; type_evenement: string; code_statut_avant: string | null; code_statut_apres: string; commentaire: string | null }>(
      `/* requestTimelines */
      SELECT e.id_demande, e.date_evenement, e.type_evenement, e.code_statut_avant, e.code_statut_apres, e.commentaire
      FROM t_evenement e WHERE e.id_demande = ANY($1::int[]) AND e.visible_usager
      ORDER BY e.id_demande, e.date_evenement, e.id_evenement`,
      [numeric],
    );
    return rows.map((row) =>
      mapped(() => ({
        requestId: String(row.id_demande),
        at: row.date_evenement,
        kind: eventKindOf(row.type_evenement),
        status: statusOf(row.code_statut_apres),
        previousStatus: row.code_statut_avant === null ? null : statusOf(row.code_statut_avant),
        message: row.commentaire,
      })),
    );
  }

  /**
   * The services an agent works for: `t_agent.id_service` of the active agent with this matricule
   * (none for an unknown or inactive one). Cached for AGENT_CACHE_MS: a move between services
   * reaches the row rules within that time.
   */
  agentServiceIds(matricule: string): Promise<number[]> {
    return this.agentCache.get(matricule, async () => {
      const rows = await this.read<{ id_service: number }>(
        `/* agentServices */ SELECT a.id_service FROM t_agent a WHERE a.matricule = $1 AND a.actif`,
        [matricule],
      );
      return rows.map((row) => row.id_service);
    });
  }

  services(): Promise<ServiceRecord[]> {
    return this.serviceCache.get('all', async () => {
      const rows = await this.read<{ id_service: number; code_service: string; libelle: string; type_service: string; code_departement: string | null; actif: boolean }>(
        `/* services */ SELECT id_service, code_service, libelle, type_service, code_departement, actif FROM t_service ORDER BY code_service`,
        [],
      );
      return rows.map((row) =>
        mapped(() => ({ id: row.id_service, code: row.code_service, name: row.libelle, kind: serviceKindOf(row.type_service), departementCode: row.code_departement, active: row.actif })),
      );
    });
  }

  categories(): Promise<CategoryRecord[]> {
    return this.categoryCache.get('all', async () => {
      const rows = await this.read<{ id_categorie: number; code_categorie: string; libelle: string; id_service_defaut: number | null; delai_cible_jours: number; actif: boolean }>(
        `/* categories */ SELECT id_categorie, code_categorie, libelle, id_service_defaut, delai_cible_jours, actif FROM t_categorie ORDER BY code_categorie`,
        [],
      );
      return rows.map((row) => ({ id: row.id_categorie, code: row.code_categorie, name: row.libelle, defaultServiceId: row.id_service_defaut, targetDays: row.delai_cible_jours, active: row.actif }));
    });
  }
}
