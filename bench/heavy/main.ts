/**
 * A heavy-benchmark subgraph as a process of its own, as the region's subgraphs run: started by
 * `startHeavyFederation` (bench/heavy/federation.ts) through the launcher, on a free port, with
 * HEAVY_SUBGRAPH naming which of the four it is. That variable is wiring between the benchmark and
 * its child, not a setting of Passerelle's, so it is not in common/config.ts.
 */
import { announceReady, runMain, stopOnSignal } from '../../common/lifecycle.ts';
import { HEAVY_SUBGRAPHS, type HeavySubgraphName } from './schema.ts';
import { serveHeavySubgraph } from './server.ts';

runMain(async () => {
  const name = process.env.HEAVY_SUBGRAPH as HeavySubgraphName;
  if (!HEAVY_SUBGRAPHS.includes(name)) throw new Error(`HEAVY_SUBGRAPH must be one of ${HEAVY_SUBGRAPHS.join(', ')} (got "${name ?? ''}").`);
  const served = await serveHeavySubgraph(name);
  stopOnSignal(() => served.close());
  announceReady(`heavy-${name}`, { graphql: served.url, stats: served.statsUrl });
});
