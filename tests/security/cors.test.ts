/**
 * CORS allow-list (CORS_ORIGINS): preflights answered for listed origins only, Access-Control-Allow-Origin
 * only for them, and a cross-origin request from anywhere else refused where it would run
 * (ORIGIN_NOT_ALLOWED, 403) — WebSocket upgrades included. Loopback pages are allowed outside production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createCorsPolicy } from '../../gateway/receive/index.ts';
import { wsUrl } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

const LISTED = 'https://portail.example.fr';
const OTHER = 'https://evil.example';
const body = JSON.stringify({ query: '{ product(id: "1") { name } }' });
let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation({ CORS_ORIGINS: `${LISTED}, https://partner.example:8443`, RATE_LIMIT_ANONYMOUS: '0' });
});
afterAll(async () => {
  await toy?.stop();
});

const post = (origin?: string) =>
  fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body });
const preflight = (origin: string) =>
  fetch(toy.gatewayUrl, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });

describe('Preflight', () => {
  it('answers a listed origin with the methods, headers and its origin', async () => {
    const response = await preflight(LISTED);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-allow-headers')).toContain('x-api-key');
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('refuses an origin that is not listed, without any Access-Control header', async () => {
    const response = await preflight(OTHER);
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('Requests', () => {
  it('runs a listed origin’s request and lets it read the answer and the rate-limit headers', async () => {
    const response = await post(LISTED);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(response.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining');
  });

  it('refuses an unlisted origin’s request before it runs: ORIGIN_NOT_ALLOWED, 403', async () => {
    for (const origin of [OTHER, 'null', 'https://portail.example.fr.evil.example']) {
      const response = await post(origin);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('ORIGIN_NOT_ALLOWED');
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('serves requests without Origin (servers, curl) and same-origin ones', async () => {
    expect((await post()).status).toBe(200);
    expect((await post(new URL(toy.gatewayUrl).origin)).status).toBe(200);
  });

  it('allows loopback pages outside production (a front-end dev server)', async () => {
    expect((await post('http://localhost:5173')).status).toBe(200);
  });

  it('refuses a WebSocket upgrade from an unlisted origin (cross-site WebSocket hijacking)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(wsUrl(toy.gatewayUrl), 'graphql-transport-ws', { origin: OTHER });
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => reject(new Error('the upgrade was accepted')));
      socket.on('error', () => {});
    });
    expect(status).toBe(403);
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = new WebSocket(wsUrl(toy.gatewayUrl), 'graphql-transport-ws', { origin: LISTED });
      socket.on('open', () => {
        socket.close();
        resolve(true);
      });
      socket.on('unexpected-response', () => resolve(false));
    });
    expect(accepted).toBe(true);
  });
});

describe('Policy in production', () => {
  it('allows no loopback page unless listed', () => {
    const policy = createCorsPolicy({ origins: [LISTED], nodeEnv: 'production' });
    expect(policy.admits({ origin: 'http://localhost:5173', host: 'api.example.fr' })).toBe(false);
    expect(policy.admits({ origin: LISTED, host: 'api.example.fr' })).toBe(true);
    expect(policy.admits({ origin: 'https://api.example.fr', host: 'api.example.fr' })).toBe(true);
    expect(createCorsPolicy({ origins: [], nodeEnv: 'production' }).admits({ origin: OTHER, host: 'api.example.fr' })).toBe(false);
  });
});
