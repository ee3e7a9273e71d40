/**
 * Rule: a slow subgraph holds only its own slots. With two fetches at once and one queued for the
 * reviews subgraph, a fourth is refused at once (SUBGRAPH_UNAVAILABLE, bulkhead-full), and a query
 * to the products subgraph completes while the slow ones are all still pending.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { graphql, type GraphQLResult } from '../harness/graphql.ts';

describe('Bulkhead per subgraph', () => {
  let toy: ToyFederation;
  beforeAll(async () => {
    // Identical queries would share one request (SUBGRAPH_DEDUP): these must each take a slot.
    toy = await startToyFederation({ SUBGRAPH_CONNECTIONS: '2', BULKHEAD_QUEUE: '1', BREAKER_FAILURE_RATIO: '1', RATE_LIMIT_ANONYMOUS: '0', SUBGRAPH_DEDUP: 'off' });
  });
  afterAll(async () => {
    toy.setReviewsDelay(0);
    await toy.stop();
  });

  it('keeps the fast subgraph answering while the slow one is full', async () => {
    toy.setReviewsDelay(3_000);
    let settled = 0;
    const slow: Promise<GraphQLResult>[] = [];
    for (let i = 0; i < 3; i++) {
      slow.push(graphql(toy.gatewayUrl, '{ topReview { stars } }').finally(() => (settled += 1)));
    }
    // Let the three reach the bulkhead (two running, one queued).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await graphql(toy.gatewayUrl, '{ topReview { stars } }');
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'reviews', reason: 'bulkhead-full' });

    const fast = await graphql<{ products: { name: string }[] }>(toy.gatewayUrl, '{ products { name } }');
    expect(fast.body.errors).toBeUndefined();
    expect(fast.body.data?.products).toHaveLength(3);
    expect(settled).toBe(0);

    const answers = await Promise.all(slow);
    for (const answer of answers) expect(answer.body.data).toEqual({ topReview: { stars: 5 } });
  });
});
