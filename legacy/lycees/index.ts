/**
 * Starts the Lycées numériques API stand-in: generates its database from the seed, then serves
 * it over HTTP with the configured latency and failure rate.
 */
import type { Parsed } from '../../common/env.ts';
import type { lyceesApiEnv } from '../../common/config.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { generateLycees } from './data.ts';
import { createLyceesApi } from './server.ts';

export type LyceesApiConfig = Parsed<typeof lyceesApiEnv>;

export async function startLyceesApi(config: LyceesApiConfig, logger: Logger): Promise<Running> {
  const db = generateLycees(config.seed);
  const api = createLyceesApi(db, { latencyMs: config.latencyMs, failureRate: config.failureRate });
  const listening = await api.listen(config.port, config.host);
  logger.info({ url: listening.url, lycees: db.etablissements.length, seed: config.seed }, 'lycees-api listening');
  return { urls: { http: listening.url }, close: listening.close };
}
