/** The decision-support / open data stand-in as a process: an Explore-API-v2.1-shaped portal over seeded datasets. */
import type { opendataApiEnv } from '../../common/config.ts';
import type { Parsed } from '../../common/env.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { generateDatasets } from './data.ts';
import { createOpendataApi } from './server.ts';

export type OpendataApiConfig = Parsed<typeof opendataApiEnv>;

export async function startOpendataApi(config: OpendataApiConfig, logger: Logger): Promise<Running> {
  const datasets = generateDatasets(config.seed);
  const api = createOpendataApi(datasets, { latencyMs: config.latencyMs, failureRate: config.failureRate });
  const listening = await api.listen(config.port, config.host);
  const counts = Object.fromEntries([...datasets.values()].map((d) => [d.id, d.records.length]));
  logger.info({ url: listening.url, records: counts }, 'open data API stand-in listening');
  return { urls: { http: listening.url }, close: listening.close };
}
