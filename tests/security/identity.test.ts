/**
 * Identities (issue 7, attack 4): users' and agents' JWTs verified against a JWKS (file or URL,
 * RS256/ES256, iss/aud/exp checked), Passerelle's own HS256 tokens, and the secrets' rules. Every
 * credential that does not verify — forged, expired, without exp, `alg: none`, wrong iss or aud —
 * is refused with UNAUTHENTICATED, and production refuses unsafe secrets at start-up.
 */
import { createServer, type Server } from 'node:http';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { gatewayEnv, geoSubgraphEnv, insightsSubgraphEnv, lyceesSubgraphEnv, requestsSubgraphEnv } from '../../common/config.ts';
import { ConfigError, configWarnings, readEnv } from '../../common/env.ts';
import { createAuthenticator, createJwksVerifier } from '../../gateway/authenticate/index.ts';
import { authenticationFromConfig } from '../../gateway/plugins/index.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { signToken } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

const SECRET = 'identity-test-secret-0123456789-abcdef';
const ISSUER = 'https://idp.region.example';
const AUDIENCE = 'passerelle';
const QUERY = '{ product(id: "1") { name } }';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: Key;
  jwk: JWK;
}

async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const keySet = (...keys: SigningKey[]) => JSON.stringify({ keys: keys.map((key) => key.jwk) });

interface Claims {
  sub?: string;
  scope?: string;
  kind?: string;
  iss?: string;
  aud?: string;
  /** Seconds from now; null: no exp at all. */
  expiresIn?: number | null;
}

async function jwt(key: SigningKey, claims: Claims = {}, kid = key.kid): Promise<string> {
  const { sub = 'citizen:alice', iss = ISSUER, aud = AUDIENCE, expiresIn = 600, ...rest } = claims;
  const builder = new SignJWT({ ...rest }).setProtectedHeader({ alg: key.alg, kid }).setSubject(sub).setIssuer(iss).setAudience(aud).setIssuedAt();
  if (expiresIn !== null) builder.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn);
  return builder.sign(key.privateKey);
}

