/**
 * Authentication: bearer tokens (here Passerelle's own HS256 ones, AUTH_SECRET) from the HTTP
 * header, graphql-ws connectionParams or the SSE request. No token is anonymous; a bad or expired
 * token is refused with UNAUTHENTICATED (HTTP 401, close 4401); every subgraph learns who calls
 * from an identity the gateway signs, never from the caller's token; a stream whose credentials
 * expire is closed with the "credentials expired" code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { endingCodes, gatewayCounts, signToken, subscribeSse, subscribeWs, waitFor } from '../harness/streams.ts';
import { CloseCode } from '../../gateway/stream/index.ts';

const SECRET = 'toy-federation-secret-for-tests-only';
const REVIEW_ADDED = 'subscription ($productId: ID!) { reviewAdded(productId: $productId) { stars product { name } } }';

let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation({ AUTH_SECRET: SECRET });
});
afterAll(() => toy?.stop());

describe('HTTP', () => {
  it('serves a request without a token as anonymous', async () => {
    const result = await graphql(toy.gatewayUrl, '{ product(id: "1") { name } }');
    expect(result.body).toEqual({ data: { product: { name: 'Table' } } });
  });

  it('refuses an invalid, a foreign-signed or an expired token with 401 UNAUTHENTICATED', async () => {
    const tokens = [
      'not-a-jwt',
      await signToken('another-secret', { sub: 'user-1' }),
      await signToken(SECRET, { sub: 'user-1', expiresAt: Date.now() - 60_000 }),
    ];
    for (const token of tokens) {
      const result = await graphql(toy.gatewayUrl, '{ product(id: "1") { name } }', undefined, { headers: { authorization: `Bearer ${token}` } });
      expect(result.status).toBe(401);
      expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
      expect(result.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('refuses an authorization header that is not a bearer token', async () => {
    const result = await graphql(toy.gatewayUrl, '{ product(id: "1") { name } }', undefined, { headers: { authorization: 'Basic dXNlcjpwdw==' } });
    expect(result.status).toBe(401);
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
  });

  it('tells every subgraph a query reaches who calls, signed by the gateway, and never forwards the token', async () => {
    const token = await signToken(SECRET, { sub: 'citizen:user-2', scope: 'reviews:read' });
    toy.authorizations.http.length = 0;
    toy.identities.http.length = 0;
    const result = await graphql(toy.gatewayUrl, '{ product(id: "1") { name reviews { stars } } }', undefined, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(result.body.errors).toBeUndefined();
    expect(toy.authorizations.http).toEqual([undefined, undefined]);
    expect(toy.identities.http).toEqual([
      expect.objectContaining({ subject: 'citizen:user-2', kind: 'citizen', scopes: ['reviews:read'] }),
      expect.objectContaining({ subject: 'citizen:user-2', kind: 'citizen', scopes: ['reviews:read'] }),
    ]);
  });

  it('signs anonymous calls too (identity null in the subgraph)', async () => {
    toy.identities.http.length = 0;
    const result = await graphql(toy.gatewayUrl, '{ product(id: "1") { name } }');
    expect(result.body.errors).toBeUndefined();
    expect(toy.identities.http).toEqual([null]);
  });
});

describe('Connect', () => {
  it('closes a graphql-ws connection with an invalid token with 4401 at connection_init', async () => {
    const client = subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '1' }, authorization: 'Bearer not-a-jwt' });
    await waitFor(() => client.closeCode !== undefined, 'the socket to close');
    expect(client.closeCode).toBe(CloseCode.Unauthorized);
    expect(client.closeCode).toBe(4401);
    expect(toy.upstreamSubscriptions()).toBe(0);
    client.dispose();
  });

  it('answers an SSE request with an invalid token with HTTP 401 UNAUTHENTICATED before any event', async () => {
    const response = await fetch(toy.gatewayUrl, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: 'Bearer not-a-jwt' },
      body: JSON.stringify({ query: REVIEW_ADDED, variables: { productId: '1' } }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('tells the subgraph who subscribes: a signed identity in graphql-ws connectionParams, and HTTP for the rest of the plan', async () => {
    const token = await signToken(SECRET, { sub: 'citizen:user-3' });
    toy.authorizations.http.length = 0;
    toy.authorizations.ws.length = 0;
    toy.identities.http.length = 0;
    toy.identities.ws.length = 0;
    const client = subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '2' }, authorization: `Bearer ${token}` });
    try {
      await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');
      toy.publishReview({ productId: '2', stars: 5 });
      await waitFor(() => client.results.length === 1, 'the event');
      expect(client.results[0]).toEqual({ data: { reviewAdded: { stars: 5, product: { name: 'Chair' } } } });
      expect(toy.authorizations.ws).toEqual([undefined]);
      expect(toy.authorizations.http).toEqual([undefined]);
      expect(toy.identities.ws).toEqual([expect.objectContaining({ subject: 'citizen:user-3', kind: 'citizen' })]);
      expect(toy.identities.http).toEqual([expect.objectContaining({ subject: 'citizen:user-3', kind: 'citizen' })]);
    } finally {
      client.dispose();
    }
    await waitFor(() => toy.upstreamSubscriptions() === 0, 'the upstream subscription to end');
  });

  it('does not share an upstream subscription between different credentials', async () => {
    const [alice, bob] = await Promise.all([signToken(SECRET, { sub: 'alice' }), signToken(SECRET, { sub: 'bob' })]);
    const clients = [alice, bob, undefined].map((token) =>
      subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '3' }, authorization: token && `Bearer ${token}` }),
    );
    try {
      await waitFor(() => toy.upstreamSubscriptions() === 3, 'three upstream subscriptions');
      expect(await gatewayCounts(toy.gatewayUrl)).toEqual({ upstream: 3, subscribers: 3 });
    } finally {
      for (const client of clients) client.dispose();
    }
    await waitFor(() => toy.upstreamSubscriptions() === 0, 'the upstream subscriptions to end');
  });

  it('carries one caller’s upstream subscriptions over one socket, and never another caller’s', async () => {
    const [alice, bob] = await Promise.all([signToken(SECRET, { sub: 'alice' }), signToken(SECRET, { sub: 'bob' })]);
    toy.identities.ws.length = 0;
    const subscriptions = [
      [alice, '1'],
      [alice, '2'],
      [alice, '3'],
      [bob, '2'],
    ] as const;
    const clients = subscriptions.map(([token, productId]) =>
      subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId }, authorization: `Bearer ${token}` }),
    );
    try {
      await waitFor(() => toy.upstreamSubscriptions() === 4, 'four upstream subscriptions');
      expect(await gatewayCounts(toy.gatewayUrl)).toEqual({ upstream: 4, subscribers: 4 });
      // One graphql-ws connection (one connection_init) per caller, not per subscription.
      expect(toy.identities.ws.map((caller) => caller?.subject).sort()).toEqual(['alice', 'bob']);
      toy.publishReview({ productId: '2', stars: 3 });
      await waitFor(() => clients[1]!.results.length === 1 && clients[3]!.results.length === 1, 'the event on both sockets');
      expect(clients[0]!.results).toEqual([]);
    } finally {
      for (const client of clients) client.dispose();
    }
    await waitFor(() => toy.upstreamSubscriptions() === 0, 'the upstream subscriptions to end');
  });
});

describe('Expiry', () => {
  it('closes a graphql-ws connection whose credentials expire mid-stream with 4011', async () => {
    const token = await signToken(SECRET, { sub: 'user-4', expiresAt: Date.now() + 3_000 });
    const client = subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '1' }, authorization: `Bearer ${token}` });
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');
    toy.publishReview({ productId: '1', stars: 4 });
    await waitFor(() => client.results.length === 1, 'an event before expiry');
    await waitFor(() => client.closeCode !== undefined, 'the expiry close');
    expect(client.closeCode).toBe(CloseCode.CredentialsExpired);
    expect(client.closeCode).toBe(4011);
    await waitFor(() => toy.upstreamSubscriptions() === 0, 'the upstream subscription to end');
    expect(await gatewayCounts(toy.gatewayUrl)).toEqual({ upstream: 0, subscribers: 0 });
    client.dispose();
  });

  it('ends an SSE stream whose credentials expire with a CREDENTIALS_EXPIRED error, then complete', async () => {
    const token = await signToken(SECRET, { sub: 'user-5', expiresAt: Date.now() + 3_000 });
    const client = subscribeSse(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '1' }, authorization: `Bearer ${token}` });
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');
    toy.publishReview({ productId: '1', stars: 3 });
    await waitFor(() => client.completed, 'the stream to end');
    expect(client.results[0]).toEqual({ data: { reviewAdded: { stars: 3, product: { name: 'Table' } } } });
    expect(endingCodes(client)).toEqual(['CREDENTIALS_EXPIRED']);
    await waitFor(() => toy.upstreamSubscriptions() === 0, 'the upstream subscription to end');
    client.dispose();
  });
});
