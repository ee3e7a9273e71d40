/** What the four subgraphs share: start-up, transports, loaders, connections, validation, errors. */
export { startSubgraph, serveSubgraph, loadTypeDefs, type SubgraphOptions, type RunningSubgraph } from './server.ts';
export { createHttpClient, type HttpClient, type HttpClientOptions } from './http-client.ts';
export { createLegacyGuards, defaultLegacyGuards, guarded, isLegacyFailure, legacyResilienceOf, type LegacyGuards, type UpstreamResilienceConfig } from './legacy-guards.ts';
export { batchLoader, groupLoader, isolated, perKeyLoader, type BatchOptions } from './loaders.ts';
export { connectionFromArray, pageWindow, toConnection, encodeCursor, DEFAULT_PAGE_SIZE, type Connection, type PageArgs } from './connection.ts';
export { TtlCache } from './cache.ts';
export {
  AGENT_SCOPE, agentClaims, agentMatricule, callerOf, requireScope, signToken, tokenKey, trackingClaims, verifyToken,
  IDENTITY_HEADER, identityFromConnectionParams, identityKey, verifyIdentity,
  type Caller, type CallerKind, type SignedToken, type TokenClaims,
} from './auth.ts';
export { expectFormat, foldText, COMMUNE_CODE, DEPARTEMENT_CODE, REGION_CODE, UAI, REQUEST_REFERENCE, POSTAL_CODE } from './validate.ts';
export { passerelleError, badUserInput } from '../../common/errors.ts';
export { subgraphLimitsOf, DEFAULT_SUBGRAPH_LIMITS, type SubgraphLimits } from './limits.ts';
