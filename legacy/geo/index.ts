/** The geodata stand-in as a process: the geo-API-shaped HTTP interface over the IdF reference data. */
import type { geoApiEnv } from '../../common/config.ts';
import type { Parsed } from '../../common/env.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { createGeoStore } from './data.ts';
import { createGeoApi } from './server.ts';

export type GeoApiConfig = Parsed<typeof geoApiEnv>;

export async function startGeoApi(config: GeoApiConfig, logger: Logger): Promise<Running> {
  const store = createGeoStore();
  const api = createGeoApi(store, { latencyMs: config.latencyMs, failureRate: config.failureRate });
  const listening = await api.listen(config.port, config.host);
  logger.info({ url: listening.url, communes: store.communes.size, departements: store.departements.size }, 'geo API stand-in listening');
  return { urls: { http: listening.url }, close: listening.close };
}
