/**
 * The gateway's own HTTP path for queries and mutations (gateway/receive/http-operation.ts):
 * content negotiation before anything runs, what one HTTP answer cannot carry (batches,
 * subscriptions, GET subscriptions), the headers every answer has, one outcome per operation for
 * telemetry (pipeline.outcome), refused or answered, and a client giving up cancelling its fetches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayPlugin, OperationOutcome } from '../../gateway/pipeline.ts';
import { waitFor } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

const outcomes: OperationOutcome[] = [];
const recorder: GatewayPlugin = { name: 'outcome-recorder', onOutcome: (outcome) => void outcomes.push(outcome) };
/** How each subgraph fetch ended (pipeline's onSubgraphFetch `done`). */
const fetches: { subgraph: string; error: unknown }[] = [];
const fetchWatcher: GatewayPlugin = {
  name: 'fetch-watcher',
  onSubgraphFetch: ({ subgraph }) => ({ done: (error) => void fetches.push({ subgraph, error }) }),
};

let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation({ RATE_LIMIT_ANONYMOUS: '100000' }, { before: [recorder, fetchWatcher] });
});
afterAll(async () => {
  await toy?.stop();
});

const QUERY = 'query Name { product(id: "1") { name } }';
const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const codes = async (response: Response) => ((await response.json()) as { errors?: { extensions: { code: string } }[] }).errors?.map((error) => error.extensions.code);

describe('Content negotiation', () => {
  it('answers application/json by default and application/graphql-response+json when the client prefers it', async () => {
    expect((await post({ query: QUERY })).headers.get('content-type')).toBe('application/json; charset=utf-8');
    const preferred = await post({ query: QUERY }, { accept: 'application/graphql-response+json, application/json;q=0.9' });
    expect(preferred.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    expect(await preferred.json()).toEqual({ data: { product: { name: 'Table' } } });
  });

  it('answers 406 to an Accept header it cannot satisfy, without calling any subgraph', async () => {
    const fetchesBefore = toy.identities.http.length;
    const response = await post({ query: QUERY }, { accept: 'text/html' });
    expect(response.status).toBe(406);
    expect(await codes(response)).toEqual(['BAD_REQUEST']);
    expect(toy.identities.http.length).toBe(fetchesBefore);
  });
});

describe('What one HTTP answer cannot carry', () => {
  it('refuses a batch (a JSON array) with BAD_REQUEST, 400', async () => {
    const response = await post([{ query: QUERY }, { query: QUERY }]);
    expect(response.status).toBe(400);
    expect(await codes(response)).toEqual(['BAD_REQUEST']);
  });

  it('points a POSTed subscription to graphql-ws and SSE (400), and answers a GET one 405 with Allow: POST', async () => {
    const subscription = 'subscription { reviewAdded(productId: "1") { id } }';
    const posted = await post({ query: subscription });
    expect(posted.status).toBe(400);
    expect(await codes(posted)).toEqual(['BAD_REQUEST']);
    const get = await fetch(`${toy.gatewayUrl}?query=${encodeURIComponent(subscription)}`, { headers: { 'graphql-preflight': '1' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('answers a mutation on a supergraph without mutations 400 GRAPHQL_VALIDATION_FAILED, not 500', async () => {
    const response = await post({ query: 'mutation { __typename }' });
    expect(response.status).toBe(400);
    expect(await codes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});

describe('Headers of every answer', () => {
  it('says Cache-Control: no-store and carries the RateLimit-* headers set at admission, refused or not', async () => {
    for (const response of [await post({ query: QUERY }), await post({ query: '{ product(id: "1") { colour } }' }), await post({})]) {
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('ratelimit-limit')).toBe('100000');
    }
  });
});

describe('Outcomes (telemetry)', () => {
  it('records one outcome per operation request: its name, type and error codes', async () => {
    outcomes.length = 0;
    await post({ query: QUERY });
    await post({ query: '{ product(id: "1") { colour } }' });
    await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: QUERY }) });
    expect(outcomes.map(({ transport, operationName, operationType, errorCodes }) => ({ transport, operationName, operationType, errorCodes }))).toEqual([
      { transport: 'http', operationName: 'Name', operationType: 'query', errorCodes: [] },
      { transport: 'http', operationName: undefined, operationType: undefined, errorCodes: ['GRAPHQL_VALIDATION_FAILED'] },
      { transport: 'http', operationName: undefined, operationType: undefined, errorCodes: ['CSRF_REJECTED'] },
    ]);
    for (const outcome of outcomes) {
      expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
      expect(outcome.principal.kind).toBe('anonymous');
    }
  });
});

describe('A client that gives up', () => {
  it('cancels the subgraph fetches still running', async () => {
    // Longer than the client waits, shorter than SUBGRAPH_TIMEOUT_MS: only the client's leaving can end it early.
    toy.setReviewsDelay(5_000);
    try {
      fetches.length = 0;
      const client = new AbortController();
      const request = fetch(toy.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ product(id: "1") { name reviews { stars } } }' }),
        signal: client.signal,
      }).catch(() => undefined);
      await waitFor(() => fetches.some((fetch) => fetch.subgraph === 'products'), 'the products fetch to end');
      client.abort();
      await request;
      await waitFor(() => fetches.some((fetch) => fetch.subgraph === 'reviews'), 'the reviews fetch to end', 4_000);
      expect(fetches.find((fetch) => fetch.subgraph === 'reviews')?.error).toBeDefined();
    } finally {
      toy.setReviewsDelay(0);
    }
  });
});
