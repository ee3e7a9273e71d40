/**
 * Gateway → subgraph identity. The gateway verifies the caller's credentials (bearer token, API
 * key) once; what it forwards to a subgraph is not those credentials but a short-lived statement of
 * who the caller is, signed with GATEWAY_SECRET: an HS256 JWT with
 *
 *   iss "passerelle-gateway", aud "passerelle-subgraph", exp ≤ 60 s after iat,
 *   sub    the principal's id (`agent:AG0001`, `citizen:IDF-…`, `key:<id>`; `anonymous` for anonymous calls),
 *   kind   anonymous | citizen | partner | agent | operator,
 *   scope  space-separated scopes,
 *   cexp   when the caller's own credentials expire (seconds since epoch), when they do.
 *
 * It travels in the `x-passerelle-identity` header of every HTTP fetch and in
 * `connectionParams.identity` of every upstream graphql-ws connection. Anonymous calls are signed
 * too, so a subgraph refuses every unsigned call: whoever reaches a subgraph directly, without the
 * gateway's secret, gets UNAUTHENTICATED, whatever token they bring.
 */
import { createHmac } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { passerelleError } from './errors.ts';

export const IDENTITY_HEADER = 'x-passerelle-identity';
export const IDENTITY_ISSUER = 'passerelle-gateway';
export const IDENTITY_AUDIENCE = 'passerelle-subgraph';
/** Longest life of a signed identity: long enough for one request's fetches, too short to be worth stealing. */
export const IDENTITY_TTL_S = 60;
/** Tolerated clock difference between the gateway and a subgraph. */
const CLOCK_TOLERANCE_S = 5;

export const CALLER_KINDS = ['anonymous', 'citizen', 'partner', 'agent', 'operator'] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/** Who calls a subgraph, as the gateway vouches for it. `null` stands for an anonymous caller. */
export interface Caller {
  /** `agent:AG0001`, `citizen:IDF-2026-000123`, `key:<id>`… */
  subject: string;
  kind: Exclude<CallerKind, 'anonymous'>;
  scopes: string[];
  /**
   * When the caller's own credentials expire (not this signed statement); null when they do not
   * (API keys). The gateway itself ends the streams of expired credentials: a subgraph must not
   * close a shared upstream connection on it.
   */
  expiresAt: Date | null;
}

/** What the gateway signs: a principal's fields (gateway/pipeline.ts `Principal` fits). */
export interface Identified {
  id: string;
  kind: CallerKind;
  scopes: readonly string[];
  /** ms since epoch. */
  expiresAt?: number;
}

/** The HMAC key made from GATEWAY_SECRET; make it once. */
export function identityKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/**
 * Signs `who` for `ttlSeconds` (at most IDENTITY_TTL_S) from `now`. Synchronous (node:crypto), so
 * a data source signs without an extra turn of the event loop; subgraphs verify with jose.
 */
export function signIdentity(key: Uint8Array, who: Identified, now = Date.now(), ttlSeconds = IDENTITY_TTL_S): { token: string; expiresAt: number } {
  const iat = Math.floor(now / 1000);
  const exp = iat + Math.min(ttlSeconds, IDENTITY_TTL_S);
  const anonymous = who.kind === 'anonymous';
  const claims = {
    iss: IDENTITY_ISSUER,
    aud: IDENTITY_AUDIENCE,
    // An anonymous principal's id is its address (rate limits); subgraphs need not know it.
    sub: anonymous ? 'anonymous' : who.id,
    kind: who.kind,
    scope: anonymous ? '' : who.scopes.join(' '),
    iat,
    exp,
    ...(who.expiresAt !== undefined && !anonymous ? { cexp: Math.floor(who.expiresAt / 1000) } : {}),
  };
  const signingInput = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  const signature = createHmac('sha256', key).update(signingInput).digest('base64url');
  return { token: `${signingInput}.${signature}`, expiresAt: exp * 1000 };
}

/**
 * Signed identities per caller authority (what the claims say: kind, id, scopes, credential expiry;
 * every anonymous caller is the same "anonymous"), reused for half their life: a caller's fetches
 * sign once every 30 s rather than once each, and a subgraph never receives one about to expire.
 * Bounded: past MAX_SIGNED distinct callers the memory starts over.
 */
export function createIdentitySigner(secret: string): (who: Identified) => string {
  const key = identityKey(secret);
  const cache = new Map<string, { token: string; renewAt: number }>();
  return (who) => {
    const now = Date.now();
    const authority = who.kind === 'anonymous' ? 'anonymous' : `${who.kind}\0${who.id}\0${who.scopes.join(' ')}\0${who.expiresAt ?? ''}`;
    const cached = cache.get(authority);
    if (cached && cached.renewAt > now) return cached.token;
    const { token } = signIdentity(key, who, now);
    if (cache.size >= MAX_SIGNED) cache.clear();
    cache.set(authority, { token, renewAt: now + (IDENTITY_TTL_S * 1000) / 2 });
    return token;
  };
}

const MAX_SIGNED = 10_000;

/**
 * The caller a signed identity names; null for an anonymous call. UNAUTHENTICATED when it is
 * missing, expired, tampered with, signed with another key or for another audience.
 */
export async function verifyIdentity(key: Uint8Array, token: string | undefined | null): Promise<Caller | null> {
  if (typeof token !== 'string' || token === '') {
    throw passerelleError('UNAUTHENTICATED', 'Subgraphs answer only the gateway: this call carries no gateway-signed identity.');
  }
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: IDENTITY_ISSUER,
      audience: IDENTITY_AUDIENCE,
      requiredClaims: ['exp', 'iat', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_S,
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw passerelleError('UNAUTHENTICATED', 'The gateway-signed identity has expired.');
    throw passerelleError('UNAUTHENTICATED', 'The gateway-signed identity is invalid.');
  }
  const kind = CALLER_KINDS.find((known) => known === payload.kind);
  // A statement longer-lived than the gateway ever signs was not signed by the gateway.
  if (!kind || typeof payload.sub !== 'string' || payload.exp! - payload.iat! > IDENTITY_TTL_S) {
    throw passerelleError('UNAUTHENTICATED', 'The gateway-signed identity is invalid.');
  }
  if (kind === 'anonymous') return null;
  return {
    subject: payload.sub,
    kind,
    scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter((scope) => scope !== '') : [],
    expiresAt: typeof payload.cexp === 'number' ? new Date(payload.cexp * 1000) : null,
  };
}

/**
 * For a subgraph's graphql-ws server, on connect: the caller named by `connectionParams.identity`
 * (null when anonymous). UNAUTHENTICATED when it is absent or invalid — the server should then
 * close the socket with 4401.
 */
export function identityFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined | null, key: Uint8Array): Promise<Caller | null> {
  const identity = params?.identity;
  return verifyIdentity(key, typeof identity === 'string' ? identity : undefined);
}
