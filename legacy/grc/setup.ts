/**
 * Migration and seed of the GRC database, idempotent: a second run finds `t_meta` up to date and
 * changes nothing. Migrations are the numbered files of `migrations/` (`NNN_name.sql`), applied in
 * order above `t_meta.schema_version`; later features add a file, never edit an applied one.
 * The seed writes explicit ids (not sequence values), so a rolled-back attempt leaves no trace in
 * the data, then moves the sequences past them for the back office's own inserts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../common/logger.ts';
import { generateGrcData, REFERENCE_DATE, type GenerateOptions } from './data.ts';
import type { SqlDatabase, SqlSession } from './database.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Serialises concurrent migrators (two stand-ins started on the same database). */
const MIGRATION_LOCK = 734_113_001;
const CHUNK = 2000;

export interface SetupReport {
  schemaVersion: number;
  /** Migration versions applied by this run (empty when already up to date). */
  applied: number[];
  /** Whether this run wrote the seed (false when the database was already seeded). */
  seeded: boolean;
}

export async function migrateAndSeed(db: SqlDatabase, options: GenerateOptions, logger?: Logger): Promise<SetupReport> {
  const { version, applied } = await db.transaction(migrate);
  if (applied.length > 0) logger?.info({ applied, version }, 'grc schema migrated');
  const seeded = await db.transaction((session) => seed(session, options, logger));
  return { schemaVersion: version, applied, seeded };
}

function migrations(): { version: number; file: string }[] {
  return readdirSync(MIGRATIONS_DIR)
    .map((file) => ({ file, match: /^(\d+)_.+\.sql$/.exec(file) }))
    .filter((m) => m.match !== null)
    .map((m) => ({ version: Number(m.match![1]), file: m.file }))
    .sort((a, b) => a.version - b.version);
}

async function migrate(session: SqlSession): Promise<{ version: number; applied: number[] }> {
  await session.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await session.exec(`CREATE TABLE IF NOT EXISTS t_meta (
    cle varchar(40) PRIMARY KEY,
    valeur text NOT NULL,
    date_maj timestamptz NOT NULL DEFAULT now()
  )`);
  let version = Number((await readMeta(session, 'schema_version')) ?? 0);
  const applied: number[] = [];
  for (const migration of migrations()) {
    if (migration.version <= version) continue;
    await session.exec(readFileSync(`${MIGRATIONS_DIR}${migration.file}`, 'utf8'));
    version = migration.version;
    applied.push(version);
    await writeMeta(session, 'schema_version', String(version));
  }
  return { version, applied };
}

async function seed(session: SqlSession, options: GenerateOptions, logger?: Logger): Promise<boolean> {
  await session.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  const existing = await readMeta(session, 'seed');
  if (existing !== null) {
    const requests = await readMeta(session, 'seed_requests');
    if (existing !== String(options.seed) || requests !== String(options.requestCount)) {
      logger?.warn({ seed: existing, requests }, 'grc database already seeded with other settings; kept as is');
    }
    return false;
  }

  const data = generateGrcData(options);
  await insertRows(session, 't_service', SERVICE_COLUMNS, data.services);
  await insertRows(session, 't_categorie', CATEGORY_COLUMNS, data.categories);
  await insertRows(session, 't_agent', AGENT_COLUMNS, data.agents);
  await insertRows(session, 't_demande', DEMANDE_COLUMNS, data.demandes);
  await insertRows(session, 't_evenement', EVENEMENT_COLUMNS, data.evenements);
  for (const [table, column] of [['t_service', 'id_service'], ['t_categorie', 'id_categorie'], ['t_agent', 'id_agent'], ['t_demande', 'id_demande'], ['t_evenement', 'id_evenement']] as const) {
    await session.query(
      `SELECT setval(pg_get_serial_sequence('${table}', '${column}'), coalesce(max(${column}), 1), max(${column}) IS NOT NULL) FROM ${table}`,
    );
  }
  await writeMeta(session, 'seed', String(options.seed));
  await writeMeta(session, 'seed_requests', String(options.requestCount));
  await writeMeta(session, 'seed_reference_date', REFERENCE_DATE.toISOString());
  logger?.info({ requests: data.demandes.length, events: data.evenements.length }, 'grc database seeded');
  return true;
}

async function readMeta(session: SqlSession, key: string): Promise<string | null> {
  const rows = await session.query<{ valeur: string }>('SELECT valeur FROM t_meta WHERE cle = $1', [key]);
  return rows[0]?.valeur ?? null;
}

async function writeMeta(session: SqlSession, key: string, value: string): Promise<void> {
  await session.query(
    `INSERT INTO t_meta (cle, valeur) VALUES ($1, $2)
     ON CONFLICT (cle) DO UPDATE SET valeur = EXCLUDED.valeur, date_maj = now()`,
    [key, value],
  );
}

type Columns = readonly (readonly [name: string, type: string])[];

const SERVICE_COLUMNS: Columns = [['id_service', 'int'], ['code_service', 'text'], ['libelle', 'text'], ['type_service', 'text'], ['code_departement', 'text'], ['email_service', 'text']];
const CATEGORY_COLUMNS: Columns = [['id_categorie', 'int'], ['code_categorie', 'text'], ['libelle', 'text'], ['id_service_defaut', 'int'], ['delai_cible_jours', 'int']];
const AGENT_COLUMNS: Columns = [['id_agent', 'int'], ['matricule', 'text'], ['nom', 'text'], ['prenom', 'text'], ['email', 'text'], ['id_service', 'int']];
const DEMANDE_COLUMNS: Columns = [
  ['id_demande', 'int'], ['num_demande', 'text'], ['objet', 'text'], ['description', 'text'], ['code_statut', 'text'],
  ['id_service', 'int'], ['id_categorie', 'int'], ['code_insee', 'text'], ['code_uai', 'text'], ['canal', 'text'],
  ['contact_nom', 'text'], ['contact_email', 'text'], ['contact_tel', 'text'], ['id_agent', 'int'],
  ['date_creation', 'timestamptz'], ['date_maj', 'timestamptz'], ['date_cloture', 'timestamptz'],
];
const EVENEMENT_COLUMNS: Columns = [
  ['id_evenement', 'bigint'], ['id_demande', 'int'], ['date_evenement', 'timestamptz'], ['type_evenement', 'text'],
  ['code_statut_avant', 'text'], ['code_statut_apres', 'text'], ['commentaire', 'text'], ['visible_usager', 'boolean'],
  ['auteur', 'text'], ['id_agent', 'int'], ['id_service', 'int'],
];

/** Bulk insert as one `unnest` of column arrays per chunk: few round trips, fully parameterised. */
async function insertRows<T extends object>(session: SqlSession, table: string, columns: Columns, rows: readonly T[]): Promise<void> {
  const names = columns.map(([name]) => name).join(', ');
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  const sql = `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${arrays})`;
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK) as Record<string, unknown>[];
    const params = columns.map(([name]) => chunk.map((row) => toParam(row[name])));
    await session.query(sql, params);
  }
}

function toParam(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : (value ?? null);
}
