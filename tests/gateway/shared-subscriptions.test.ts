/**
 * The transport-free core of streaming, without sockets: one upstream start per sharing key,
 * fan-out to every subscriber, the upstream stopped when the last subscriber leaves, and per-
 * subscriber queues that never hold more than their capacity.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionResult } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import { SharedSubscriptions } from '../../gateway/stream/index.ts';
import { SubscriberQueue } from '../../gateway/stream/subscriber-queue.ts';
import type { EventSink } from '../../gateway/execute/index.ts';

function fakeUpstream() {
  const state = { starts: 0, stops: 0, sink: undefined as EventSink | undefined };
  const start = () => (sink: EventSink) => {
    state.starts += 1;
    state.sink = sink;
    return () => {
      state.stops += 1;
    };
  };
  return { state, start };
}

const event = (n: number): ExecutionResult => ({ data: { n } });

describe('Subscriber queue', () => {
  it('delivers queued events in order, then ends when the producer ends', async () => {
    const queue = new SubscriberQueue<number>({ capacity: 3, onClose: () => {}, onOverflow: () => {} });
    queue.push(1);
    queue.push(2);
    queue.end();
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('never holds more than its capacity: one event more drops the subscriber and frees the queue', () => {
    let overflowed = 0;
    let closed = 0;
    const queue = new SubscriberQueue<number>({ capacity: 3, onClose: () => (closed += 1), onOverflow: () => (overflowed += 1) });
    for (let n = 0; n < 1_000; n += 1) {
      queue.push(n);
      expect(queue.size).toBeLessThanOrEqual(3);
    }
    expect({ overflowed, closed, size: queue.size, isClosed: queue.closed }).toEqual({ overflowed: 1, closed: 1, size: 0, isClosed: true });
  });

  it('hands an event straight to a waiting reader without queueing it', async () => {
    const queue = new SubscriberQueue<number>({ capacity: 1, onClose: () => {}, onOverflow: () => {} });
    const next = queue.next();
    queue.push(7);
    expect(queue.size).toBe(0);
    expect(await next).toEqual({ value: 7, done: false });
  });

  it('throws the producer’s error once the queued events are delivered', async () => {
    const queue = new SubscriberQueue<number>({ capacity: 3, onClose: () => {}, onOverflow: () => {} });
    queue.push(1);
    queue.end(passerelleError('SUBGRAPH_UNAVAILABLE', 'gone', { subgraph: 'reviews' }));
    expect(await queue.next()).toEqual({ value: 1, done: false });
    await expect(queue.next()).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
  });
});

describe('Sharing', () => {
  it('starts one upstream per key, fans each event out, and stops it when the last subscriber leaves', async () => {
    const hub = new SharedSubscriptions({ queueSize: 10 });
    const upstream = fakeUpstream();
    const a = hub.subscribe({ key: 'k', start: upstream.start, onOverflow: () => {} });
    const b = hub.subscribe({ key: 'k', start: upstream.start, onOverflow: () => {} });
    expect(upstream.state.starts).toBe(1);
    expect(hub.counts()).toEqual({ upstream: 1, subscribers: 2 });

    upstream.state.sink!.next(event(1));
    expect(await a.next()).toEqual({ value: event(1), done: false });
    expect(await b.next()).toEqual({ value: event(1), done: false });

    await a.return?.();
    expect(hub.counts()).toEqual({ upstream: 1, subscribers: 1 });
    expect(upstream.state.stops).toBe(0);
    await b.return?.();
    expect(hub.counts()).toEqual({ upstream: 0, subscribers: 0 });
    expect(upstream.state.stops).toBe(1);
  });

  it('keeps different keys apart', () => {
    const hub = new SharedSubscriptions({ queueSize: 10 });
    const upstream = fakeUpstream();
    hub.subscribe({ key: 'one', start: upstream.start, onOverflow: () => {} });
    hub.subscribe({ key: 'two', start: upstream.start, onOverflow: () => {} });
    expect(upstream.state.starts).toBe(2);
    expect(hub.counts()).toEqual({ upstream: 2, subscribers: 2 });
  });

  it('drops only the subscriber that overflows; the others keep the stream', async () => {
    const hub = new SharedSubscriptions({ queueSize: 2 });
    const upstream = fakeUpstream();
    let slowDropped = false;
    const slow = hub.subscribe({ key: 'k', start: upstream.start, onOverflow: () => (slowDropped = true) });
    const fast = hub.subscribe({ key: 'k', start: upstream.start, onOverflow: () => {} });
    const received: unknown[] = [];
    for (let n = 1; n <= 5; n += 1) {
      upstream.state.sink!.next(event(n));
      received.push((await fast.next()).value);
    }
    expect(slowDropped).toBe(true);
    expect(await slow.next()).toEqual({ value: undefined, done: true });
    expect(received).toEqual([1, 2, 3, 4, 5].map(event));
    expect(hub.counts()).toEqual({ upstream: 1, subscribers: 1 });
  });

  it('ends every subscriber with the upstream error, and forgets the stream', async () => {
    const hub = new SharedSubscriptions({ queueSize: 10 });
    const upstream = fakeUpstream();
    const a = hub.subscribe({ key: 'k', start: upstream.start, onOverflow: () => {} });
    upstream.state.sink!.error([passerelleError('SUBGRAPH_UNAVAILABLE', 'gone', { subgraph: 'reviews' })]);
    await expect(a.next()).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'reviews' } });
    expect(hub.counts()).toEqual({ upstream: 0, subscribers: 0 });
    // A new subscriber starts a fresh upstream subscription.
    hub.subscribe({ key: 'k', start: upstream.start, onOverflow: () => {} });
    expect(upstream.state.starts).toBe(2);
  });
});
