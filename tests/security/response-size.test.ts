/**
 * The backstops that do not trust the estimate: the size of each subgraph fetch's body
 * (MAX_SUBGRAPH_RESPONSE_BYTES, read while it streams in), the size of the final answer
 * (MAX_RESPONSE_BYTES), and a client that gives up cancelling its subgraph fetches.
 */
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER, identityKey, signIdentity } from '../../common/identity.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { waitFor } from '../harness/streams.ts';

// `n` and `nn` alias the same field: answers one byte apart.
const AT_LIMIT = '{ product(id: "1") { n: name } }';
const OVER_LIMIT = '{ product(id: "1") { nn: name } }';
const DATA_BYTES = Buffer.byteLength(JSON.stringify({ product: { n: 'Table' } }));

let byAnswer: ToyFederation;
let bySubgraph: ToyFederation;
beforeAll(async () => {
  byAnswer = await startToyFederation({ MAX_RESPONSE_BYTES: String(DATA_BYTES) });
  // What the products subgraph answers the gateway's fetch for AT_LIMIT, measured on the subgraph itself.
  const token = signIdentity(identityKey(byAnswer.gatewaySecret), { id: 'anonymous', kind: 'anonymous', scopes: [] }).token;
  const direct = await fetch(byAnswer.products.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: token },
    body: JSON.stringify({ query: AT_LIMIT }),
  });
  const subgraphBytes = Buffer.byteLength(await direct.text());
  bySubgraph = await startToyFederation({ MAX_SUBGRAPH_RESPONSE_BYTES: String(subgraphBytes) });
});
afterAll(async () => {
  await byAnswer?.stop();
  await bySubgraph?.stop();
});

describe('MAX_RESPONSE_BYTES', () => {
  it('returns an answer of exactly the limit', async () => {
    const result = await graphql(byAnswer.gatewayUrl, AT_LIMIT);
    expect(result.body).toEqual({ data: { product: { n: 'Table' } } });
  });

  it('replaces one byte more with RESPONSE_TOO_LARGE', async () => {
    const result = await graphql(byAnswer.gatewayUrl, OVER_LIMIT);
    expect(result.body.data).toBeNull();
    expect(errorCodes(result)).toEqual(['RESPONSE_TOO_LARGE']);
    expect(result.body.errors![0]!.extensions!.limit).toBe(DATA_BYTES);
  });
});

describe('MAX_SUBGRAPH_RESPONSE_BYTES', () => {
  it('reads a subgraph body of exactly the limit', async () => {
    expect((await graphql(bySubgraph.gatewayUrl, AT_LIMIT)).body).toEqual({ data: { product: { n: 'Table' } } });
  });

  it('aborts one byte more: that fetch\'s fields are null with RESPONSE_TOO_LARGE naming the subgraph', async () => {
    const result = await graphql(bySubgraph.gatewayUrl, OVER_LIMIT);
    expect(result.body.data).toEqual({ product: null });
    expect(errorCodes(result)).toEqual(['RESPONSE_TOO_LARGE']);
    expect(result.body.errors![0]!.extensions!.subgraph).toBe('products');
  });
});

describe('Cancellation', () => {
  /** Runs `giveUp` (a client abandoning `{ topReview { stars } }` after 300 ms) and waits for the gateway to hang up on the subgraph. */
  async function expectSubgraphFetchAborted(giveUp: (query: string) => Promise<void>) {
    bySubgraph.setReviewsDelay(3000);
    let closedUnfinished = false;
    const watch = (_req: unknown, res: import('node:http').ServerResponse) => {
      res.once('close', () => {
        if (!res.writableEnded) closedUnfinished = true;
      });
    };
    bySubgraph.reviews.server.on('request', watch);
    try {
      await giveUp('{ topReview { stars } }');
      // Long before the subgraph's 3 s answer: the gateway hung up on it.
      await waitFor(() => closedUnfinished, 'the subgraph request to be closed unfinished', 1500);
    } finally {
      bySubgraph.reviews.server.off('request', watch);
      bySubgraph.setReviewsDelay(0);
    }
  }

  async function abandonHttp(query: string, accept: string) {
    const client = new AbortController();
    const pending = fetch(bySubgraph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept },
      body: JSON.stringify({ query }),
      signal: client.signal,
    })
      .then((response) => response.text())
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.abort();
    await pending;
  }

  it('aborts the in-flight subgraph fetch when the client closes its request', async () => {
    await expectSubgraphFetchAborted((query) => abandonHttp(query, 'application/json'));
  });

  it('aborts it when an SSE client closes the stream of a query', async () => {
    await expectSubgraphFetchAborted((query) => abandonHttp(query, 'text/event-stream'));
  });

  it('aborts it when a graphql-ws client completes the operation, or when the socket closes', async () => {
    for (const end of ['complete', 'close'] as const) {
      await expectSubgraphFetchAborted(async (query) => {
        const socket = new WebSocket(bySubgraph.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
        await new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        });
        socket.send(JSON.stringify({ type: 'connection_init' }));
        await new Promise((resolve) => socket.once('message', resolve));
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (end === 'complete') socket.send(JSON.stringify({ id: '1', type: 'complete' }));
        else socket.close();
        if (end === 'complete') setTimeout(() => socket.close(), 2_000).unref();
      });
    }
  });
});
