/**
 * Change capture in the GRC database, on both storages: the migrations that install it (applied
 * once, legacy tables left without a new column), the triggers that journal every write whoever
 * makes it, the feed's order (no entry skipped when transactions commit out of id order), and
 * subscriber streams (replay then live, no gap, no duplicate, nothing left on the bus).
 */
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/logger.ts';
import { startChangeCapture, type ChangeCapture, type JournalEntry } from '../../subgraphs/requests/capture/index.ts';
import { Journal, type ChangeFilter, type QueryRunner } from '../../subgraphs/requests/capture/journal.ts';
import { compareCursors, ORIGIN } from '../../subgraphs/requests/capture/cursor.ts';
import { migrateGrcDatabase } from '../../subgraphs/requests/grc/migrate.ts';
import { implementations, startTestGrc, type Grc, type Storage } from './harness.ts';
import { waitFor } from './subscriptions-harness.ts';

const logger = createLogger('test', 'silent');
const MIGRATIONS = readdirSync('subgraphs/requests/grc/migrations').filter((f) => f.endsWith('.sql')).sort();
const LEGACY_COLUMNS = `SELECT table_name, column_name, data_type FROM information_schema.columns
  WHERE table_name IN ('t_demande', 't_evenement', 't_service', 't_statut') ORDER BY table_name, ordinal_position`;

