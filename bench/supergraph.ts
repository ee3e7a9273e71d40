/**
 * Points a composed supergraph at other subgraph URLs. Passerelle's gateway does this itself
 * (SUBGRAPH_URLS); the stock Apollo gateway and Hive Gateway take the supergraph as it is, so they
 * are given a copy whose `@join__graph(url:)` arguments name the running subgraphs.
 */

/**
 * The supergraph as stock @apollo/gateway accepts it: it refuses features linked `for: SECURITY`
 * (@authenticated, @requiresScopes, @policy) since it cannot enforce them; Passerelle enforces them
 * in its authorize stage and hands its own planner the same cut (gateway/plan/security-features.ts).
 * The baseline then serves every field to every caller: the bench's queries read public data only,
 * so the answers compared are the same.
 */
export { withoutEnforcedSecurityPurpose as forStockApolloGateway } from '../gateway/plan/security-features.ts';

const JOIN_GRAPH = /@join__graph\(\s*name:\s*"([^"]+)"\s*,\s*url:\s*"[^"]*"\s*\)/g;

/**
 * Returns `supergraphSdl` with the URL of each subgraph named in `urls` replaced; subgraphs not
 * named keep their URL. Throws when `urls` names a subgraph the supergraph does not have, so a
 * typo cannot leave a gateway calling the committed default ports.
 */
export function withSubgraphUrls(supergraphSdl: string, urls: Record<string, string>): string {
  const found = new Set<string>();
  const rewritten = supergraphSdl.replace(JOIN_GRAPH, (directive, name: string) => {
    found.add(name);
    const url = urls[name];
    return url === undefined ? directive : `@join__graph(name: ${JSON.stringify(name)}, url: ${JSON.stringify(url)})`;
  });
  const unknown = Object.keys(urls).filter((name) => !found.has(name));
  if (unknown.length > 0) {
    throw new Error(`The supergraph has no subgraph named ${unknown.join(', ')} (it has ${[...found].join(', ') || 'none'}).`);
  }
  return rewritten;
}
