/**
 * Reads and bookkeeping of `passerelle_journal` (migrations/001_change_journal.sql), through the
 * GRC connector's pool. This module knows the journal's columns; what a snapshot (a `t_demande`
 * row) means stays the connector's business.
 *
 * Every read applies the same two rules, so the bus and a replay always agree on what the feed is:
 * - STABLE: only entries of transactions older than every transaction still running, i.e. below
 *   the snapshot's xmin. Such transactions are over, so no entry can still appear before the ones
 *   returned: positions only ever grow.
 * - LAST OF ITS TRANSACTION: of the entries one transaction wrote about one request, only the last
 *   (an agent's change is usually an UPDATE of t_demande plus an INSERT into t_evenement, and the
 *   subscriber wants it once, as it ended). Which entry is last never depends on where a read
 *   starts, so every reader keeps the same entries whatever its batches.
 */
import { ORIGIN, parseRawCursor, rawCursor, type Cursor } from './cursor.ts';

/** Where the entries come from: the connector's `query` (same pool, retries and error mapping). */
export interface QueryRunner {
  query<R>(sql: string, params: unknown[]): Promise<R[]>;
}

export interface JournalEntry {
  cursor: Cursor;
  reference: string;
  /** Services whose queue sees this change: the request's service, and the one it just left. */
  services: string[];
  /** The `t_demande` row right after the change, with its legacy column names. */
  snapshot: Record<string, unknown>;
  /** When the change was captured (ms since epoch, the database's clock): delivery latency starts here. */
  at?: number;
}

/** Which entries a subscriber wants: one request's, one service's, or all (the publisher). */
export type ChangeFilter = { reference: string } | { service: string } | { all: true };

/** One subscriber's read: up to `limit` entries after `after` matching `filter`. */
export interface JournalRead {
  filter: { reference: string } | { service: string };
  after: Cursor;
  limit: number;
}

interface EntryRow {
  txid: string;
  id: string;
  at_ms: number | null;
  num_demande: string;
  code_service: string | null;
  code_service_avant: string | null;
  snapshot: Record<string, unknown>;
}

// A sub-select, so the snapshot's xmin is computed once per query, not once per row.
const STABLE = 'j.txid < (SELECT pg_snapshot_xmin(pg_current_snapshot()))';
/** When entry `alias` was captured, in ms since epoch (its delivery latency starts there). */
const atMs = (alias: string) => `(extract(epoch FROM ${alias}.at) * 1000)::float8 AS at_ms`;
const LAST_OF_TRANSACTION = `NOT EXISTS (SELECT 1 FROM passerelle_journal l
  WHERE l.txid = j.txid AND l.id_demande = j.id_demande AND l.id > j.id)`;

/** The condition on entry `j` for each kind of filter, given the SQL expression of the wanted value. */
const MATCHES = {
  reference: (value: string) => `j.num_demande = ${value}`,
  service: (value: string) => `(j.code_service = ${value} OR j.code_service_avant = ${value})`,
};

export class Journal {
  constructor(private readonly db: QueryRunner) {}

  /** Up to `limit` entries after `after` matching `filter`, in feed order. */
  async read(filter: ChangeFilter, after: Cursor, limit: number): Promise<JournalEntry[]> {
    const params: unknown[] = [after.txid.toString(), after.id.toString(), limit];
    let where = '';
    if ('reference' in filter) where = `AND ${MATCHES.reference(`$${params.push(filter.reference)}`)}`;
    if ('service' in filter) where = `AND ${MATCHES.service(`$${params.push(filter.service)}`)}`;
    const rows = await this.db.query<EntryRow>(
      `/* journalRead */ SELECT j.txid::text AS txid, j.id::text AS id, ${atMs('j')}, j.num_demande, j.code_service, j.code_service_avant, j.snapshot
      FROM passerelle_journal j
      WHERE (j.txid, j.id) > ($1::xid8, $2::bigint) AND ${STABLE} AND ${LAST_OF_TRANSACTION} ${where}
      ORDER BY j.txid, j.id LIMIT $3`,
      params,
    );
    return rows.map(toEntry);
  }

  /**
   * Many subscribers' reads in one query per kind of filter (`reads[i]` → result `i`): each read
   * is a LATERAL index range scan, with the same snapshot (hence the same stable horizon) for all.
   */
  async readMany(reads: readonly JournalRead[]): Promise<JournalEntry[][]> {
    const results: JournalEntry[][] = reads.map(() => []);
    const byReference: number[] = [];
    const byService: number[] = [];
    reads.forEach((read, index) => ('reference' in read.filter ? byReference : byService).push(index));
    const run = async (indexes: number[], column: 'reference' | 'service') => {
      if (indexes.length === 0) return;
      const match = MATCHES[column]('w.wanted');
      const rows = await this.db.query<EntryRow & { i: number }>(
        `/* journalReadMany */ SELECT w.i::int AS i, e.txid::text AS txid, e.id::text AS id, ${atMs('e')}, e.num_demande, e.code_service, e.code_service_avant, e.snapshot
        FROM unnest($1::text[], $2::xid8[], $3::bigint[], $4::int[]) WITH ORDINALITY AS w(wanted, txid, id, lim, i)
        CROSS JOIN LATERAL (
          SELECT j.txid, j.id, j.at, j.num_demande, j.code_service, j.code_service_avant, j.snapshot FROM passerelle_journal j
          WHERE (j.txid, j.id) > (w.txid, w.id) AND ${STABLE} AND ${LAST_OF_TRANSACTION} AND ${match}
          ORDER BY j.txid, j.id LIMIT w.lim
        ) e
        ORDER BY w.i, e.txid, e.id`,
        [
          indexes.map((index) => {
            const filter = reads[index]!.filter;
            return 'reference' in filter ? filter.reference : filter.service;
          }),
          indexes.map((index) => reads[index]!.after.txid.toString()),
          indexes.map((index) => reads[index]!.after.id.toString()),
          indexes.map((index) => reads[index]!.limit),
        ],
      );
      for (const row of rows) results[indexes[row.i - 1]!]!.push(toEntry(row));
    };
    await Promise.all([run(byReference, 'reference'), run(byService, 'service')]);
    return results;
  }

