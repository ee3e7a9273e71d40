/**
 * Rule: a slow subgraph opens its own circuit breaker; while open, its fields fail at once with
 * SUBGRAPH_UNAVAILABLE naming it (the subgraph is not even called) and the other subgraph's data
 * comes back; once healthy again, a half-open probe closes the breaker. /health/ready says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { graphql } from '../harness/graphql.ts';
import { waitFor } from '../harness/streams.ts';

const QUERY = '{ products { id name reviews { stars } } }';

describe('Circuit breaker per subgraph', () => {
  let toy: ToyFederation;
  beforeAll(async () => {
    toy = await startToyFederation({
      SUBGRAPH_TIMEOUT_MS: '150',
      BREAKER_FAILURE_RATIO: '0.5',
      BREAKER_MIN_REQUESTS: '3',
      BREAKER_HALF_OPEN_AFTER_MS: '1000',
      RATE_LIMIT_ANONYMOUS: '0',
    });
  });
  afterAll(async () => {
    toy.setReviewsDelay(0);
    await toy.stop();
  });

  const ready = async () => {
    const response = await fetch(toy.gatewayUrl.replace('/graphql', '/health/ready'));
    return { status: response.status, body: (await response.json()) as { down: string[]; subgraphs: Record<string, { breaker: string }> } };
  };

  it('opens after the threshold, fails the slow subgraph at once, keeps the other, and closes again', async () => {
    expect((await ready()).status).toBe(200);
    toy.setReviewsDelay(2_000);
    for (let i = 0; i < 3; i++) {
      const result = await graphql(toy.gatewayUrl, QUERY);
      expect(result.body.errors?.[0]?.extensions?.code).toBe('GATEWAY_TIMEOUT');
    }
    const callsWhenOpened = toy.reviewsEntityCalls();

    const refused = await graphql<{ products: { name: string; reviews: unknown }[] }>(toy.gatewayUrl, QUERY);
    expect(refused.body.data?.products.map((p) => p.name)).toEqual(['Table', 'Chair', 'Lamp']);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'reviews', reason: 'breaker-open' });
    expect(toy.reviewsEntityCalls()).toBe(callsWhenOpened);
    const report = await ready();
    expect(report.status).toBe(503);
    expect(report.body.down).toEqual(['reviews']);
    expect(report.body.subgraphs.reviews.breaker).toBe('open');

    // Healthy again: after BREAKER_HALF_OPEN_AFTER_MS one query is the probe, and it closes the breaker.
    toy.setReviewsDelay(0);
    await waitFor(async () => {
      const result = await graphql(toy.gatewayUrl, QUERY);
      return result.body.errors === undefined;
    }, 'the breaker to close', 15_000);
    expect(toy.reviewsEntityCalls()).toBeGreaterThan(callsWhenOpened);
    const after = await ready();
    expect(after.status).toBe(200);
    expect(after.body.subgraphs.reviews.breaker).toBe('closed');
  });
});
