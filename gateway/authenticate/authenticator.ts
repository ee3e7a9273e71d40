/**
 * Who calls, from what the request presents:
 * - nothing: anonymous;
 * - `x-api-key`: a partner's key, checked against the key store;
 * - a bearer token signed RS256/ES256: the identity provider's JWT, checked against its JWKS;
 * - a bearer token signed HS256: one of Passerelle's own (AUTH_SECRET). In production only tracking
 *   tokens (sub `citizen:<ref>`, scopes `track:<ref>` only) are accepted this way: an agent,
 *   partner or operator identity must come from the JWKS or an API key.
 * Anything else — another algorithm (`none` included), a forged, expired or exp-less token, a
 * revoked key — is UNAUTHENTICATED, never anonymous.
 */
import { decodeProtectedHeader } from 'jose';
import { passerelleError } from '../../common/errors.ts';
import { tokenKey, verifyPasserelleToken } from '../../common/tokens.ts';
import type { Principal, ReceivedRequest } from '../pipeline.ts';
import { verifyApiKey, type ApiKeyStore } from './api-keys/index.ts';
import { credentialsOf } from './bearer-token.ts';
import { JWKS_ALGORITHMS, type JwksVerifier } from './jwks.ts';
import { anonymousPrincipal, principalOfApiKey, principalOfClaims } from './principal.ts';

export interface AuthenticatorOptions {
  /** AUTH_SECRET, the key of Passerelle's own HS256 tokens. */
  authSecret: string;
  /** NODE_ENV=production: HS256 tokens are tracking tokens only. */
  production: boolean;
  /** JWT_CLOCK_SKEW_S. */
  clockSkewS: number;
  /** The identity provider's key set; without it, RS256/ES256 tokens are refused. */
  jwks?: JwksVerifier;
  /** Partners' keys; without a store, API keys are refused. */
  apiKeys?: ApiKeyStore;
}

export type Authenticator = (request: ReceivedRequest) => Promise<Principal>;

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const key = tokenKey(options.authSecret);
  return async (request) => {
    const credentials = credentialsOf(request.headers);
    const { remoteAddress } = request;
    switch (credentials.kind) {
      case 'none':
        return anonymousPrincipal(remoteAddress);
      case 'api-key': {
        if (!options.apiKeys) throw passerelleError('UNAUTHENTICATED', 'This gateway accepts no API keys.');
        return principalOfApiKey(await verifyApiKey(options.apiKeys, credentials.key), remoteAddress);
      }
      case 'bearer':
        return principalOfToken(credentials.token, remoteAddress);
    }
  };

  async function principalOfToken(token: string, remoteAddress: string | undefined): Promise<Principal> {
    let alg: unknown;
    try {
      ({ alg } = decodeProtectedHeader(token));
    } catch {
      throw passerelleError('UNAUTHENTICATED', 'The bearer token is not a JWT.');
    }
    if (alg === 'HS256') {
      const payload = await verifyPasserelleToken(key, token, options.clockSkewS);
      const principal = principalOfClaims(payload, remoteAddress);
      if (options.production && !isTrackingToken(principal)) {
        throw passerelleError('UNAUTHENTICATED', "In production, Passerelle's own tokens are tracking tokens only; agents sign in with the identity provider.");
      }
      return principal;
    }
    if (typeof alg === 'string' && JWKS_ALGORITHMS.includes(alg)) {
      if (!options.jwks) throw passerelleError('UNAUTHENTICATED', `This gateway has no JWKS to verify ${alg} tokens with.`);
      return principalOfClaims(await options.jwks.verify(token), remoteAddress);
    }
    throw passerelleError('UNAUTHENTICATED', `Bearer tokens signed with ${typeof alg === 'string' ? alg : 'no algorithm'} are not accepted (RS256, ES256).`);
  }
}

/** sub `citizen:<ref>` and every scope `track:<ref>` for that very reference. */
function isTrackingToken(principal: Principal): boolean {
  const reference = /^citizen:(.+)$/.exec(principal.id)?.[1];
  return (
    reference !== undefined &&
    principal.kind === 'citizen' &&
    principal.scopes.length > 0 &&
    principal.scopes.every((scope) => scope === `track:${reference}`)
  );
}
