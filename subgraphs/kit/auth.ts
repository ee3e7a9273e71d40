/**
 * Who calls a subgraph, and what the subgraphs decide from it. The gateway verifies the caller's
 * credentials and forwards a short-lived identity it signs with GATEWAY_SECRET (common/identity.ts);
 * `startSubgraph` verifies it on every /graphql request and hands the resolvers `identity:
 * Caller | null` (null = anonymous) through `createContext`. A graphql-ws server verifies
 * `connectionParams.identity` with `identityFromConnectionParams`.
 *
 * Tokens Passerelle issues itself (common/tokens.ts): `citizen:<reference>` with scope
 * `track:<reference>` (follow that one request, nothing else) and, in development,
 * `agent:<matricule>` with scope `agent`.
 */
import { passerelleError } from '../../common/errors.ts';
import type { Caller } from '../../common/identity.ts';
import { bearerTokenOf, scopesOf, verifyPasserelleToken, type TokenClaims } from '../../common/tokens.ts';

export { signToken, tokenKey, type SignedToken, type TokenClaims } from '../../common/tokens.ts';
export { IDENTITY_HEADER, identityFromConnectionParams, identityKey, verifyIdentity, type Caller, type CallerKind } from '../../common/identity.ts';

/** The scope every workflow mutation needs. */
export const AGENT_SCOPE = 'agent';

export const agentClaims = (matricule: string): TokenClaims => ({ sub: `agent:${matricule}`, scope: AGENT_SCOPE, kind: 'agent' });
export const trackingClaims = (reference: string): TokenClaims => ({ sub: `citizen:${reference}`, scope: `track:${reference}`, kind: 'citizen' });

/**
 * @deprecated Subgraphs no longer receive bearer tokens: use the `identity` that `createContext`
 * gets (or `identityFromConnectionParams`). Verifies one of Passerelle's own HS256 tokens.
 */
export async function verifyToken(key: Uint8Array, token: string): Promise<Caller> {
  const payload = await verifyPasserelleToken(key, token);
  const scopes = scopesOf(payload);
  return {
    subject: payload.sub,
    kind: payload.sub.startsWith('agent:') && scopes.includes(AGENT_SCOPE) ? 'agent' : 'citizen',
    scopes,
    expiresAt: new Date(payload.exp * 1000),
  };
}

/**
 * @deprecated Kept while the requests subgraph moves to the gateway-signed `identity`: the caller
 * named by an `authorization` header value, null without one, UNAUTHENTICATED when invalid.
 */
export async function callerOf(key: Uint8Array, authorization: string | undefined | null): Promise<Caller | null> {
  const token = bearerTokenOf(authorization);
  return token === undefined ? null : verifyToken(key, token);
}

/** The caller, when it holds `scope`: UNAUTHENTICATED when anonymous, FORBIDDEN otherwise. */
export function requireScope(caller: Caller | null, scope: string, action: string): Caller {
  if (caller === null) throw passerelleError('UNAUTHENTICATED', `${action} needs credentials with scope "${scope}".`);
  if (!caller.scopes.includes(scope)) {
    throw passerelleError('FORBIDDEN', `${action} needs scope "${scope}"; the caller has ${caller.scopes.length > 0 ? `"${caller.scopes.join(' ')}"` : 'none'}.`);
  }
  return caller;
}

/** The matricule an agent identity names (`agent:AG0001` → `AG0001`); null for other subjects. */
export function agentMatricule(caller: Caller): string | null {
  const match = /^agent:([A-Za-z0-9]{1,10})$/.exec(caller.subject);
  return match ? match[1]! : null;
}
