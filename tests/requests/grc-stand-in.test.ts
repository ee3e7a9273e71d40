/**
 * The GRC stand-in, on both storages: migration and seed (idempotent, deterministic), the legacy
 * schema, and the wire proxy (call counting, faults, serialised cycles in front of PGlite).
 */
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres } from '../../legacy/grc/database.ts';
import { migrateAndSeed } from '../../legacy/grc/setup.ts';
import { COUNTS_SQL, DIGEST_SQL, TEST_REQUESTS, TEST_SEED, implementations, startTestGrc, type Grc, type Storage } from './harness.ts';

describe.each(implementations)('GRC stand-in on $name', (implementation) => {
  let storage: Storage;
  let grc: Grc;

  beforeAll(async () => {
    storage = await implementation.createStorage();
    grc = await startTestGrc(storage);
  });
  afterAll(async () => {
    await grc?.close();
    await storage?.drop();
  });

  describe('Migrate and seed', () => {
    it('seeds the requested number of requests, each with a history', async () => {
      const [counts] = await grc.sql<Record<string, number>>(COUNTS_SQL);
      expect(counts).toMatchObject({ services: 17, categories: 25, demandes: TEST_REQUESTS });
      expect(counts!.evenements).toBeGreaterThan(TEST_REQUESTS * 3);
      const [orphans] = await grc.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM t_demande d WHERE NOT EXISTS (SELECT 1 FROM t_evenement e WHERE e.id_demande = d.id_demande AND e.type_evenement = 'CRE')`,
      );
      expect(orphans!.n).toBe(0);
    });

    it('running migrate and seed again changes nothing', async () => {
      const before = await grc.sql(COUNTS_SQL);
      const digestBefore = await grc.sql(DIGEST_SQL);
      const db = await connectPostgres(grc.urls.postgres!);
      try {
        const report = await migrateAndSeed(db, { seed: TEST_SEED, requestCount: TEST_REQUESTS });
        expect(report).toEqual({ schemaVersion: 1, applied: [], seeded: false });
      } finally {
        await db.close();
      }
      expect(await grc.sql(COUNTS_SQL)).toEqual(before);
      expect(await grc.sql(DIGEST_SQL)).toEqual(digestBefore);
    });

    it('the same seed yields the same rows in another database', async () => {
      const otherStorage = await implementation.createStorage();
      const other = await startTestGrc(otherStorage);
      try {
        expect(await other.sql(DIGEST_SQL)).toEqual(await grc.sql(DIGEST_SQL));
      } finally {
        await other.close();
        await otherStorage.drop();
      }
    });

    it('creates the indexes the subgraph queries rely on', async () => {
      const rows = await grc.sql<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename IN ('t_demande', 't_evenement')`);
      const names = rows.map((r) => r.indexname);
      for (const index of ['ix_demande_commune', 'ix_demande_departement', 'ix_demande_uai', 'ix_demande_creation', 'ix_demande_maj', 'ix_evenement_demande']) {
        expect(names).toContain(index);
      }
    });

    it('moves the sequences past the seeded ids, for the back office own inserts', async () => {
      const [row] = await grc.sql<{ next: number }>(`SELECT nextval(pg_get_serial_sequence('t_evenement', 'id_evenement'))::int AS next`);
      const [max] = await grc.sql<{ max: number }>(`SELECT max(id_evenement)::int AS max FROM t_evenement`);
      expect(row!.next).toBeGreaterThan(max!.max);
    });
  });

  describe('Wire proxy', () => {
    it('counts simple and extended-protocol queries, under their SQL comment or first keyword', async () => {
      await grc.resetCalls();
      await grc.sql('SELECT 1');
      await grc.sql('/* probe */ SELECT $1::int AS x', [1]);
      await grc.sql('/* probe */ SELECT $1::int AS x', [2]);
      expect(await grc.calls()).toEqual({ total: 3, byRoute: { SELECT: 1, probe: 2 } });
      await grc.resetCalls();
      expect((await grc.calls()).total).toBe(0);
    });

    it('keeps concurrent queries of different shapes apart', async () => {
      const pool = new pg.Pool({ connectionString: grc.urls.postgres, max: 12 });
      try {
        const checks = Array.from({ length: 150 }, async (_, i) => {
          if (i % 3 === 0) return (await pool.query('SELECT $1::int + 1 AS v', [i])).rows[0].v === i + 1;
          if (i % 3 === 1) return (await pool.query(`SELECT $1::text || '!' AS s, $2::int AS n`, [`q${i}`, i])).rows[0].s === `q${i}!`;
          return (await pool.query('SELECT count(*)::int AS n FROM t_demande WHERE id_demande <= $1', [i])).rows[0].n === i;
        });
        expect((await Promise.all(checks)).every(Boolean)).toBe(true);
      } finally {
        await pool.end();
      }
    });

    it('keeps a transaction to its own connection', async () => {
      const pool = new pg.Pool({ connectionString: grc.urls.postgres, max: 4 });
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`UPDATE t_meta SET valeur = valeur WHERE cle = 'seed'`);
        const others = Promise.all(Array.from({ length: 5 }, (_, i) => pool.query('SELECT $1::int AS i', [i])));
        await client.query('SELECT 1');
        await client.query('ROLLBACK');
        expect((await others).map((r) => r.rows[0].i)).toEqual([0, 1, 2, 3, 4]);
      } finally {
        client.release();
        await pool.end();
      }
    });

    it('answers injected failures with SQLSTATE 57P03 and keeps the connection usable', async () => {
      const client = new pg.Client(grc.urls.postgres);
      await client.connect();
      try {
        await grc.setFaults({ failureRate: 1 });
        await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: '57P03' });
        await expect(client.query('SELECT $1::int', [1])).rejects.toMatchObject({ code: '57P03' });
        await grc.setFaults({ failureRate: 0, latencyMs: [1, 5] });
        expect((await client.query('SELECT $1::int AS ok', [7])).rows).toEqual([{ ok: 7 }]);
      } finally {
        await grc.setFaults({ failureRate: 0, latencyMs: [0, 0] });
        await client.end();
      }
    });

    it('answers an SSLRequest with N (no TLS), as pglite-socket does', async () => {
      const url = new URL(grc.urls.postgres!);
      const socket = connect(Number(url.port), url.hostname);
      const answer = await new Promise<string>((resolve, reject) => {
        socket.once('error', reject);
        socket.once('connect', () => socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
        socket.once('data', (data) => resolve(data.toString('latin1')));
      });
      socket.destroy();
      expect(answer).toBe('N');
    });
  });

  describe('Back office writes', () => {
    it('an update that forgets date_maj still moves it (trigger)', async () => {
      const [before] = await grc.sql<{ date_maj: Date }>(`SELECT date_maj FROM t_demande WHERE id_demande = 1`);
      await grc.sql(`UPDATE t_demande SET objet = objet || ' (modifié)' WHERE id_demande = 1`);
      const [after] = await grc.sql<{ date_maj: Date }>(`SELECT date_maj FROM t_demande WHERE id_demande = 1`);
      expect(after!.date_maj.getTime()).not.toBe(before!.date_maj.getTime());
    });
  });
});