describe.each(implementations)('Change capture on $name', (implementation) => {
  let storage: Storage;
  let grc: Grc;
  let journal: Journal;
  let runner: QueryRunner;
  let legacyColumnsBefore: unknown[];
  let lastRequestId = 0;

  const migrate = () => migrateGrcDatabase({ databaseUrl: grc.urls.postgres!, timeoutMs: 5000, retries: 0, logger });
  const freshRequest = async () => {
    const [row] = await grc.sql<{ id_demande: number; num_demande: string }>(
      `SELECT id_demande, num_demande FROM t_demande WHERE id_demande > $1 AND code_statut IN ('NOU', 'QUA') ORDER BY id_demande LIMIT 1`,
      [lastRequestId],
    );
    lastRequestId = row!.id_demande;
    return { id: row!.id_demande, reference: row!.num_demande };
  };
  /**
   * The feed's entries matching `filter`, once they number at least `atLeast`: on a real PostgreSQL
   * an entry is only read once every older transaction of the cluster has ended, and other suites
   * run transactions there at the same time.
   */
  const stableEntries = async (filter: ChangeFilter, atLeast = 1) => {
    let entries: JournalEntry[] = [];
    await waitFor(async () => (entries = await journal.read(filter, ORIGIN, 1000)).length >= atLeast, 'stable entries');
    return entries;
  };
  const rawEntries = (reference: string) =>
    grc.sql<{ kind: string; code_service: string | null; code_service_avant: string | null; snapshot: Record<string, unknown> }>(
      `SELECT kind, code_service, code_service_avant, snapshot FROM passerelle_journal WHERE num_demande = $1 ORDER BY id`,
      [reference],
    );

  beforeAll(async () => {
    storage = await implementation.createStorage();
    grc = await startTestGrc(storage);
    runner = { query: (sql, params) => grc.sql(sql, params) };
    journal = new Journal(runner);
    legacyColumnsBefore = await grc.sql(LEGACY_COLUMNS);
  });
  afterAll(async () => {
    await grc?.close();
    await storage?.drop();
  });

  describe('Migrations', () => {
    it('two replicas starting together apply each file exactly once, in name order', async () => {
      const [a, b] = await Promise.all([migrate(), migrate()]);
      expect([...a, ...b].sort()).toEqual(MIGRATIONS);
      const recorded = await grc.sql<{ name: string }>(`SELECT name FROM passerelle_migration ORDER BY applied_at, name`);
      expect(recorded.map((r) => r.name)).toEqual(MIGRATIONS);
    });

    it('a later start applies nothing', async () => {
      expect(await migrate()).toEqual([]);
    });

    it('adds triggers, but not one column to the legacy tables', async () => {
      expect(await grc.sql(LEGACY_COLUMNS)).toEqual(legacyColumnsBefore);
      const triggers = await grc.sql<{ tgname: string; table: string }>(
        `SELECT tgname, tgrelid::regclass::text AS table FROM pg_trigger WHERE tgname LIKE 'passerelle%' ORDER BY 2`,
      );
      expect(triggers).toEqual([{ tgname: 'passerelle_tg_journal', table: 't_demande' }, { tgname: 'passerelle_tg_journal', table: 't_evenement' }]);
    });
  });

  describe('Triggers', () => {
    it('journal a direct UPDATE without event row, with the row as it became and no contact details', async () => {
      const { reference } = await freshRequest();
      await grc.sql(`UPDATE t_demande SET code_statut = 'ENC' WHERE num_demande = $1`, [reference]);
      const [entry, ...others] = await rawEntries(reference);
      expect(others).toEqual([]);
      expect(entry!.kind).toBe('UPDATE');
      expect(entry!.snapshot).toMatchObject({ num_demande: reference, code_statut: 'ENC' });
      expect(Object.keys(entry!.snapshot).filter((k) => k.startsWith('contact'))).toEqual([]);
    });

    it('journal an event row added on its own, with the request as it stands', async () => {
      const { id, reference } = await freshRequest();
      await grc.sql(
        `INSERT INTO t_evenement (id_demande, date_evenement, type_evenement, commentaire, visible_usager, auteur)
         VALUES ($1, now(), 'MSG', 'Relance du prestataire effectuée.', false, 'AG0001')`,
        [id],
      );
      expect(await rawEntries(reference)).toEqual([expect.objectContaining({ kind: 'EVENT', snapshot: expect.objectContaining({ num_demande: reference }) })]);
    });

    it('name the service a request leaves, so that service\'s queue sees it go', async () => {
      const { reference } = await freshRequest();
      const [row] = await grc.sql<{ before: string; after: string; id: number }>(
        `SELECT s.code_service AS before, o.code_service AS after, o.id_service AS id FROM t_demande d JOIN t_service s USING (id_service)
         JOIN t_service o ON o.id_service <> d.id_service WHERE d.num_demande = $1 ORDER BY o.id_service LIMIT 1`,
        [reference],
      );
      await grc.sql(`UPDATE t_demande SET id_service = $2 WHERE num_demande = $1`, [reference, row!.id]);
      expect(await rawEntries(reference)).toEqual([expect.objectContaining({ code_service: row!.after, code_service_avant: row!.before })]);
      await waitFor(async () => (await stableEntries({ service: row!.before })).some((e) => e.reference === reference), 'the entry in the queue it left');
    });
  });

  describe('Feed order', () => {
    it('gives one transaction\'s entries about a request once, as the last of them', async () => {
      const { id, reference } = await freshRequest();
      await grc.sql(
        `WITH d AS (UPDATE t_demande SET code_statut = 'ATT' WHERE id_demande = $1 RETURNING id_demande)
         INSERT INTO t_evenement (id_demande, date_evenement, type_evenement, code_statut_avant, code_statut_apres, visible_usager, auteur)
         SELECT id_demande, now(), 'STA', 'QUA', 'ATT', true, 'AG0001' FROM d`,
        [id],
      );
      expect((await rawEntries(reference)).map((e) => e.kind)).toEqual(['UPDATE', 'EVENT']);
      const entries = await stableEntries({ reference });
      expect(entries).toHaveLength(1);
      expect(entries[0]!.snapshot).toMatchObject({ code_statut: 'ATT' });
    });

    it.runIf(implementation.name === 'postgresql')('skips nothing when transactions commit out of id order (the outbox trap)', async () => {
      const first = await freshRequest();
      const second = await freshRequest();
      const start = await journal.head();
      const slow = new pg.Client(grc.urls.postgres);
      await slow.connect();
      try {
        // `slow` takes the lower journal id and commits last.
        await slow.query('BEGIN');
        await slow.query(`UPDATE t_demande SET code_statut = 'ENC' WHERE num_demande = $1`, [first.reference]);
        await grc.sql(`UPDATE t_demande SET code_statut = 'ENC' WHERE num_demande = $1`, [second.reference]);
        const [ids] = await grc.sql<{ first: string; second: string }>(
          `SELECT (SELECT max(id) FROM passerelle_journal WHERE num_demande = $1)::text AS first, (SELECT max(id) FROM passerelle_journal WHERE num_demande = $2)::text AS second`,
          [first.reference, second.reference],
        );
        expect(ids!.first).toBeNull(); // not committed yet: invisible
        // A reader moving to the newest id it sees would now pass the first change for good.
        expect(await journal.read({ all: true }, start, 100)).toEqual([]);
        await slow.query('COMMIT');
      } finally {
        await slow.end();
      }
      let entries: JournalEntry[] = [];
      await waitFor(async () => (entries = await journal.read({ all: true }, start, 100)).length >= 2, 'both entries');
      expect(entries.map((e) => e.reference)).toEqual([first.reference, second.reference]);
    });
  });

  describe('Streams', () => {
    let capture: ChangeCapture;
    beforeAll(() => {
      capture = startChangeCapture({
        db: runner, databaseUrl: grc.urls.postgres!, redisUrl: undefined, pollMs: 50, leaseMs: 3000, retentionHours: 24, timeoutMs: 5000, logger,
      });
    });
    afterAll(() => capture?.close());

    it('replay then live: every change exactly once, in order, while changes keep coming', async () => {
      const { reference } = await freshRequest();
      const start = await journal.head();
      const statuses = ['QUA', 'ENC', 'ATT', 'ENC', 'RES', 'CLO'];
      const writes = (async () => {
        for (let round = 0; round < 4; round++) for (const code of statuses) await grc.sql(`UPDATE t_demande SET code_statut = $2 WHERE num_demande = $1`, [reference, code]);
      })();
      // Opened while the writes run: some changes come from the replay, others live.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const stream = await capture.open({ reference }, start);
      const received: JournalEntry[] = [];
      for await (const entry of stream) {
        received.push(entry);
        if (received.length === 4 * statuses.length) break;
      }
      await writes;
      expect(received.map((e) => e.snapshot.code_statut)).toEqual(Array.from({ length: 4 }, () => statuses).flat());
      for (let i = 1; i < received.length; i++) expect(compareCursors(received[i - 1]!.cursor, received[i]!.cursor)).toBe(-1);
    });

    it('prunes published entries past the retention, and refuses to resume from before them', async () => {
      const { reference } = await freshRequest();
      await grc.sql(`UPDATE t_demande SET code_statut = 'ENC' WHERE num_demande = $1`, [reference]);
      const [entry] = await stableEntries({ reference });
      await grc.sql(`UPDATE passerelle_journal SET at = now() - interval '3 hours' WHERE num_demande = $1`, [reference]);
      await journal.savePublished(entry!.cursor);
      expect(await journal.prune(2)).toBeGreaterThanOrEqual(1);
      expect(await journal.read({ reference }, ORIGIN, 10)).toEqual([]);
      expect(compareCursors(await journal.horizon(), entry!.cursor)).toBeGreaterThanOrEqual(0);
      await expect(capture.open({ reference }, ORIGIN)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'after' } });
    });

    it('a storm of streams resuming at once (a gateway restart) costs a handful of journal queries, and each gets its own replay', async () => {
      const count = 150;
      // Not before what an earlier test pruned (the head may be older when the newest entry went).
      const [head, horizon] = [await journal.head(), await journal.horizon()];
      const start = compareCursors(head, horizon) >= 0 ? head : horizon;
      const requests = await grc.sql<{ id_demande: number; num_demande: string; code_service: string }>(
        `SELECT d.id_demande, d.num_demande, s.code_service FROM t_demande d JOIN t_service s USING (id_service)
         WHERE d.id_demande > $1 ORDER BY d.id_demande LIMIT $2`,
        [lastRequestId, count],
      );
      lastRequestId = requests.at(-1)!.id_demande; // later tests take requests past these
      const references = requests.map((row) => row.num_demande);
      // Two changes each: one that every stream must replay, in order, and nothing of anyone else's.
      await grc.sql(`UPDATE t_demande SET code_statut = 'ENC' WHERE num_demande = ANY($1)`, [references]);
      await grc.sql(`UPDATE t_demande SET code_statut = 'ATT' WHERE num_demande = ANY($1)`, [references]);
      await stableEntries({ reference: references.at(-1)! }, 2);
      const services = [...new Set(requests.map((row) => row.code_service))].slice(0, 3);

      await grc.resetCalls();
      const streams = await Promise.all([
        ...references.map((reference) => capture.open({ reference }, start)),
        ...services.map((service) => capture.open({ service }, start)),
      ]);
      try {
        const firstTwo = await Promise.all(streams.map(async (stream) => [(await stream.next()).value, (await stream.next()).value] as JournalEntry[]));
        references.forEach((reference, index) => {
          expect(firstTwo[index]!.map((entry) => [entry.reference, entry.snapshot.code_statut])).toEqual([[reference, 'ENC'], [reference, 'ATT']]);
        });
        services.forEach((service, index) => {
          for (const entry of firstTwo[references.length + index]!) expect(entry.services).toContain(service);
        });
        const { byRoute } = await grc.calls();
        // One query per kind of filter per round trip: the first read goes alone, the rest wait for it.
        expect(byRoute['journalReadMany']).toBeGreaterThanOrEqual(1);
        expect(byRoute['journalReadMany']).toBeLessThanOrEqual(8);
        expect(byRoute['journalPosition'] ?? 0).toBeLessThanOrEqual(8);
      } finally {
        await Promise.all(streams.map((stream) => stream.return()));
      }
    });

    it('a stream the client closes leaves the bus: nothing left behind', async () => {
      const { reference } = await freshRequest();
      const before = capture.stats();
      const streams = await Promise.all([capture.open({ reference }, null), capture.open({ reference }, null), capture.open({ service: 'TRANSPORTS' }, null)]);
      expect(capture.stats()).toEqual({ channels: before.channels + 2, handlers: before.handlers + 3 });
      // One of them is waiting for a change when it is closed, as a client going away would do.
      const pending = streams[0]!.next();
      await Promise.all(streams.map((stream) => stream.return()));
      await expect(pending).resolves.toEqual({ value: undefined, done: true });
      expect(capture.stats()).toEqual(before);
    });
  });
});
