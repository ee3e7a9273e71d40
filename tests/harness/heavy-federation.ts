/**
 * The heavy benchmark's federation for tests: four small subgraphs (accounts, inventory, products,
 * reviews — The Guild's federation benchmark shape) on free ports, their composed supergraph, and
 * what each subgraph received (requests, body bytes, entity representations), to prove how many
 * calls a gateway or an execution engine makes and that it answers what stock @apollo/gateway
 * answers.
 *
 *   const federation = await startHeavyFederation();
 *   await federation.resetStats();
 *   … run `heavyQuery` through a gateway built on `federation.supergraphSdl` …
 *   const { inventory } = await federation.stats(); // inventory.requests, .representations
 *   await federation.close();
 *
 * Child processes by default, as the benchmark runs them; `{ inProcess: true }` serves them in the
 * test's own process (faster to start).
 */
export { startHeavyFederation, composeHeavySupergraph } from '../../bench/heavy/federation.ts';
export type { HeavyFederation, HeavyFederationOptions, HeavySubgraphName, HeavySubgraphStats } from '../../bench/heavy/federation.ts';
export { HEAVY_SUBGRAPHS } from '../../bench/heavy/schema.ts';
export { heavyQuery, trivialQuery } from '../../bench/heavy/queries.ts';
