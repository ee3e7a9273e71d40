/**
 * The embedded GRC's seed snapshot (legacy/grc/seed-cache.ts): the first open seeds and saves a
 * snapshot, the next loads it and holds exactly the same database (rows and sequences); changes
 * to a running copy never reach the snapshot; a damaged snapshot is replaced, never trusted.
 * Every case starts from an empty cache folder: no test depends on a warm cache.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../common/logger.ts';
import { openSeededPglite, snapshotPath } from '../../legacy/grc/seed-cache.ts';

const SEED = 20260101;
const REQUESTS = 150;
const folders: string[] = [];
/** A fresh, empty cache folder, removed after the file. */
const emptyCache = () => {
  const folder = mkdtempSync(join(tmpdir(), 'passerelle-seed-'));
  folders.push(folder);
  return folder;
};
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function recordingLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const record = (first: unknown, second?: unknown) => messages.push(typeof first === 'string' ? first : String(second));
  const logger = { info: record, warn: record, error: record, debug: record } as unknown as Logger;
  return { logger, messages };
}

/** Row counts, highest ids and sequence positions: enough to tell two databases apart. */
async function digest(db: PGlite): Promise<unknown> {
  const tables = [['t_service', 'id_service'], ['t_agent', 'id_agent'], ['t_demande', 'id_demande'], ['t_evenement', 'id_evenement']] as const;
  const result: Record<string, unknown> = {};
  for (const [table, column] of tables) {
    const rows = await db.query<Record<string, unknown>>(`SELECT count(*)::int AS n, max(${column})::bigint AS max, md5(string_agg(t::text, '|' ORDER BY ${column})) AS hash FROM ${table} t`);
    const sequence = await db.query(`SELECT last_value::bigint AS v, is_called FROM ${(await db.query<{ s: string }>(`SELECT pg_get_serial_sequence('${table}', '${column}') AS s`)).rows[0]!.s}`);
    result[table] = { ...rows.rows[0], sequence: sequence.rows[0] };
  }
  return result;
}

describe('GRC seed snapshot', () => {
  it('seeds and saves on the first open, loads the same database on the next, and keeps no change of a running copy', async () => {
    const cache = emptyCache();
    const options = { dataDir: 'memory', seedCacheDir: cache, seed: SEED, requestCount: REQUESTS };

    const first = recordingLogger();
    const seeded = await openSeededPglite(options, first.logger);
    const expected = await digest(seeded);
    await seeded.close();
    expect(first.messages.some((m) => m.startsWith('seeding 150 requests'))).toBe(true);
    expect(existsSync(snapshotPath(options))).toBe(true);

    const second = recordingLogger();
    const loaded = await openSeededPglite(options, second.logger);
    expect(second.messages).toContain('loaded the seeded GRC database from its snapshot');
    expect(second.messages.some((m) => m.startsWith('seeding'))).toBe(false);
    expect(await digest(loaded)).toEqual(expected);
    await loaded.query(`UPDATE t_demande SET code_statut = 'CLO' WHERE id_demande = 1`);
    await loaded.query(`INSERT INTO t_service (code_service, libelle, type_service, email_service) VALUES ('NOUVEAU', 'Nouveau', 'THE', 'n@example.org')`);
    await loaded.close();

    const third = await openSeededPglite(options, recordingLogger().logger);
    expect(await digest(third)).toEqual(expected);
    await third.close();
  }, 120_000);

  it('replaces a damaged snapshot rather than loading it, and writes none when off', async () => {
    const cache = emptyCache();
    const options = { dataDir: 'memory', seedCacheDir: cache, seed: SEED, requestCount: REQUESTS };
    writeFileSync(snapshotPath(options), 'not a tarball');
    const damaged = recordingLogger();
    const db = await openSeededPglite(options, damaged.logger);
    expect(damaged.messages).toContain('unreadable GRC snapshot deleted; seeding instead');
    expect(((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t_demande')).rows[0]!).n).toBe(REQUESTS);
    await db.close();
    expect(readdirSync(cache)).toEqual([snapshotPath(options).split('/').at(-1)]);

    // "off" is no folder name: nothing is written, there or anywhere.
    const uncached = await openSeededPglite({ ...options, seedCacheDir: 'off' }, recordingLogger().logger);
    await uncached.close();
    expect(existsSync('off')).toBe(false);
  }, 120_000);

  it('keys a snapshot by seed and request count', () => {
    const a = snapshotPath({ seed: 1, requestCount: 10, seedCacheDir: '/c' });
    expect(snapshotPath({ seed: 2, requestCount: 10, seedCacheDir: '/c' })).not.toBe(a);
    expect(snapshotPath({ seed: 1, requestCount: 11, seedCacheDir: '/c' })).not.toBe(a);
    expect(a).toMatch(/^\/c\/grc-1-10-[0-9a-f]{16}\.tar\.gz$/);
  });
});
