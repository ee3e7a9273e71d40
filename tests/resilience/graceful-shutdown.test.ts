/**
 * Rule: on shutdown (what SIGTERM runs) the gateway answers 503 on /health/ready while it drains,
 * lets the query in flight finish, and closes graphql-ws subscriptions with 1001 (going away:
 * reconnect elsewhere and resume from the last cursor). /health/live answers as long as it runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { graphql } from '../harness/graphql.ts';
import { subscribeWs, waitFor } from '../harness/streams.ts';

describe('Graceful shutdown of the gateway', () => {
  let toy: ToyFederation;
  beforeAll(async () => {
    toy = await startToyFederation({ SHUTDOWN_DELAY_MS: '1000', SHUTDOWN_TIMEOUT_MS: '20000' });
  });
  afterAll(async () => {
    await toy.stop();
  });

  it('drains: ready 503, the query in flight completes, subscriptions get 1001', async () => {
    const health = (path: string) => fetch(toy.gatewayUrl.replace('/graphql', path));
    expect((await health('/health/live')).status).toBe(200);
    expect((await health('/health/ready')).status).toBe(200);

    const subscription = subscribeWs(toy.gatewayUrl, { query: 'subscription { reviewAdded(productId: "1") { stars } }' });
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');

    toy.setReviewsDelay(1_500);
    const inFlight = graphql(toy.gatewayUrl, '{ topReview { stars } }');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closing = toy.gateway.close();

    const during = await health('/health/ready');
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ status: 'draining', draining: true });
    expect((await health('/health/live')).status).toBe(200);

    const answer = await inFlight;
    expect(answer.body).toEqual({ data: { topReview: { stars: 5 } } });
    await waitFor(() => subscription.closeCode !== undefined, 'the subscription to close');
    expect(subscription.closeCode).toBe(1001);
    await closing;
  });
});
