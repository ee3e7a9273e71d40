/**
 * Users' and agents' JWTs from the region's identity provider, verified against its JSON Web Key
 * Set: from a URL (jose's remote key set: fetched once, cached, fetched again when a token names a
 * key id it does not know, at most once per cooldown — that is how a rotated key is picked up) or
 * from a file (re-read when the file changes, and checked again when a token names an unknown key).
 *
 * Only RS256 and ES256: never `none`, never HS256 here (Passerelle's own HS256 tokens are
 * common/tokens.ts's business). `iss`, `aud` and `exp` are required and checked with a tolerated
 * clock skew.
 */
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ConfigError } from '../../common/env.ts';
import { passerelleError } from '../../common/errors.ts';

export const JWKS_ALGORITHMS = ['RS256', 'ES256'];

export interface JwksOptions {
  /** JWKS_URL: the key set's URL. One of `url` and `path` is required. */
  url?: string;
  /** JWKS_PATH: a key set file (used when `url` is unset). Must exist and parse at start-up (ConfigError otherwise). */
  path?: string;
  /** JWT_ISSUER: the `iss` every token must carry. */
  issuer: string;
  /** JWT_AUDIENCE: the `aud` every token must carry. */
  audience: string;
  /** JWT_CLOCK_SKEW_S: tolerated clock difference on exp/nbf/iat, in seconds. */
  clockSkewS: number;
  /** Shortest wait between two fetches of the URL caused by unknown key ids. Default 30,000 ms (jose's). */
  cooldownMs?: number;
}

export interface JwksVerifier {
  /** The verified claims; UNAUTHENTICATED when the token is forged, expired, has no exp, or the wrong iss/aud/algorithm. */
  verify(token: string): Promise<JWTPayload & { sub: string; exp: number }>;
}

export function createJwksVerifier(options: JwksOptions): JwksVerifier {
  const keys = options.url
    ? createRemoteJWKSet(new URL(options.url), { cooldownDuration: options.cooldownMs ?? 30_000, cacheMaxAge: 10 * 60_000 })
    : fileKeySet(options.path ?? '');
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          algorithms: JWKS_ALGORITHMS,
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: options.clockSkewS,
        }));
      } catch (error) {
        throw unauthenticated(error);
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') throw passerelleError('UNAUTHENTICATED', 'The bearer token names no subject (sub).');
      return payload as JWTPayload & { sub: string; exp: number };
    },
  };
}

function unauthenticated(error: unknown) {
  if (error instanceof errors.JWTExpired) return passerelleError('UNAUTHENTICATED', 'The bearer token has expired.');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return passerelleError('UNAUTHENTICATED', 'The bearer token has no expiry (exp): it is refused.');
    return passerelleError('UNAUTHENTICATED', `The bearer token's "${error.claim}" claim is not accepted here.`);
  }
  if (error instanceof errors.JWKSNoMatchingKey) return passerelleError('UNAUTHENTICATED', 'The bearer token is signed with a key this gateway does not know.');
  return passerelleError('UNAUTHENTICATED', 'The bearer token is invalid.');
}

/** A key set read from a file, re-read when the file changes; the last good set is kept if it turns bad. */
function fileKeySet(path: string): JWTVerifyGetKey {
  let stamp = '';
  let keys = parseKeySet(readStartupFile(path), path);
  let local = createLocalJWKSet(keys);

  async function refresh(): Promise<void> {
    try {
      const info = await stat(path);
      const current = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (current === stamp) return;
      keys = parseKeySet(await readFile(path, 'utf8'), path);
      local = createLocalJWKSet(keys);
      stamp = current;
    } catch {
      // A file being rewritten, or broken, must not lock everyone out: keep the last good set.
    }
  }
  void refresh();

  return async (header, token) => {
    await refresh();
    return local(header, token);
  };
}

function readStartupFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`JWKS_PATH=${JSON.stringify(path)} cannot be read: ${(error as Error).message}`);
  }
}

function parseKeySet(text: string, path: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`JWKS_PATH=${JSON.stringify(path)} is not JSON.`);
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new ConfigError(`JWKS_PATH=${JSON.stringify(path)} is not a JSON Web Key Set ({"keys": [...]}).`);
  }
  return parsed as JSONWebKeySet;
}
