/**
 * Re-subscribing is bounded: a subgraph that stays away past UPSTREAM_RESUME_TIMEOUT_MS ends the
 * streams that were waiting for it with SUBGRAPH_UNAVAILABLE naming it, rather than pausing them for
 * ever. (Resuming after a restart is proven end to end: tests/e2e/upstream-reconnect.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReloadableFederation, type ReloadableFederation } from '../harness/reloadable-federation.ts';
import { endingCodes, gatewayCounts, subscribeWs, waitFor } from '../harness/streams.ts';

let toy: ReloadableFederation;
beforeAll(async () => {
  toy = await startReloadableFederation({ UPSTREAM_RESUME_TIMEOUT_MS: '1000' });
});
afterAll(() => toy?.stop());

describe('Upstream resume', () => {
  it('gives up with SUBGRAPH_UNAVAILABLE once the subgraph has been away longer than UPSTREAM_RESUME_TIMEOUT_MS', async () => {
    const client = subscribeWs(toy.gatewayUrl, { query: 'subscription { reviewAdded(productId: "1") { id body } }' });
    try {
      await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');
      toy.publish('1', 'Before.');
      await waitFor(() => client.results.length === 1, 'the first event');
      await toy.reviews.close();
      await waitFor(() => client.error !== undefined, 'the stream to end');
      expect(endingCodes(client)[0]).toBe('SUBGRAPH_UNAVAILABLE');
      const [error] = client.error as { message: string; extensions: Record<string, unknown> }[];
      expect(error!.extensions).toMatchObject({ subgraph: 'reviews' });
      expect(error!.message).toMatch(/stopped re-subscribing/);
      await waitFor(async () => (await gatewayCounts(toy.gatewayUrl)).upstream === 0, 'nothing left upstream');
    } finally {
      client.dispose();
    }
  });
});
