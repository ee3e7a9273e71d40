/**
 * The only code that knows the open data portal's wire format (Opendatasoft Explore API v2.1) and
 * the only code that writes ODSQL. Every value placed in a `where` goes through `odsqlString`, so
 * a key such as `93" OR "1"="1` stays one literal. Bulk reads go to the `exports/json` endpoint
 * (unpaginated) with `IN (…)` lists of up to 1,000 keys, so one call serves a whole DataLoader
 * batch: the records endpoint's 100-record pages would make calls grow with the data.
 */
import { passerelleError } from '../../common/errors.ts';
import { createHttpClient, TtlCache, type LegacyGuards } from '../kit/index.ts';

export const SYSTEM = 'opendata-api';
const DATASETS = '/api/explore/v2.1/catalog/datasets';
/** Keys per `IN (…)` list: one call per DataLoader batch (maxBatchSize 1,000) while URLs stay bounded. */
export const MAX_KEYS_PER_CALL = 1_000;

export type InvestmentStatus = 'VOTED' | 'COMMITTED' | 'IN_PROGRESS' | 'PAID';

export interface Programme {
  id: string;
  name: string;
  theme: string;
  startYear: number;
  endYear: number;
  budgetEur: number;
  /** An equipment or digital programme: its lycée investments count as equipping the lycée. */
  equipment: boolean;
}

export interface Investment {
  id: string;
  programmeId: string;
  year: number;
  amountEur: number;
  communeCode: string | null;
  departementCode: string | null;
  uai: string | null;
  label: string;
  status: InvestmentStatus;
}

export interface Indicator {
  id: string;
  name: string;
  year: number;
  value: number;
  unit: string;
  communeCode: string | null;
  departementCode: string | null;
}

/** Sum and count of one territory's investments for one year, programme and lycée (null: none). */
export interface InvestmentTotal {
  territory: string;
  year: number;
  programmeId: string;
  uai: string | null;
  amountEur: number;
  count: number;
}

export type InvestmentKey = 'id' | 'commune' | 'lycee';
export type IndicatorKey = 'id' | 'commune' | 'departement';
export type Territory = 'commune' | 'departement';

export interface OpendataConnector {
  /** Every programme (reference data, cached for REFERENCE_CACHE_TTL_MS). */
  programmes(): Promise<Programme[]>;
  /** Investments whose `by` is one of `keys`, in one of `years` when given. */
  investments(by: InvestmentKey, keys: readonly string[], years?: readonly number[] | null): Promise<Investment[]>;
  /** Investment sums per territory, year, programme and lycée, computed by the portal (`group_by`). */
  investmentTotals(by: Territory, keys: readonly string[], years: readonly number[]): Promise<InvestmentTotal[]>;
  /** Indicators whose `by` is one of `keys`, for one of `years` when given. */
  indicators(by: IndicatorKey, keys: readonly string[], years?: readonly number[] | null): Promise<Indicator[]>;
  close(): Promise<void>;
}

export interface OpendataConnectorOptions {
  baseUrl: string;
  timeoutMs: number;
  retries: number;
  connections: number;
  referenceCacheTtlMs: number;
  /** The subgraph's guards of its legacy systems (kit/legacy-guards.ts: breaker, bulkhead, retry budget); default: this connector's own. */
  guards?: LegacyGuards;
}

/** An ODSQL string literal: double-quoted, with backslashes and double quotes escaped. */
export function odsqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `field IN ("a","b")`: the one way keys reach a `where`. */
export function odsqlIn(field: string, values: readonly (string | number)[]): string {
  const literals = values.map((v) => {
    if (typeof v === 'string') return odsqlString(v);
    if (!Number.isFinite(v)) throw new TypeError(`Not a finite number: ${v}`);
    return String(v);
  });
  return `${field} IN (${literals.join(',')})`;
}

/** Themes of equipment or digital programmes, as the portal spells them. */
const EQUIPMENT_THEMES = new Set(['equipement', 'numerique']);
const STATUS: Record<string, InvestmentStatus> = { vote: 'VOTED', engage: 'COMMITTED', en_cours: 'IN_PROGRESS', solde: 'PAID' };
const INVESTMENT_FIELDS = 'id,programme_id,annee,montant_eur,code_insee,code_departement,uai,libelle,statut';
const INDICATOR_FIELDS = 'id,code_insee,code_departement,annee,indicateur,valeur,unite';
const INVESTMENT_COLUMN: Record<InvestmentKey, string> = { id: 'id', commune: 'code_insee', lycee: 'uai' };
const INDICATOR_COLUMN: Record<IndicatorKey, string> = { id: 'id', commune: 'code_insee', departement: 'code_departement' };
const TERRITORY_COLUMN: Record<Territory, string> = { commune: 'code_insee', departement: 'code_departement' };