/** An unsigned token (`alg: none`), as an attacker writes it by hand. */
function unsigned(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

const call = (toy: ToyFederation, token: string) => graphql(toy.gatewayUrl, QUERY, undefined, { headers: { authorization: `Bearer ${token}` } });

let es: SigningKey;
let rs: SigningKey;
let intruder: SigningKey;
let jwksPath: string;
let toy: ToyFederation;

beforeAll(async () => {
  [es, rs, intruder] = await Promise.all([signingKey('es-1', 'ES256'), signingKey('rs-1', 'RS256'), signingKey('es-1', 'ES256')]);
  jwksPath = join(mkdtempSync(join(tmpdir(), 'passerelle-jwks-')), 'jwks.json');
  writeFileSync(jwksPath, keySet(es, rs));
  toy = await startToyFederation({ AUTH_SECRET: SECRET, JWKS_PATH: jwksPath, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
});
afterAll(() => toy?.stop());

describe('JWKS tokens (file)', () => {
  it('accepts ES256 and RS256 tokens of the key set, and tells the subgraph who calls', async () => {
    toy.identities.http.length = 0;
    const citizen = await call(toy, await jwt(es, { sub: 'citizen:alice', kind: 'user' }));
    const agent = await call(toy, await jwt(rs, { sub: 'agent:AG0001', scope: 'agent' }));
    const operator = await call(toy, await jwt(rs, { sub: 'ops:bob', scope: 'operator metrics' }));
    for (const result of [citizen, agent, operator]) expect(result.body).toEqual({ data: { product: { name: 'Table' } } });
    expect(toy.identities.http).toEqual([
      expect.objectContaining({ subject: 'citizen:alice', kind: 'citizen', scopes: [] }),
      expect.objectContaining({ subject: 'agent:AG0001', kind: 'agent', scopes: ['agent'] }),
      expect.objectContaining({ subject: 'ops:bob', kind: 'operator', scopes: ['operator', 'metrics'] }),
    ]);
  });

  it('makes an agent of `kind: agent` only for an agent:<matricule> subject', async () => {
    toy.identities.http.length = 0;
    await call(toy, await jwt(es, { sub: 'agent:AG0002', kind: 'agent' }));
    await call(toy, await jwt(es, { sub: 'mallory', kind: 'agent' }));
    expect(toy.identities.http.map((caller) => caller?.kind)).toEqual(['agent', 'citizen']);
  });

  it('refuses forged, expired, exp-less, unsigned, wrong-issuer and wrong-audience tokens with 401 UNAUTHENTICATED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const refused = {
      forged: await jwt(intruder, {}),
      expired: await jwt(es, { expiresIn: -120 }),
      'no exp': await jwt(es, { expiresIn: null }),
      'alg none': unsigned({ sub: 'agent:AG0001', scope: 'agent', iss: ISSUER, aud: AUDIENCE, exp: now + 600 }),
      'wrong issuer': await jwt(es, { iss: 'https://evil.example' }),
      'wrong audience': await jwt(es, { aud: 'another-api' }),
      'unknown key': await jwt(es, {}, 'no-such-kid'),
      'HS256 forged': await signToken('not-the-secret-but-long-enough-0123456789', { sub: 'agent:AG0001', scope: 'agent' }),
      'HS512': await new SignJWT({ scope: 'agent' }).setProtectedHeader({ alg: 'HS512' }).setSubject('agent:AG0001').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET)),
      'HS256 no exp': await new SignJWT({ scope: 'agent' }).setProtectedHeader({ alg: 'HS256' }).setSubject('agent:AG0001').sign(new TextEncoder().encode(SECRET)),
      'not a JWT': 'abc.def',
    };
    for (const [name, token] of Object.entries(refused)) {
      const result = await call(toy, token);
      expect(result.status, name).toBe(401);
      expect(errorCodes(result), name).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('tolerates the configured clock skew, not more', async () => {
    expect((await call(toy, await jwt(es, { expiresIn: -10 }))).status).toBe(200);
    expect((await call(toy, await jwt(es, { expiresIn: -31 }))).status).toBe(401);
  });

  it('re-reads the key set file when it changes: a rotated key works, a removed one no longer does', async () => {
    const next = await signingKey('es-2', 'ES256');
    writeFileSync(jwksPath, keySet(next, rs));
    expect((await call(toy, await jwt(next))).status).toBe(200);
    expect((await call(toy, await jwt(es))).status).toBe(401);
    writeFileSync(jwksPath, keySet(es, rs));
  });
});

describe('JWKS tokens (URL)', () => {
  let server: Server;
  let served = '';
  let fetches = 0;
  let url = '';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(served);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches the key set once, caches it, and picks up a rotated key (new kid) on its first use', async () => {
    const first = await signingKey('url-1', 'RS256');
    const second = await signingKey('url-2', 'ES256');
    served = keySet(first);
    const verifier = createJwksVerifier({ url, issuer: ISSUER, audience: AUDIENCE, clockSkewS: 30, cooldownMs: 0 });
    expect((await verifier.verify(await jwt(first, { sub: 'citizen:a' }))).sub).toBe('citizen:a');
    expect((await verifier.verify(await jwt(first, { sub: 'citizen:b' }))).sub).toBe('citizen:b');
    expect(fetches).toBe(1);
    served = keySet(second);
    expect((await verifier.verify(await jwt(second, { sub: 'citizen:c' }))).sub).toBe('citizen:c');
    expect(fetches).toBe(2);
    await expect(verifier.verify(await jwt(second, { aud: 'other' }))).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await expect(verifier.verify(await jwt(intruder))).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });
});

describe("Passerelle's own HS256 tokens", () => {
  const request = (authorization: string) => ({ method: 'POST', path: '/graphql', headers: { authorization }, remoteAddress: '10.0.0.1' });

  it('in development: agents (npm run token) and tracking tokens', async () => {
    const authenticate = createAuthenticator({ authSecret: SECRET, production: false, clockSkewS: 30 });
    const agent = await authenticate(request(`Bearer ${await signToken(SECRET, { sub: 'agent:AG0001', scope: 'agent', kind: 'agent' })}`));
    expect(agent).toMatchObject({ id: 'agent:AG0001', kind: 'agent', scopes: ['agent'], remoteAddress: '10.0.0.1' });
  });

  it('in production: tracking tokens only (sub citizen:<ref>, scopes track:<ref>)', async () => {
    const authenticate = createAuthenticator({ authSecret: SECRET, production: true, clockSkewS: 30 });
    const tracking = await signToken(SECRET, { sub: 'citizen:IDF-2026-000001', scope: 'track:IDF-2026-000001', kind: 'citizen' });
    expect(await authenticate(request(`Bearer ${tracking}`))).toMatchObject({ id: 'citizen:IDF-2026-000001', kind: 'citizen', scopes: ['track:IDF-2026-000001'] });
    for (const claims of [
      { sub: 'agent:AG0001', scope: 'agent', kind: 'agent' },
      { sub: 'citizen:IDF-2026-000001', scope: 'track:IDF-2026-000002' },
      { sub: 'citizen:IDF-2026-000001', scope: 'track:IDF-2026-000001 operator' },
    ]) {
      await expect(authenticate(request(`Bearer ${await signToken(SECRET, claims)}`))).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    }
  });

  it('without credentials: anonymous, identified by address', async () => {
    const authenticate = createAuthenticator({ authSecret: SECRET, production: false, clockSkewS: 30 });
    expect(await authenticate({ method: 'GET', path: '/graphql', headers: {}, remoteAddress: '10.0.0.9' })).toEqual({ id: 'ip:10.0.0.9', kind: 'anonymous', scopes: [], remoteAddress: '10.0.0.9' });
  });
});

