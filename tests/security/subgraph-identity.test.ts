/**
 * Subgraphs accept only the gateway (issue 7, attack 9): every /graphql call must carry an identity
 * signed with GATEWAY_SECRET; a direct caller without one, or with an expired, tampered or
 * foreign-signed one, or with a mere bearer token, gets HTTP 401 UNAUTHENTICATED before any
 * resolver runs — over HTTP and over graphql-ws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { IDENTITY_HEADER, identityKey, signIdentity } from '../../common/identity.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { signToken, waitFor } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

const GATEWAY_SECRET = 'subgraph-identity-test-gateway-secret-0123';
const QUERY = '{ product(id: "1") { name } }';
const AGENT = { id: 'agent:AG0001', kind: 'agent' as const, scopes: ['agent'] };

let toy: ToyFederation;
let key: Uint8Array;
beforeAll(async () => {
  toy = await startToyFederation({ GATEWAY_SECRET });
  key = identityKey(GATEWAY_SECRET);
});
afterAll(() => toy?.stop());

const direct = (headers: Record<string, string>) => graphql(toy.products.url, QUERY, undefined, { headers });

describe('HTTP', () => {
  it('answers a call signed by the gateway, and hands the resolvers who calls', async () => {
    toy.identities.http.length = 0;
    const result = await direct({ [IDENTITY_HEADER]: signIdentity(key, AGENT).token });
    expect(result.body).toEqual({ data: { product: { name: 'Table' } } });
    expect(toy.identities.http).toEqual([{ subject: 'agent:AG0001', kind: 'agent', scopes: ['agent'], expiresAt: null }]);
  });

  it('refuses a call without, with an expired, tampered or foreign-signed identity, or with a bearer token, with 401 UNAUTHENTICATED', async () => {
    const valid = signIdentity(key, AGENT).token;
    const [header, payload, signature] = valid.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'agent operator' })).toString('base64url')}.${signature}`;
    const cases: Record<string, Record<string, string>> = {
      none: {},
      expired: { [IDENTITY_HEADER]: signIdentity(key, AGENT, Date.now() - 120_000).token },
      tampered: { [IDENTITY_HEADER]: tampered },
      'foreign key': { [IDENTITY_HEADER]: signIdentity(identityKey('another-secret-of-at-least-32-chars!!'), AGENT).token },
      'development key': { [IDENTITY_HEADER]: signIdentity(identityKey('passerelle-dev-gateway-secret-change-me-01234'), AGENT).token },
      garbage: { [IDENTITY_HEADER]: 'not-a-token' },
      'bearer token only': { authorization: `Bearer ${await signToken(GATEWAY_SECRET, { sub: 'agent:AG0001', scope: 'agent' })}` },
    };
    toy.identities.http.length = 0;
    for (const [name, headers] of Object.entries(cases)) {
      const result = await direct(headers);
      expect(result.status, name).toBe(401);
      expect(errorCodes(result), name).toEqual(['UNAUTHENTICATED']);
      expect(result.body.data, name).toBeUndefined();
    }
    // No resolver, not even the context factory, ran for any of them.
    expect(toy.identities.http).toEqual([]);
  });

  it('refuses before reading the body: a large unsigned body costs the subgraph nothing', async () => {
    const response = await fetch(toy.products.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, padding: 'x'.repeat(5_000_000) }),
    });
    expect(response.status).toBe(401);
  });

  it('keeps /health open', async () => {
    const response = await fetch(toy.products.url.replace(/\/graphql$/, '/health'));
    expect(response.status).toBe(200);
  });

  it('the gateway signs every fetch, so callers through it are served', async () => {
    const result = await graphql(toy.gatewayUrl, '{ product(id: "1") { name reviews { stars } } }');
    expect(result.body.errors).toBeUndefined();
  });
});

describe('graphql-ws', () => {
  const subscribe = (connectionParams: Record<string, unknown>) => {
    const outcome: { closeCode?: number; events: unknown[] } = { events: [] };
    const client = createClient({
      url: toy.reviews.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      on: { closed: (event) => void (outcome.closeCode = (event as { code: number }).code) },
    });
    client.subscribe({ query: 'subscription { reviewAdded(productId: "1") { stars } }' }, { next: (value) => void outcome.events.push(value), error: () => {}, complete: () => {} });
    return { outcome, dispose: () => client.dispose() };
  };

  it('closes a connection without a valid identity with 4401', async () => {
    for (const params of [{}, { identity: 'forged' }, { identity: signIdentity(key, AGENT, Date.now() - 120_000).token }, { authorization: 'Bearer x' }]) {
      const { outcome, dispose } = subscribe(params);
      await waitFor(() => outcome.closeCode !== undefined, 'the close');
      expect(outcome.closeCode).toBe(4401);
      dispose();
    }
    expect(toy.upstreamSubscriptions()).toBe(0);
  });

  it('serves a connection whose connectionParams.identity the gateway signed', async () => {
    const { outcome, dispose } = subscribe({ identity: signIdentity(key, AGENT).token });
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'the subscription');
    toy.publishReview({ productId: '1', stars: 5 });
    await waitFor(() => outcome.events.length === 1, 'the event');
    dispose();
    await waitFor(() => toy.upstreamSubscriptions() === 0, 'the end');
  });
});
