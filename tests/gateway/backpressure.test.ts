/**
 * Back-pressure: each subscriber has a bounded queue (SUBSCRIBER_QUEUE_SIZE). A client that stops
 * reading fills it and is dropped — closed with 4008 over graphql-ws, or sent SUBSCRIBER_TOO_SLOW
 * then `complete` over SSE — while the subscribers sharing its stream keep receiving every event.
 */
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { gatewayCounts, rawWsSubscription, subscribeWs, waitFor, type Recording } from '../harness/streams.ts';
import { CloseCode } from '../../gateway/stream/index.ts';

const REVIEW_ADDED = 'subscription ($productId: ID!) { reviewAdded(productId: $productId) { body product { name } } }';
// Big events fill the socket buffers between the gateway and a client that stopped reading in a
// few dozen events rather than tens of thousands.
const BODY = 'x'.repeat(64 * 1024);
const MOST_EVENTS = 2_000;

let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation({ SUBSCRIBER_QUEUE_SIZE: '2' });
});
afterAll(() => toy?.stop());

/**
 * Publishes one event at a time, each once the reading client has received the previous one (so
 * the gateway itself is never the bottleneck), until `dropped()` says the slow client is gone.
 */
async function publishUntil(reader: Recording, dropped: () => Promise<boolean>): Promise<number> {
  for (let sent = 1; sent <= MOST_EVENTS; sent += 1) {
    toy.publishReview({ productId: '1', stars: 1, body: BODY });
    await waitFor(() => reader.results.length === sent, `event ${sent} at the reading client`);
    if (await dropped()) return sent;
  }
  throw new Error(`The slow client was still subscribed after ${MOST_EVENTS} events`);
}

async function idle(): Promise<void> {
  await waitFor(() => toy.upstreamSubscriptions() === 0, 'the upstream subscription to end');
  await waitFor(async () => (await gatewayCounts(toy.gatewayUrl)).subscribers === 0, 'no subscriber left');
}

describe('Slow subscriber', () => {
  it('closes a graphql-ws client that stops reading with 4008, and the others keep their stream', async () => {
    const reader = subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '1' } });
    const slow = await rawWsSubscription(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '1' } });
    await waitFor(async () => (await gatewayCounts(toy.gatewayUrl)).subscribers === 2, 'two subscribers');
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'one shared upstream subscription');

    slow.socket.pause();
    const sent = await publishUntil(reader, async () => (await gatewayCounts(toy.gatewayUrl)).subscribers === 1);
    expect(await gatewayCounts(toy.gatewayUrl)).toEqual({ upstream: 1, subscribers: 1 });

    // Once it reads again, it finds what was already on the wire, then the close frame.
    slow.socket.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(CloseCode.SubscriberTooSlow);
    expect(closed.code).toBe(4008);
    expect(closed.reason).toMatch(/resume from your last cursor/);
    expect(slow.nexts()).toBeLessThan(sent);

    toy.publishReview({ productId: '1', stars: 1, body: 'still here' });
    await waitFor(() => reader.results.length === sent + 1, 'the next event at the reading client');
    expect(reader.error).toBeUndefined();
    reader.dispose();
    await idle();
  });

  it('ends an SSE stream that stops reading with SUBSCRIBER_TOO_SLOW, then complete', async () => {
    const reader = subscribeWs(toy.gatewayUrl, { query: REVIEW_ADDED, variables: { productId: '1' } });
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(toy.gatewayUrl, { method: 'POST', headers: { accept: 'text/event-stream', 'content-type': 'application/json' } }, resolve);
      req.once('error', reject);
      req.end(JSON.stringify({ query: REVIEW_ADDED, variables: { productId: '1' } }));
    });
    expect(response.statusCode).toBe(200);
    await waitFor(async () => (await gatewayCounts(toy.gatewayUrl)).subscribers === 2, 'two subscribers');
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'one shared upstream subscription');

    response.pause();
    await publishUntil(reader, async () => (await gatewayCounts(toy.gatewayUrl)).subscribers === 1);

    response.setEncoding('utf8');
    let text = '';
    response.on('data', (chunk: string) => (text += chunk));
    // An explicitly paused stream does not resume when a listener is added.
    response.resume();
    await new Promise((resolve) => response.once('end', resolve));
    const events = text.split('\n\n').filter((event) => event.startsWith('event:'));
    expect(events.at(-1)).toBe('event: complete\ndata:');
    const last = JSON.parse(events.at(-2)!.replace(/^event: next\ndata: /, '')) as { errors: { extensions: { code: string } }[] };
    expect(last.errors.map((error) => error.extensions.code)).toEqual(['SUBSCRIBER_TOO_SLOW']);

    reader.dispose();
    await idle();
  });
});
