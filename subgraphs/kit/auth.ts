/**
 * What the subgraphs decide from a bearer token (common/tokens.ts): the gateway decides who may call
 * at all; each subgraph decides what a caller may do, from the token's scopes. Tokens Passerelle
 * issues: `agent:<matricule>` with scope `agent` (the agents' workflow), and `citizen:<reference>`
 * with scope `track:<reference>` (follow that one request, nothing else).
 */
import { passerelleError } from '../../common/errors.ts';
import { bearerTokenOf, verifyToken, type TokenClaims, type VerifiedToken } from '../../common/tokens.ts';

export { signToken, tokenKey, verifyToken, type SignedToken, type TokenClaims } from '../../common/tokens.ts';

/** Who is calling, from a verified token. */
export type Caller = VerifiedToken;

/** The scope every workflow mutation needs. */
export const AGENT_SCOPE = 'agent';

export const agentClaims = (matricule: string): TokenClaims => ({ sub: `agent:${matricule}`, scope: AGENT_SCOPE, kind: 'agent' });
export const trackingClaims = (reference: string): TokenClaims => ({ sub: `citizen:${reference}`, scope: `track:${reference}`, kind: 'user' });

/**
 * The caller named by an `authorization` header value: null without one (anonymous), refused
 * (UNAUTHENTICATED) when it is not `Bearer <valid token>` — never silently anonymous.
 */
export async function callerOf(key: Uint8Array, authorization: string | undefined | null): Promise<Caller | null> {
  const token = bearerTokenOf(authorization);
  return token === undefined ? null : verifyToken(key, token);
}

/** The caller, when it holds `scope`: UNAUTHENTICATED when anonymous, FORBIDDEN otherwise. */
export function requireScope(caller: Caller | null, scope: string, action: string): Caller {
  if (caller === null) throw passerelleError('UNAUTHENTICATED', `${action} needs a bearer token with scope "${scope}".`);
  if (!caller.scopes.includes(scope)) {
    throw passerelleError('FORBIDDEN', `${action} needs scope "${scope}"; the token has ${caller.scopes.length > 0 ? `"${caller.scopes.join(' ')}"` : 'none'}.`);
  }
  return caller;
}

/** The matricule an agent token names (`agent:AG0001` → `AG0001`); null for other subjects. */
export function agentMatricule(caller: Caller): string | null {
  const match = /^agent:([A-Za-z0-9]{1,10})$/.exec(caller.subject);
  return match ? match[1]! : null;
}