  /** The newest stable entry's position: a subscriber without `after` starts here. */
  async head(): Promise<Cursor> {
    const [row] = await this.db.query<{ txid: string; id: string }>(
      `/* journalHead */ SELECT j.txid::text AS txid, j.id::text AS id FROM passerelle_journal j
      WHERE ${STABLE} ORDER BY j.txid DESC, j.id DESC LIMIT 1`,
      [],
    );
    return row ? { txid: BigInt(row.txid), id: BigInt(row.id) } : ORIGIN;
  }

  /** Up to where the journal was published on the bus (by whichever replica led then). */
  published(): Promise<Cursor> {
    return this.position('published');
  }

  /** Only moves forward: a late write from a former leader cannot take the position back. */
  async savePublished(cursor: Cursor): Promise<void> {
    await this.db.query(
      `/* journalSavePosition */ INSERT INTO passerelle_capture_position AS p (feed, txid, id) VALUES ('published', $1::xid8, $2::bigint)
      ON CONFLICT (feed) DO UPDATE SET txid = EXCLUDED.txid, id = EXCLUDED.id, at = now()
      WHERE (p.txid, p.id) < (EXCLUDED.txid, EXCLUDED.id)`,
      [cursor.txid.toString(), cursor.id.toString()],
    );
  }

  /** The newest entry pruned: a cursor before it cannot be resumed from. */
  horizon(): Promise<Cursor> {
    return this.position('pruned');
  }

  /**
   * Deletes entries older than `retentionHours` that were published already, and moves the
   * horizon past them. Returns how many went.
   */
  async prune(retentionHours: number): Promise<number> {
    const [row] = await this.db.query<{ deleted: number }>(
      `/* journalPrune */ WITH published AS (SELECT txid, id FROM passerelle_capture_position WHERE feed = 'published'),
      gone AS (
        DELETE FROM passerelle_journal j USING published p
        WHERE j.at < now() - make_interval(hours => $1::int) AND (j.txid, j.id) <= (p.txid, p.id)
        RETURNING j.txid, j.id
      ),
      newest AS (SELECT txid, id FROM gone ORDER BY txid DESC, id DESC LIMIT 1),
      moved AS (
        INSERT INTO passerelle_capture_position AS p (feed, txid, id) SELECT 'pruned', txid, id FROM newest
        ON CONFLICT (feed) DO UPDATE SET txid = EXCLUDED.txid, id = EXCLUDED.id, at = now()
        WHERE (p.txid, p.id) < (EXCLUDED.txid, EXCLUDED.id)
      )
      SELECT count(*)::int AS deleted FROM gone`,
      [retentionHours],
    );
    return row?.deleted ?? 0;
  }

  private async position(feed: 'published' | 'pruned'): Promise<Cursor> {
    const [row] = await this.db.query<{ txid: string; id: string }>(
      `/* journalPosition */ SELECT txid::text AS txid, id::text AS id FROM passerelle_capture_position WHERE feed = $1`,
      [feed],
    );
    return row ? { txid: BigInt(row.txid), id: BigInt(row.id) } : ORIGIN;
  }
}

/** Whether `entry` belongs to what `filter` asks for (the bus channels already sort them; this double-checks). */
export function matches(filter: ChangeFilter, entry: JournalEntry): boolean {
  if ('reference' in filter) return entry.reference === filter.reference;
  if ('service' in filter) return entry.services.includes(filter.service);
  return true;
}

/** The channel every entry is published on, whatever its request and service (ChangeCapture.watch). */
export const ALL_CHANGES_CHANNEL = 'changes';

/** The bus channels an entry is published on. */
export function channelsOf(entry: JournalEntry): string[] {
  return [`request:${entry.reference}`, ...entry.services.map((service) => `service:${service}`), ALL_CHANGES_CHANNEL];
}

export function channelOf(filter: { reference: string } | { service: string }): string {
  return 'reference' in filter ? `request:${filter.reference}` : `service:${filter.service}`;
}

/** An entry as it travels on the bus. */
export function encodeEntry(entry: JournalEntry): string {
  return JSON.stringify({ cursor: rawCursor(entry.cursor), reference: entry.reference, services: entry.services, snapshot: entry.snapshot, at: entry.at });
}

/** Null for anything that is not an entry this module encoded (it is then ignored, not trusted). */
export function decodeEntry(message: string): JournalEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { cursor, reference, services, snapshot, at } = value as Record<string, unknown>;
  const position = typeof cursor === 'string' ? parseRawCursor(cursor) : null;
  if (!position || typeof reference !== 'string' || !Array.isArray(services) || typeof snapshot !== 'object' || snapshot === null) return null;
  return {
    cursor: position,
    reference,
    services: services.filter((s): s is string => typeof s === 'string'),
    snapshot: snapshot as Record<string, unknown>,
    ...(typeof at === 'number' ? { at } : {}),
  };
}

function toEntry(row: EntryRow): JournalEntry {
  const services = [row.code_service, row.code_service_avant].filter((code): code is string => code !== null);
  const entry: JournalEntry = { cursor: { txid: BigInt(row.txid), id: BigInt(row.id) }, reference: row.num_demande, services, snapshot: row.snapshot };
  if (row.at_ms !== null && row.at_ms !== undefined) entry.at = Number(row.at_ms);
  return entry;
}
