/**
 * Push mode, without sockets: the subscriber queue hands events synchronously to a ready sink,
 * keeps them (bounded) while the sink is busy, flushes when it catches up, and ends the sink once
 * everything queued was written. Then EventPump on a fake `ws` socket: one frame in flight, the
 * frame text graphql-ws would have sent, overflow of a socket that never finishes a write, and the
 * stream's end or error handed to graphql-ws through `next()`.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionResult } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import { EventPump, textFrame, type EventSocket } from '../../gateway/stream/event-pump.ts';
import { SharedSubscriptions } from '../../gateway/stream/index.ts';
import { SubscriberQueue, type QueueSink } from '../../gateway/stream/subscriber-queue.ts';
import type { EventSink } from '../../gateway/execute/index.ts';

class FakeSink implements QueueSink<number> {
  busy = false;
  written: number[] = [];
  ended: { error: unknown }[] = [];
  ready = () => !this.busy;
  write = (item: number) => void this.written.push(item);
  end = (error: unknown) => void this.ended.push({ error });
}

const queueOf = (capacity: number, counts = { closed: 0, overflowed: 0 }) =>
  new SubscriberQueue<number>({ capacity, onClose: () => (counts.closed += 1), onOverflow: () => (counts.overflowed += 1) });

describe('Subscriber queue, push mode', () => {
  it('writes each event at once to a ready sink, without queueing it', () => {
    const queue = queueOf(2);
    const sink = new FakeSink();
    queue.attach(sink);
    for (let n = 1; n <= 100; n += 1) queue.push(n);
    expect(sink.written).toHaveLength(100);
    expect(queue.size).toBe(0);
  });

  it('queues while the sink is busy, keeps the order, and flushes when it is ready again', () => {
    const queue = queueOf(3);
    const sink = new FakeSink();
    queue.attach(sink);
    queue.push(1);
    sink.busy = true;
    queue.push(2);
    queue.push(3);
    expect(sink.written).toEqual([1]);
    expect(queue.size).toBe(2);
    sink.busy = false;
    queue.push(4); // behind the queued ones, never before them
    expect(sink.written).toEqual([1]);
    queue.flush();
    expect(sink.written).toEqual([1, 2, 3, 4]);
  });

  it('overflows at capacity + 1 queued events, once, and frees the queue', () => {
    const counts = { closed: 0, overflowed: 0 };
    const queue = queueOf(3, counts);
    const sink = new FakeSink();
    sink.busy = true;
    queue.attach(sink);
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(counts).toEqual({ closed: 0, overflowed: 0 });
    queue.push(4);
    queue.push(5);
    expect(counts).toEqual({ closed: 1, overflowed: 1 });
    expect(queue.size).toBe(0);
    sink.busy = false;
    queue.flush();
    expect(sink.written).toEqual([]);
  });

  it('ends the sink only after the queued events were written, with the producer’s error', () => {
    const queue = queueOf(5);
    const sink = new FakeSink();
    queue.attach(sink);
    sink.busy = true;
    queue.push(1);
    const failure = passerelleError('SUBGRAPH_UNAVAILABLE', 'gone');
    queue.end(failure);
    expect(sink.ended).toEqual([]);
    sink.busy = false;
    queue.flush();
    expect(sink.written).toEqual([1]);
    expect(sink.ended).toEqual([{ error: failure }]);
    expect(queue.closed).toBe(true);
  });

  it('hands events queued before it was attached, and an end that came before, to the sink', () => {
    const queue = queueOf(5);
    queue.push(1);
    queue.push(2);
    queue.end();
    const sink = new FakeSink();
    queue.attach(sink);
    expect(sink.written).toEqual([1, 2]);
    expect(sink.ended).toEqual([{ error: undefined }]);
  });
});

/** The text of one unmasked server text frame, checked field by field against RFC 6455 §5.2. */
function frameText(frame: Buffer): string {
  expect(frame[0]).toBe(0x81); // FIN, text
  const short = frame[1]!;
  expect(short & 0x80).toBe(0); // server frames are not masked
  const [length, offset] = short === 127 ? [Number(frame.readBigUInt64BE(2)), 10] : short === 126 ? [frame.readUInt16BE(2), 4] : [short, 2];
  expect(frame.length).toBe(offset + length);
  return frame.subarray(offset).toString('utf8');
}

/** A connection whose writes complete only when the test says so. */
class FakeSocket implements EventSocket {
  open = true;
  frames: string[] = [];
  private callbacks: ((error?: Error | null) => void)[] = [];
  writeFrame(frame: Buffer, callback: (error?: Error | null) => void): void {
    this.frames.push(frameText(frame));
    this.callbacks.push(callback);
  }
  /** The kernel took every pending frame. */
  complete(error?: Error): void {
    for (const callback of this.callbacks.splice(0)) callback(error);
  }
}

const result = (n: number): ExecutionResult => ({ data: { n } });