describe('Secrets at start-up', () => {
  const sections = { gatewayEnv, geoSubgraphEnv, lyceesSubgraphEnv, requestsSubgraphEnv, insightsSubgraphEnv };
  const good = { AUTH_SECRET: 'a'.repeat(40), GATEWAY_SECRET: 'g'.repeat(40), METRICS_TOKEN: 'm'.repeat(40) };
  const refusal = (spec: Parameters<typeof readEnv>[0], env: Record<string, string>): string => {
    try {
      readEnv(spec, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    return '';
  };

  it('development works with zero configuration, and says it runs with development secrets', () => {
    for (const spec of Object.values(sections)) expect(() => readEnv(spec, {})).not.toThrow();
    expect(configWarnings(gatewayEnv, {}).join('\n')).toMatch(/AUTH_SECRET.*development mode with development secrets/);
    expect(configWarnings(gatewayEnv, good)).toEqual([]);
  });

  it('production refuses unset secrets in the gateway and every subgraph, naming each variable', () => {
    for (const [name, spec] of Object.entries(sections)) {
      const message = refusal(spec, { NODE_ENV: 'production' });
      expect(message, name).toContain('GATEWAY_SECRET is not set');
      if ('authSecret' in spec) expect(message, name).toContain('AUTH_SECRET is not set');
    }
  });

  it('production refuses the documented defaults', () => {
    const defaults = { AUTH_SECRET: gatewayEnv.authSecret.defaultText, GATEWAY_SECRET: gatewayEnv.gatewaySecret.defaultText };
    const message = refusal(gatewayEnv, { NODE_ENV: 'production', ...defaults });
    expect(message).toMatch(/AUTH_SECRET is the documented development default/);
    expect(message).toMatch(/GATEWAY_SECRET is the documented development default/);
    expect(refusal(gatewayEnv, { NODE_ENV: 'production', ...good })).toBe('');
  });

  it('every mode refuses an empty or short secret (31 characters refused, 32 accepted)', () => {
    for (const mode of ['development', 'test', 'production']) {
      expect(refusal(requestsSubgraphEnv, { NODE_ENV: mode, ...good, AUTH_SECRET: '' })).toMatch(/AUTH_SECRET is set but empty/);
      expect(refusal(geoSubgraphEnv, { NODE_ENV: mode, ...good, GATEWAY_SECRET: 'x' })).toMatch(/GATEWAY_SECRET is too short \(1 characters\)/);
      expect(refusal(gatewayEnv, { NODE_ENV: mode, ...good, AUTH_SECRET: 'x'.repeat(31) })).toMatch(/AUTH_SECRET is too short/);
      expect(refusal(gatewayEnv, { NODE_ENV: mode, ...good, AUTH_SECRET: 'x'.repeat(32) })).toBe('');
    }
  });

  it('a JWKS without JWT_ISSUER and JWT_AUDIENCE is refused', () => {
    const config = readEnv(gatewayEnv, { JWKS_URL: 'https://idp.example/jwks.json' });
    expect(() => authenticationFromConfig(config)).toThrow(/JWT_ISSUER and JWT_AUDIENCE must be set when JWKS_URL is/);
  });

  it('npm run token applies the same rules (and refuses to run in production)', () => {
    const run = (env: Record<string, string>) =>
      spawnSync('npx', ['tsx', 'scripts/token.ts', '--agent', 'AG0001'], { env: { ...process.env, NODE_ENV: 'development', ...env }, encoding: 'utf8' });
    const empty = run({ AUTH_SECRET: '' });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/AUTH_SECRET is set but empty/);
    const production = run({ NODE_ENV: 'production', AUTH_SECRET: 'p'.repeat(40) });
    expect(production.status).toBe(2);
    expect(production.stderr).toMatch(/for development/);
  });
});
