/**
 * The embedded GRC database, seeded once and reused: seeding 5,000 requests into a fresh PGlite
 * (initdb, migrations, ~36,000 events) takes ~7-10 s of CPU at every `npm start`, most of a cold
 * start. A snapshot of the freshly seeded database (PGlite's `dumpDataDir`, gzipped by Node's
 * native zlib) loads in about a second instead (`loadDataDir`).
 *
 * - The running copy is still in memory (GRC_DATA_DIR=memory): changes are never written back;
 *   every start begins from the same freshly seeded state, as before.
 * - A snapshot is found by its key: SEED, GRC_SEED_REQUESTS, PGlite's version and a hash of every
 *   source that shapes the rows (migrations, generator, catalogue, the shared registers in
 *   legacy/kit). Change any of them and the key changes: a stale snapshot is never loaded.
 * - Migrations and the seed still run on the loaded copy; they find it up to date and change
 *   nothing (setup.ts is idempotent), so a snapshot can only save time, never change the result.
 * - Written to a temporary file then renamed, so concurrent starts (parallel test files) never
 *   read half a snapshot; an unreadable snapshot is deleted and the database seeded.
 * - GRC_SEED_CACHE_DIR=off seeds every time; a persistent GRC_DATA_DIR needs no snapshot.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../../common/logger.ts';
import type { GenerateOptions } from './data.ts';
import { openPglite, pgliteDatabase } from './database.ts';
import { migrateAndSeed } from './setup.ts';

const GRC_DIR = import.meta.dirname;
/** Sources whose content decides the seeded rows and schema (relative to legacy/). */
const SOURCE_DIRS = [join(GRC_DIR, 'migrations'), GRC_DIR, resolve(GRC_DIR, '../kit')];

export interface SeededPgliteOptions extends GenerateOptions {
  /** GRC_DATA_DIR: "memory", or a folder that keeps the database (then no snapshot is used). */
  dataDir: string;
  /** GRC_SEED_CACHE_DIR: where snapshots are kept, or "off". */
  seedCacheDir: string;
}

/** A PGlite holding the migrated and seeded GRC, from a snapshot when one fits. */
export async function openSeededPglite(options: SeededPgliteOptions, logger: Logger): Promise<PGlite> {
  const generate = { seed: options.seed, requestCount: options.requestCount };
  if (options.dataDir !== 'memory' || options.seedCacheDir === 'off' || options.seedCacheDir === '') {
    const db = await openPglite(options.dataDir);
    await migrateAndSeed(pgliteDatabase(db), generate, logger);
    return db;
  }

  const file = snapshotPath(options);
  const loaded = await loadSnapshot(file, logger);
  if (loaded) {
    await migrateAndSeed(pgliteDatabase(loaded), generate, logger);
    return loaded;
  }

  logger.info(`seeding ${options.requestCount.toLocaleString('en')} requests (first start only; later starts load a snapshot)…`);
  const db = await openPglite('memory');
  await migrateAndSeed(pgliteDatabase(db), generate, logger);
  await saveSnapshot(db, file, logger);
  return db;
}

/** `<dir>/grc-<seed>-<requests>-<hash>.tar.gz`. */
export function snapshotPath(options: Pick<SeededPgliteOptions, 'seed' | 'requestCount' | 'seedCacheDir'>): string {
  return resolve(options.seedCacheDir, `grc-${options.seed}-${options.requestCount}-${sourcesHash()}.tar.gz`);
}

let hashed: string | undefined;
/** Hash of PGlite's version and of every file that shapes the seeded database. */
export function sourcesHash(): string {
  if (hashed) return hashed;
  const hash = createHash('sha256');
  hash.update(`pglite ${pgliteVersion()}\n`);
  for (const dir of SOURCE_DIRS) {
    for (const name of readdirSync(dir).sort()) {
      if (!/\.(ts|sql|json)$/.test(name)) continue;
      hash.update(`${dir}/${name}\n`.slice(GRC_DIR.length));
      hash.update(readFileSync(join(dir, name)));
    }
  }
  hashed = hash.digest('hex').slice(0, 16);
  return hashed;
}

/** PGlite's version (its package.json is not in its exports: found from its entry point). */
function pgliteVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === '@electric-sql/pglite') return manifest.version ?? 'unknown';
    } catch {
      // No package.json at this level: one up.
    }
  }
  return 'unknown';
}

async function loadSnapshot(file: string, logger: Logger): Promise<PGlite | undefined> {
  let compressed: Buffer;
  try {
    compressed = readFileSync(file);
  } catch {
    return undefined;
  }
  const started = performance.now();
  try {
    const db = await PGlite.create('memory://', { loadDataDir: new Blob([gunzipSync(compressed)]) });
    logger.info({ snapshot: file, ms: Math.round(performance.now() - started) }, 'loaded the seeded GRC database from its snapshot');
    return db;
  } catch (error) {
    logger.warn({ err: error, snapshot: file }, 'unreadable GRC snapshot deleted; seeding instead');
    rmSync(file, { force: true });
    return undefined;
  }
}

async function saveSnapshot(db: PGlite, file: string, logger: Logger): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    const tar = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
    mkdirSync(resolve(file, '..'), { recursive: true });
    // Level 1: ~7× smaller than the raw tar, and compressing and reading it back take ~0.2 s each.
    writeFileSync(temporary, gzipSync(tar, { level: 1 }));
    renameSync(temporary, file);
    logger.info({ snapshot: file }, 'GRC snapshot saved for the next starts');
  } catch (error) {
    rmSync(temporary, { force: true });
    logger.warn({ err: error, snapshot: file }, 'could not save the GRC snapshot; the next start seeds again');
  }
}
