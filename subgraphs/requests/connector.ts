/**
 * The connector to the GRC, the DSI's citizens'-requests database: the ONLY code that knows its
 * tables (`t_demande`, `t_evenement`, `t_service`…) and its codes (through `grc-codes.ts`). It
 * speaks SQL over a `pg` pool, parameterised only, and returns API-shaped records.
 *
 * Every method takes many keys and makes one query (`= ANY($1)`, `GROUP BY`, window functions), so
 * the loaders can resolve any number of entities with one round trip. Each query starts with a
 * `/* name *\/` comment: the GRC stand-in's proxy counts calls under it, as pg_stat_statements-style
 * tooling would in production.
 *
 * Failures map to the catalogue with `system: "grc"`: unreachable, refused or injected
 * "cannot connect now" → LEGACY_UNAVAILABLE (reads are retried `retries` times first); past
 * `timeoutMs` (client-side timer, plus `statement_timeout` on a real PostgreSQL) → LEGACY_TIMEOUT;
 * any other database error → LEGACY_ERROR.
 */
import pg from 'pg';
import type { GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { TtlCache } from '../kit/index.ts';
import {
  OPEN_CODES, RESOLVED_CODES, UnknownCodeError, channelOf, eventKindOf, serviceKindOf, statusCode, statusOf,
  type RequestChannel, type RequestEventKind, type RequestStatus, type ServiceKind,
} from './grc-codes.ts';

export type { RequestChannel, RequestEventKind, RequestStatus, ServiceKind };

const SYSTEM = 'grc';

export interface GrcConnectorOptions {
  /** PostgreSQL URL of the GRC database (the stand-in's proxy, or the real one). */
  databaseUrl: string;
  /** Pool size: at most this many queries run at once. */
  connections: number;
  /** Per-query timeout in ms, and the time allowed to get a connection; past it, LEGACY_TIMEOUT. */
  timeoutMs: number;
  /** Extra attempts of a read that failed with LEGACY_UNAVAILABLE. */
  retries: number;
  /** How long services and categories are cached (they change only through back-office admin). */
  referenceTtlMs: number;
  logger?: Logger;
}

export interface RequestRecord {
  id: string;
  reference: string;
  subject: string;
  description: string;
  status: RequestStatus;
  serviceId: number;
  categoryId: number;
  channel: RequestChannel;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  communeCode: string;
  uai: string | null;
}

export interface RequestEventRecord {
  requestId: string;
  at: Date;
  kind: RequestEventKind;
  status: RequestStatus;
  previousStatus: RequestStatus | null;
  message: string | null;
}

export interface ServiceRecord {
  id: number;
  code: string;
  name: string;
  kind: ServiceKind;
  departementCode: string | null;
  /** Inactive services still appear on old requests but take no new ones. */
  active: boolean;
}

export interface CategoryRecord {
  id: number;
  code: string;
  name: string;
  defaultServiceId: number | null;
  targetDays: number;
  /** Inactive categories still appear on old requests but take no new ones. */
  active: boolean;
}

export interface RequestStatsRecord {
  /** The commune or département code the counts are about. */
  key: string;
  total: number;
  open: number;
  resolved: number;
  medianResolutionDays: number | null;
}

export interface RequestFilter {
  serviceCode?: string;
  status?: RequestStatus;
  communeCode?: string;
  uai?: string;
  since?: Date;
}

export interface Window {
  offset: number;
  limit: number;
}

export interface Page<T> {
  totalCount: number;
  offset: number;
  items: T[];
}

/** Columns of `t_demande` the API may show: contact details are never selected. */
const REQUEST_COLUMNS = `d.id_demande, d.num_demande, d.objet, d.description, d.code_statut, d.id_service, d.id_categorie,
  d.canal, d.code_insee, d.code_uai, d.date_creation, d.date_maj, d.date_cloture`;
const NEWEST_FIRST = 'date_creation DESC, id_demande DESC';

interface DemandeRow {
  id_demande: number;
  num_demande: string;
  objet: string;
  description: string;
  code_statut: string;
  id_service: number;
  id_categorie: number;
  canal: string;
  code_insee: string;
  code_uai: string | null;
  date_creation: Date;
  date_maj: Date;
  date_cloture: Date | null;
}

class QueryTimeout extends Error {}

export class GrcConnector {
  private readonly pool: pg.Pool;
  private readonly serviceCache: TtlCache<'all', ServiceRecord[]>;
  private readonly categoryCache: TtlCache<'all', CategoryRecord[]>;

  constructor(private readonly options: GrcConnectorOptions) {
    this.pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.connections,
      connectionTimeoutMillis: options.timeoutMs,
      statement_timeout: options.timeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'passerelle-requests',
    });
    // An idle client whose server went away emits here; without a listener the process would crash.
    this.pool.on('error', (error) => options.logger?.warn({ err: error }, 'grc idle connection lost'));
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
  async openRequestsByLycees(uais: readonly string[], window: Window): Promise<Map<string, Page<RequestRecord>>> {
    const pages = new Map<string, Page<RequestRecord>>(uais.map((uai) => [uai, { totalCount: 0, offset: window.offset, items: [] }]));
    if (uais.length === 0) return pages;
    const rows = await this.read<DemandeRow & { rn: number; total: number }>(
      `/* lyceeOpenRequests */
      SELECT * FROM (
        SELECT ${REQUEST_COLUMNS}, (row_number() OVER w)::int AS rn, (count(*) OVER (PARTITION BY d.code_uai))::int AS total
        FROM t_demande d WHERE d.code_uai = ANY($1::text[]) AND d.code_statut = ANY($2::text[])
        WINDOW w AS (PARTITION BY d.code_uai ORDER BY d.date_creation DESC, d.id_demande DESC)
      ) o WHERE o.rn = 1 OR (o.rn > $3 AND o.rn <= $3 + $4)
      ORDER BY o.code_uai, o.rn`,
      [uais, OPEN_CODES, window.offset, window.limit],
    );
    for (const row of rows) {
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

  close(): Promise<void> {
    return this.pool.end();
  }

  /** A read for the connector's companion modules (`grc-*.ts`, `estimate.ts`): same retries and error mapping. */
  query<R>(sql: string, params: unknown[]): Promise<R[]> {
    return this.read<R>(sql, params);
  }

  /**
   * Runs `work` in one transaction on one connection: committed when it resolves, rolled back when
   * it throws. Retried whole on serialization failure, deadlock or unique violation (a back-office
   * insert took the reference being numbered): a fresh attempt sees the winner's rows.
   */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        const rolledBack = client ? await client.query('ROLLBACK').then(() => true, () => false) : true;
        client?.release(!rolledBack);
        const transient = error instanceof pg.DatabaseError && ['40001', '40P01', '23505'].includes(error.code ?? '');
        if (!transient || attempt >= 3) throw this.toCatalogue(error);
      }
    }
  }

  /** A read, retried with backoff while the GRC is unavailable. */
  private async read<R>(sql: string, params: unknown[]): Promise<R[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<R>(sql, params);
      } catch (error) {
        const failure = this.toCatalogue(error);
        if (failure.extensions.code !== 'LEGACY_UNAVAILABLE' || attempt >= this.options.retries) throw failure;
        await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      }
    }
  }

  private async once<R>(sql: string, params: unknown[]): Promise<R[]> {
    const client = await this.pool.connect();
    let timer: NodeJS.Timeout | undefined;
    let healthy = true;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new QueryTimeout(`grc query exceeded ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      });
      const result = await Promise.race([client.query(sql, params), timeout]);
      return result.rows as R[];
    } catch (error) {
      // A timed-out or broken connection may still deliver a late answer: never reuse it.
      healthy = error instanceof pg.DatabaseError && !/^(08|57P)/.test(error.code ?? '');
      throw error;
    } finally {
      clearTimeout(timer);
      client.release(!healthy);
    }
  }

  private toCatalogue(error: unknown): GraphQLError {
    if (isGraphQLError(error)) return error;
    const err = error as Error;
    if (err instanceof QueryTimeout || /timeout exceeded when trying to connect/i.test(err.message)) {
      return passerelleError('LEGACY_TIMEOUT', 'grc did not answer in time', { system: SYSTEM });
    }
    if (err instanceof pg.DatabaseError) {
      const sqlstate = err.code ?? '';
      if (sqlstate === '57014') return passerelleError('LEGACY_TIMEOUT', 'grc did not answer in time', { system: SYSTEM });
      if (/^(08|57P|53)/.test(sqlstate)) return passerelleError('LEGACY_UNAVAILABLE', `grc is unavailable (SQLSTATE ${sqlstate})`, { system: SYSTEM });
      this.options.logger?.warn({ err }, 'grc rejected a query');
      return passerelleError('LEGACY_ERROR', `grc rejected a query (SQLSTATE ${sqlstate})`, { system: SYSTEM });
    }
    return passerelleError('LEGACY_UNAVAILABLE', `grc is unreachable (${(err as { code?: string }).code ?? err.message})`, { system: SYSTEM });
  }
}

function isGraphQLError(error: unknown): error is GraphQLError {
  return typeof error === 'object' && error !== null && 'extensions' in error && 'locations' in error;
}

/** Runs a code mapping; a code the API does not know is the GRC's error, not the client's. */
function mapped<T>(map: () => T): T {
  try {
    return map();
  } catch (error) {
    if (error instanceof UnknownCodeError) throw passerelleError('LEGACY_ERROR', `grc returned ${error.message}`, { system: SYSTEM });
    throw error;
  }
}

/**
 * A request as the change journal recorded it: `snapshot` is `to_jsonb` of its `t_demande` row
 * (see capture/), so timestamps arrive as ISO strings. LEGACY_ERROR when it holds an unknown code.
 */
export function requestFromSnapshot(snapshot: Record<string, unknown>): RequestRecord {
  const date = (value: unknown) => (typeof value === 'string' ? new Date(value) : null);
  const row = snapshot as unknown as DemandeRow;
  return toRequest({ ...row, date_creation: date(snapshot.date_creation)!, date_maj: date(snapshot.date_maj)!, date_cloture: date(snapshot.date_cloture) });
}

function toRequest(row: DemandeRow): RequestRecord {
  return mapped(() => ({
    id: String(row.id_demande),
    reference: row.num_demande,
    subject: row.objet,
    description: row.description,
    status: statusOf(row.code_statut),
    serviceId: row.id_service,
    categoryId: row.id_categorie,
    channel: channelOf(row.canal),
    createdAt: row.date_creation,
    updatedAt: row.date_maj,
    closedAt: row.date_cloture,
    communeCode: row.code_insee,
    uai: row.code_uai,
  }));
}
