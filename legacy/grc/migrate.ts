/**
 * `npm run grc:migrate`: migrates and seeds the PostgreSQL database at `DATABASE_URL`, then exits.
 * Idempotent: a second run applies nothing and seeds nothing.
 */
import { grcEnv } from '../../common/config.ts';
import { ConfigError, readEnv } from '../../common/env.ts';
import { runMain } from '../../common/lifecycle.ts';
import { createLogger } from '../../common/logger.ts';
import { connectPostgres } from './database.ts';
import { migrateAndSeed } from './setup.ts';

runMain(async () => {
  const config = readEnv(grcEnv);
  const logger = createLogger('grc-migrate', config.logLevel);
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is not set: grc:migrate needs the PostgreSQL database to migrate.');
  const db = await connectPostgres(config.databaseUrl);
  try {
    const report = await migrateAndSeed(db, { seed: config.seed, requestCount: config.requestCount }, logger);
    logger.info(report, 'grc database ready');
  } finally {
    await db.close();
  }
});
