/**
 * The GRC stand-in: the DSI's citizens'-requests database, reachable only as PostgreSQL.
 * Start-up migrates and seeds the storage (real PostgreSQL or embedded PGlite), then serves it
 * through the counting, fault-injecting wire proxy, with the admin endpoints every stand-in has
 * (`GET /__admin/calls`, `POST /__admin/reset`, `POST /__admin/faults`) on their own HTTP port.
 */
import type { grcEnv } from '../../common/config.ts';
import type { Parsed } from '../../common/env.ts';
import type { Logger } from '../../common/logger.ts';
import type { Running } from '../../common/service.ts';
import { HttpSystem } from '../kit/index.ts';
import { openStorage } from './storage.ts';
import { startWireProxy } from './wire-proxy.ts';

export type GrcConfig = Parsed<typeof grcEnv>;

export async function startGrc(config: GrcConfig, logger: Logger): Promise<Running> {
  const storage = await openStorage(
    { databaseUrl: config.databaseUrl, dataDir: config.dataDir, seedCacheDir: config.seedCacheDir, seed: config.seed, requestCount: config.requestCount },
    logger,
  );
  // An HttpSystem without routes: only its admin endpoints, its counter and its live faults.
  const admin = new HttpSystem({ system: 'grc', faults: { latencyMs: config.latencyMs, failureRate: config.failureRate } });
  const proxy = await startWireProxy(
    { upstream: storage.upstream, calls: admin.calls, faults: admin.faults, serialize: storage.serialize, logger },
    config.port,
    config.host,
  );
  const adminServer = await admin.listen(config.adminPort, config.host);
  const urls = { postgres: storage.clientUrl(config.host, proxy.port), admin: adminServer.url };
  logger.info({ storage: config.databaseUrl ? 'postgresql' : `pglite (${config.dataDir})`, admin: urls.admin }, 'grc listening');
  return {
    urls,
    async close() {
      await proxy.close();
      await adminServer.close();
      await storage.close();
    },
  };
}
