/**
 * The geo stack for tests: the geodata stand-in and geo subgraphs in this process, on port 0.
 * Each `subgraph()` is a new process-lifetime connector, hence a cold cache, so a test that counts
 * geo API calls starts from a known state without depending on the tests before it.
 */
import { geoApiEnv, geoSubgraphEnv } from '../../common/config.ts';
import { startGeoApi } from '../../legacy/geo/index.ts';
import { startGeoSubgraph } from '../../subgraphs/geo/index.ts';
import { startLegacyStack, type LegacyStack, type LegacySubgraph } from '../harness/legacy-stack.ts';

export type { Calls } from '../harness/legacy-stack.ts';
export type GeoSubgraph = LegacySubgraph;
/** `subgraph(env)` starts a geo subgraph over the stand-in, or over `env.GEO_API_URL`. */
export type GeoStack = LegacyStack;

export function startGeoStack(): Promise<GeoStack> {
  return startLegacyStack({
    name: 'geo-test',
    standIn: { start: startGeoApi, spec: geoApiEnv, port: geoApiEnv.port },
    subgraph: {
      start: startGeoSubgraph,
      spec: geoSubgraphEnv,
      port: geoSubgraphEnv.port,
      apiUrl: geoSubgraphEnv.geoApiUrl,
      // No retries by default: a failed call shows up once in the counts and tests stay quick.
      env: { UPSTREAM_RETRIES: '0' },
    },
  });
}
