/**
 * What the gateway does for a test that calls the requests subgraph directly: it turns the
 * caller's bearer token into the gateway-signed identity the subgraph accepts (common/identity.ts),
 * in the `x-passerelle-identity` header or graphql-ws `connectionParams.identity`.
 */
import { requestsSubgraphEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { IDENTITY_HEADER, identityKey, signIdentity, type Caller, type CallerKind } from '../../common/identity.ts';
import { tokenKey, verifyToken } from '../../subgraphs/kit/index.ts';

const config = readEnv(requestsSubgraphEnv, {});
const gatewayKey = identityKey(config.gatewaySecret);
const authKey = tokenKey(config.authSecret);

/** An operator of the region: every row rule lets them through. */
export const OPERATOR = { subject: 'operator:test', kind: 'operator' as const, scopes: ['operator'] };

/** A signed identity for `caller` (null: anonymous), as the gateway sends it. */
export function signedIdentity(caller: { subject: string; kind: CallerKind; scopes: string[] } | null): string {
  if (caller === null) return signIdentity(gatewayKey, { id: 'anonymous', kind: 'anonymous', scopes: [] }).token;
  return signIdentity(gatewayKey, { id: caller.subject, kind: caller.kind, scopes: caller.scopes }).token;
}

/**
 * The signed identity of a Passerelle token (`Bearer …` or bare), or of an anonymous caller. A
 * token that does not verify gives an identity that does not either (the token itself): the
 * subgraph then answers UNAUTHENTICATED, as the gateway would have.
 */
export async function identityOfToken(token?: string): Promise<string> {
  if (token === undefined) return signedIdentity(null);
  if (token.startsWith('identity:')) return token.slice('identity:'.length);
  let caller: Caller;
  try {
    caller = await verifyToken(authKey, token.replace(/^Bearer\s+/i, ''));
  } catch {
    return token;
  }
  return signedIdentity(caller);
}

/** `call`'s credentials for an operator. */
export const asOperator = (): { identity: string } => ({ identity: signedIdentity(OPERATOR) });

/** Headers of a direct call to a subgraph, for a caller with `token` (anonymous without). */
export async function identityHeaders(token?: string): Promise<Record<string, string>> {
  return { [IDENTITY_HEADER]: await identityOfToken(token) };
}

/** Credentials for `subgraphSubscribe` (and `call`) that stand for an operator, who follows any request or queue. */
export const operatorCredentials = (): string => `identity:${signedIdentity(OPERATOR)}`;
