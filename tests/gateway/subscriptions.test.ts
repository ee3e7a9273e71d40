/**
 * Federated subscriptions: the primary fetch streams from the subgraph that owns the field over
 * graphql-ws, the rest of the plan runs across the other subgraphs for each event, identical
 * subscriptions share one upstream subscription, and a failing upstream ends client streams with
 * a catalogue error — over graphql-ws and over SSE alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { endingCodes, gatewayCounts, subscribeSse, subscribeWs, waitFor, type Recording } from '../harness/streams.ts';

const REVIEW_ADDED = `subscription OnReview($productId: ID!) {
  reviewAdded(productId: $productId) { stars body product { name priceCents shippingCents } }
}`;

let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation();
});
afterAll(() => toy?.stop());

const transports = [
  ['graphql-ws', subscribeWs],
  ['SSE', subscribeSse],
] as const;

async function idle(): Promise<void> {
  await waitFor(async () => toy.upstreamSubscriptions() === 0, 'the subgraph to serve no subscription');
  await waitFor(async () => (await gatewayCounts(toy.gatewayUrl)).upstream === 0, 'the gateway to hold no upstream subscription');
}

describe('Subscribe', () => {
  for (const [transport, subscribe] of transports) {
    it(`delivers each event whole over ${transport}: the rest of the plan runs on the other subgraphs`, async () => {
      const client = subscribe(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '1' } });
      try {
        await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');
        toy.publishReview({ productId: '1', stars: 4, body: 'Sturdy.' });
        toy.publishReview({ productId: '2', stars: 1, body: 'Not this product.' });
        toy.publishReview({ productId: '1', stars: 2, body: 'Wobbly.' });
        await waitFor(() => client.results.length === 2, 'two events');
        const table = { name: 'Table', priceCents: 9900, shippingCents: 1700 };
        expect(client.results).toEqual([
          { data: { reviewAdded: { stars: 4, body: 'Sturdy.', product: table } } },
          { data: { reviewAdded: { stars: 2, body: 'Wobbly.', product: table } } },
        ]);
      } finally {
        client.dispose();
      }
      await idle();
    });

    it(`runs queries over ${transport} too, and completes them`, async () => {
      const client = subscribe(toy.gatewayUrl, { query: '{ product(id: "2") { name reviews { stars } } }' });
      await waitFor(() => client.completed, 'the query to complete');
      expect(client.results).toEqual([{ data: { product: { name: 'Chair', reviews: [{ stars: 4 }] } } }]);
      client.dispose();
    });

    it(`answers an invalid subscription over ${transport} with GRAPHQL_VALIDATION_FAILED and opens nothing upstream`, async () => {
      const client = subscribe(toy.gatewayUrl, { query: 'subscription { reviewAdded(productId: "1") { colour } }' });
      await waitFor(() => client.error !== undefined || client.completed, 'the refusal');
      expect(endingCodes(client)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(toy.upstreamSubscriptions()).toBe(0);
      client.dispose();
    });
  }
});

describe('Transport', () => {
  it('refuses a subscription POSTed as a plain JSON request with BAD_REQUEST naming the streaming transports', async () => {
    const result = await graphql(toy.gatewayUrl, REVIEW_ADDED, { productId: '1' });
    expect(result.status).toBe(400);
    expect(errorCodes(result)).toEqual(['BAD_REQUEST']);
    expect(result.body.errors?.[0]?.message).toMatch(/graphql-ws.*SSE/);
  });

  it('serves SSE on /graphql/stream whatever the Accept header says', async () => {
    // A GET must carry a preflight header (CSRF prevention, tests/security/csrf.test.ts).
    const response = await fetch(`${toy.gatewayUrl}/stream?query=${encodeURIComponent('{ product(id: "3") { name } }')}`, {
      headers: { 'graphql-preflight': '1' },
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await response.text()).toBe('event: next\ndata: {"data":{"product":{"name":"Lamp"}}}\n\nevent: complete\ndata:\n\n');
  });
});

describe('Share', () => {
  it('serves identical subscriptions (any transport) from one upstream subscription, completed when the last client leaves', async () => {
    const clients: Recording[] = [
      subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '3' } }),
      subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '3' } }),
      subscribeSse(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '3' } }),
    ];
    await waitFor(async () => (await gatewayCounts(toy.gatewayUrl)).subscribers === 3, 'three subscribers');
    expect(await gatewayCounts(toy.gatewayUrl)).toEqual({ upstream: 1, subscribers: 3 });
    expect(toy.upstreamSubscriptions()).toBe(1);

    expect(toy.publishReview({ productId: '3', stars: 5, body: 'Bright.' })).toBe(1);
    await waitFor(() => clients.every((client) => client.results.length === 1), 'the event at every client');
    for (const client of clients) {
      expect(client.results[0]).toEqual({
        data: { reviewAdded: { stars: 5, body: 'Bright.', product: { name: 'Lamp', priceCents: 1900, shippingCents: 600 } } },
      });
    }

    clients[0]!.dispose();
    await waitFor(async () => (await gatewayCounts(toy.gatewayUrl)).subscribers === 2, 'one subscriber fewer');
    expect(toy.upstreamSubscriptions()).toBe(1);

    for (const client of clients.slice(1)) client.dispose();
    await idle();
    expect(await gatewayCounts(toy.gatewayUrl)).toEqual({ upstream: 0, subscribers: 0 });
  });

  it('gives subscriptions with different variables their own upstream subscriptions', async () => {
    const one = subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '1' } });
    const two = subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '2' } });
    try {
      await waitFor(() => toy.upstreamSubscriptions() === 2, 'two upstream subscriptions');
      expect(await gatewayCounts(toy.gatewayUrl)).toEqual({ upstream: 2, subscribers: 2 });
      toy.publishReview({ productId: '2', stars: 3, body: 'Fine.' });
      await waitFor(() => two.results.length === 1, 'the event for product 2');
      expect(one.results).toEqual([]);
    } finally {
      one.dispose();
      two.dispose();
    }
    await idle();
  });
});

describe('Upstream failure', () => {
  it('ends every client stream with SUBGRAPH_UNAVAILABLE naming the subgraph when the subgraph dies, and leaks nothing', async () => {
    const overWs = subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '1' } });
    const overSse = subscribeSse(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '1' } });
    await waitFor(async () => (await gatewayCounts(toy.gatewayUrl)).subscribers === 2, 'two subscribers');
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');

    toy.killReviewsSockets();
    await waitFor(() => overWs.error !== undefined && overSse.completed, 'both streams to end');
    for (const client of [overWs, overSse]) {
      expect(endingCodes(client)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    }
    expect((overWs.error as { extensions: unknown }[])[0]!.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'reviews' });
    expect(overSse.results.at(-1)!.errors![0]!.extensions).toMatchObject({ subgraph: 'reviews' });
    expect(JSON.stringify([overWs.error, overSse.results])).not.toContain('stacktrace');
    await waitFor(async () => (await gatewayCounts(toy.gatewayUrl)).subscribers === 0, 'no subscriber left');
    expect(await gatewayCounts(toy.gatewayUrl)).toEqual({ upstream: 0, subscribers: 0 });
    overWs.dispose();
    overSse.dispose();
  });
});
