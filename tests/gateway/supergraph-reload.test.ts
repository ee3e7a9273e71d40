/**
 * A new supergraph keeps the subscriptions it can: each open subscription is planned again on it.
 * One still valid goes on without the client noticing — nothing lost, nothing twice, a moved field
 * now fetched from its new owner (the upstream re-subscribed from the last cursor); one using a
 * field the new supergraph removed ends with SUPERGRAPH_CHANGED and the reason, while the others
 * go on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graphql } from '../harness/graphql.ts';
import { startReloadableFederation, type ReloadableFederation } from '../harness/reloadable-federation.ts';
import { endingCodes, subscribeSse, subscribeWs, waitFor, type Recording } from '../harness/streams.ts';

const FOLLOW = `subscription Follow($productId: ID!) {
  reviewAdded(productId: $productId) { id body headline product { name } }
}`;
const WITH_STARS = `subscription Stars($productId: ID!) { reviewAdded(productId: $productId) { id stars body } }`;

let toy: ReloadableFederation;
const clients: Recording[] = [];

beforeEach(async () => {
  toy = await startReloadableFederation();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.dispose();
  await toy?.stop();
});

function follow(query: string, over = subscribeWs): Recording {
  const client = over(toy.gatewayUrl, { query, variables: { productId: '1' } });
  clients.push(client);
  return client;
}

type Review = { id: string; headline?: string; stars?: number };
const reviews = (client: Recording) => client.results.map((result) => (result.data as { reviewAdded: Review }).reviewAdded);
const ids = (client: Recording) => reviews(client).map((review) => review.id);

/** Polls a query until it answers without errors: the gateway has loaded the new supergraph. */
async function served(query: string, check: (data: Record<string, unknown>) => boolean = () => true): Promise<void> {
  await waitFor(async () => {
    const { body } = await graphql<Record<string, unknown>>(toy.gatewayUrl, query);
    return !body.errors && body.data !== undefined && check(body.data as Record<string, unknown>);
  }, `the gateway to serve ${query}`);
}

describe('A new supergraph', () => {
  it('that adds a field: the subscription goes on, nothing lost, nothing twice', async () => {
    const client = follow(FOLLOW);
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');
    const first = toy.publish('1', 'Before.');
    await waitFor(() => client.results.length === 1, 'the first event');

    toy.compose('adds');
    const during = toy.publish('1', 'During the reload.');
    await served('{ product(id: "1") { colour } }');
    const after = toy.publish('1', 'After.');
    await waitFor(() => client.results.length >= 3, 'the events around the reload');

    expect(ids(client)).toEqual([first, during, after]);
    expect(client.results.every((result) => result.errors === undefined)).toBe(true);
    expect(client.error).toBeUndefined();
    expect(client.completed).toBe(false);
    // The new field is there for a new subscriber.
    const newcomer = subscribeWs(toy.gatewayUrl, { query: 'subscription { reviewAdded(productId: "1") { id product { colour } } }' });
    clients.push(newcomer);
    await waitFor(() => toy.upstreamSubscriptions() === 2, 'the newcomer upstream');
    const last = toy.publish('1', 'For both.');
    await waitFor(() => newcomer.results.length === 1 && client.results.length === 4, 'the last event at both');
    expect(newcomer.results[0]).toEqual({ data: { reviewAdded: { id: last, product: { colour: 'oak' } } } });
  });

  it('that moves a field to another subgraph: the subscription goes on, the field now from its new owner', async () => {
    const client = follow(FOLLOW);
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');
    const first = toy.publish('1', 'Before.');
    await waitFor(() => client.results.length === 1, 'the first event');

    toy.compose('moves');
    const during = toy.publish('1', 'During the reload.');
    await served('{ topReview { headline } }', (data) => (data.topReview as Review).headline === 'from products');
    // The primary fetch changed (it no longer selects headline): re-subscribed once, from the last cursor received.
    await waitFor(() => toy.subscribedAfter.length === 2, 'the re-subscription');
    expect(toy.subscribedAfter[0]).toBeNull();
    expect(['1', '2']).toContain(toy.subscribedAfter[1]);
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'one upstream subscription');
    const after = toy.publish('1', 'After.');
    await waitFor(() => client.results.length >= 3, 'the events around the reload');

    expect(ids(client)).toEqual([first, during, after]);
    expect(reviews(client)[0]!.headline).toBe('from reviews');
    expect(reviews(client)[2]!.headline).toBe('from products');
    expect(client.error).toBeUndefined();
    expect(client.completed).toBe(false);
  });

  it('that removes a field a subscriber uses: that subscriber gets SUPERGRAPH_CHANGED and the reason, the others go on', async () => {
    const usesStars = follow(WITH_STARS);
    const usesStarsOverSse = follow(WITH_STARS, subscribeSse);
    const other = follow(FOLLOW);
    await waitFor(() => toy.upstreamSubscriptions() === 2, 'the upstream subscriptions (the two using stars share one)');
    const first = toy.publish('1', 'Before.');
    await waitFor(() => [usesStars, usesStarsOverSse, other].every((client) => client.results.length === 1), 'the first event everywhere');

    toy.compose('removes');
    await waitFor(() => usesStars.error !== undefined && usesStarsOverSse.completed, 'the subscribers using stars to be ended');
    expect(endingCodes(usesStars)).toEqual(['SUPERGRAPH_CHANGED']);
    expect(endingCodes(usesStarsOverSse)).toEqual(['SUPERGRAPH_CHANGED']);
    const [error] = usesStars.error as { message: string; extensions: Record<string, unknown> }[];
    expect(error!.message).toMatch(/no longer valid.*stars/);
    expect(error!.extensions).toMatchObject({ code: 'SUPERGRAPH_CHANGED', reason: 'GRAPHQL_VALIDATION_FAILED' });
    // Only the operation ended, with an `error` message: no close code from the gateway (the
    // client library itself closes its idle socket normally, 1000).
    expect(usesStars.closeCode ?? 1000).toBe(1000);

    const after = toy.publish('1', 'After.');
    await waitFor(() => other.results.length === 2, 'the next event for the subscriber not using stars');
    expect(ids(other)).toEqual([first, after]);
    expect(other.error).toBeUndefined();
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'the ended stream to leave the subgraph');
  });
});