type WireRow = Record<string, unknown>;

const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const number = (value: unknown): number => Number(value ?? 0);

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_KEYS_PER_CALL) out.push(items.slice(i, i + MAX_KEYS_PER_CALL));
  return out;
}

function where(...clauses: (string | null)[]): string {
  return clauses.filter((c): c is string => c !== null).map((c) => `(${c})`).join(' AND ');
}

function toInvestment(row: WireRow): Investment {
  const status = STATUS[String(row.statut)];
  if (!status) throw passerelleError('LEGACY_ERROR', `${SYSTEM} returned an unknown investment status ${JSON.stringify(row.statut)}`, { system: SYSTEM });
  return {
    id: String(row.id),
    programmeId: String(row.programme_id),
    year: number(row.annee),
    amountEur: number(row.montant_eur),
    communeCode: text(row.code_insee),
    departementCode: text(row.code_departement),
    uai: text(row.uai),
    label: String(row.libelle ?? ''),
    status,
  };
}

function toIndicator(row: WireRow): Indicator {
  return {
    id: String(row.id),
    name: String(row.indicateur),
    year: number(row.annee),
    value: number(row.valeur),
    unit: String(row.unite ?? ''),
    communeCode: text(row.code_insee),
    departementCode: text(row.code_departement),
  };
}

function toProgramme(row: WireRow): Programme {
  return {
    id: String(row.id),
    name: String(row.nom),
    theme: String(row.thematique),
    startYear: number(row.annee_debut),
    endYear: number(row.annee_fin),
    budgetEur: number(row.budget_eur),
    equipment: EQUIPMENT_THEMES.has(String(row.thematique)),
  };
}

export function createOpendataConnector(options: OpendataConnectorOptions): OpendataConnector {
  const http = createHttpClient({
    system: SYSTEM,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    connections: options.connections,
    guards: options.guards,
  });
  const reference = new TtlCache<'programmes', Programme[]>(options.referenceCacheTtlMs);

  async function exportJson(dataset: string, query: Record<string, string | undefined>): Promise<WireRow[]> {
    const rows = await http.get<WireRow[]>(`${DATASETS}/${dataset}/exports/json`, query);
    if (!Array.isArray(rows)) {
      throw passerelleError('LEGACY_ERROR', `${SYSTEM} has no dataset "${dataset}" or returned an unexpected export`, { system: SYSTEM });
    }
    return rows;
  }

  /** One export call per chunk of keys, concurrently; in practice one call per DataLoader batch. */
  async function exportByKeys(dataset: string, keys: readonly string[], query: (chunk: string[]) => Record<string, string | undefined>) {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return [];
    const parts = await Promise.all(chunks(unique).map((chunk) => exportJson(dataset, query(chunk))));
    return parts.flat();
  }

  const yearClause = (years?: readonly number[] | null) => (years && years.length ? odsqlIn('annee', [...new Set(years)]) : null);

  return {
    programmes: () => reference.get('programmes', async () => (await exportJson('programmes', { order_by: 'id' })).map(toProgramme)),

    async investments(by, keys, years) {
      const rows = await exportByKeys('investissements', keys, (chunk) => ({
        select: INVESTMENT_FIELDS,
        where: where(odsqlIn(INVESTMENT_COLUMN[by], chunk), yearClause(years)),
        order_by: 'annee,id',
      }));
      return rows.map(toInvestment);
    },

    async investmentTotals(by, keys, years) {
      const column = TERRITORY_COLUMN[by];
      const rows = await exportByKeys('investissements', keys, (chunk) => ({
        select: `${column},annee,programme_id,uai,sum(montant_eur) as montant,count(*) as nombre`,
        where: where(odsqlIn(column, chunk), yearClause(years)),
        group_by: `${column},annee,programme_id,uai`,
      }));
      return rows.map((row) => ({
        territory: String(row[column]),
        year: number(row.annee),
        programmeId: String(row.programme_id),
        uai: text(row.uai),
        amountEur: number(row.montant),
        count: number(row.nombre),
      }));
    },

    async indicators(by, keys, years) {
      const rows = await exportByKeys('indicateurs', keys, (chunk) => ({
        select: INDICATOR_FIELDS,
        where: where(odsqlIn(INDICATOR_COLUMN[by], chunk), yearClause(years)),
        order_by: 'annee,indicateur',
      }));
      return rows.map(toIndicator);
    },

    close: () => http.close(),
  };
}