function pumpOn(capacity: number) {
  const hub = new SharedSubscriptions({ queueSize: capacity });
  let sink: EventSink | undefined;
  let stops = 0;
  const start = () => (eventSink: EventSink) => {
    sink = eventSink;
    return () => (stops += 1);
  };
  let overflowed = 0;
  const queue = hub.subscribe({ key: 'k', start, onOverflow: () => (overflowed += 1) });
  const socket = new FakeSocket();
  let serialised = 0;
  const pump = new EventPump(queue, socket, 'op-1', (value) => {
    serialised += 1;
    return Buffer.from(JSON.stringify(value));
  });
  return { hub, socket, pump, upstream: () => sink!, stops: () => stops, overflowed: () => overflowed, serialised: () => serialised };
}

describe('Text frames', () => {
  it('encode every payload length with the right header: 7-bit, 16-bit and 64-bit lengths, and UTF-8', () => {
    for (const length of [0, 1, 124, 125, 126, 127, 65_534, 65_535, 65_536, 200_000]) {
      const payload = Buffer.from('é'.repeat(Math.floor(length / 2)) + 'x'.repeat(length % 2));
      const prefix = Buffer.from('{"a":');
      const frame = textFrame(prefix, payload, Buffer.from('}'));
      expect(frameText(frame)).toBe(`{"a":${payload.toString('utf8')}}`);
      const total = length + 6;
      expect(frame[1]).toBe(total < 126 ? total : total < 65_536 ? 126 : 127);
    }
  });
});

describe('EventPump', () => {
  it('writes graphql-ws `next` frames, one in flight at a time, in order', () => {
    const { socket, upstream } = pumpOn(10);
    upstream().next(result(1));
    upstream().next(result(2));
    upstream().next(result(3));
    expect(socket.frames).toEqual(['{"id":"op-1","type":"next","payload":{"data":{"n":1}}}']);
    socket.complete();
    expect(socket.frames).toHaveLength(2);
    socket.complete();
    socket.complete();
    expect(socket.frames.map((frame) => JSON.parse(frame) as { payload: ExecutionResult }).map((frame) => frame.payload)).toEqual([1, 2, 3].map(result));
  });

  it('drops a subscriber whose socket never finishes a write after capacity + 1 more events, and stops the upstream', async () => {
    const { socket, upstream, hub, overflowed, stops, pump } = pumpOn(2);
    for (let n = 1; n <= 4; n += 1) upstream().next(result(n));
    expect({ frames: socket.frames.length, overflowed: overflowed() }).toEqual({ frames: 1, overflowed: 1 });
    expect(hub.counts()).toEqual({ upstream: 0, subscribers: 0 });
    expect(stops()).toBe(1);
    // The transport closes the connection, which returns the pump.
    await pump.return();
    expect(await pump.next()).toEqual({ value: undefined, done: true });
  });

  it('settles graphql-ws’s `next()` when the stream completes, after the last frame', async () => {
    const { socket, upstream, pump } = pumpOn(10);
    const ended = pump.next();
    upstream().next(result(1));
    upstream().next(result(2));
    upstream().complete();
    let settled = false;
    void ended.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    socket.complete();
    socket.complete();
    expect(await ended).toEqual({ value: undefined, done: true });
    expect(socket.frames).toHaveLength(2);
  });

  it('rejects graphql-ws’s `next()` with the upstream error, so graphql-ws sends `error`', async () => {
    const { upstream, pump } = pumpOn(10);
    const ended = pump.next();
    upstream().error([passerelleError('SUBGRAPH_UNAVAILABLE', 'gone', { subgraph: 'requests' })]);
    await expect(ended).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'requests' } });
  });

  it('leaves the stream when a write fails or the socket is no longer open', async () => {
    const failed = pumpOn(10);
    const ended = failed.pump.next();
    failed.upstream().next(result(1));
    failed.socket.complete(new Error('socket closed'));
    expect(await ended).toEqual({ value: undefined, done: true });
    expect(failed.hub.counts()).toEqual({ upstream: 0, subscribers: 0 });

    const closed = pumpOn(10);
    closed.socket.open = false;
    closed.upstream().next(result(1));
    expect(closed.socket.frames).toEqual([]);
    expect(closed.hub.counts()).toEqual({ upstream: 0, subscribers: 0 });
  });

  it('serialises an event once for every subscriber of the stream', () => {
    const hub = new SharedSubscriptions({ queueSize: 10 });
    let sink: EventSink | undefined;
    const start = () => (eventSink: EventSink) => {
      sink = eventSink;
      return () => {};
    };
    const cache = new WeakMap<ExecutionResult, Buffer>();
    let serialised = 0;
    const serialise = (value: ExecutionResult) => {
      let json = cache.get(value);
      if (json === undefined) {
        serialised += 1;
        json = Buffer.from(JSON.stringify(value));
        cache.set(value, json);
      }
      return json;
    };
    const sockets = Array.from({ length: 50 }, (_, index) => {
      const socket = new FakeSocket();
      new EventPump(hub.subscribe({ key: 'k', start, onOverflow: () => {} }), socket, `op-${index}`, serialise);
      return socket;
    });
    sink!.next(result(7));
    expect(serialised).toBe(1);
    expect(sockets.every((socket, index) => socket.frames[0] === `{"id":"op-${index}","type":"next","payload":{"data":{"n":7}}}`)).toBe(true);
  });
});
