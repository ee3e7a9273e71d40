/**
 * One local subscriber's events, waiting to be sent: a bounded queue between the shared stream and
 * one transport. A client that does not read stops the transport from taking events, so its queue
 * fills; one event past `capacity` and the subscriber is dropped — its queued events freed,
 * detached from the shared stream — and the transport closes it with the "too slow" code. Memory
 * per slow client is thus bounded by `capacity` events plus what the socket already buffers.
 *
 * Two ways to consume it:
 * - pulled, as an async iterator (SSE): the transport asks for the next event once the previous
 *   one was handed to the socket;
 * - pushed, to an attached `QueueSink` (graphql-ws): while the sink is ready, `push` hands it the
 *   event synchronously, inside the shared stream's fan-out loop. With 10,000 subscribers on one
 *   stream, the pull path's promises and microtask hops per event and per subscriber were about a fifth
 *   of the gateway's CPU per delivery (bench/RESULTS.md, "Subscription fan-out"); the queue only
 *   fills when a socket is actually behind, and the sink calls `flush` once it has caught up.
 */

export interface SubscriberQueueOptions {
  /** Events allowed to wait (SUBSCRIBER_QUEUE_SIZE); one more overflows the queue. */
  capacity: number;
  /** Called once when the subscriber goes away for any reason (consumer left, overflow, end). */
  onClose: () => void;
  /** Called once on overflow, after `onClose`: the transport closes the client. */
  onOverflow: () => void;
}

/** A consumer that takes events synchronously while it can. */
export interface QueueSink<T> {
  /** True when an event written now would not wait behind an earlier one still being sent. */
  ready(): boolean;
  write(item: T): void;
  /** The producer ended and every queued event was written: `error` when it failed. Called once. */
  end(error: unknown): void;
}

type State = 'open' | 'ending' | 'closed';

export class SubscriberQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private state: State = 'open';
  private failure: unknown;
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  private sink: QueueSink<T> | undefined;
  private readonly options: SubscriberQueueOptions;

  constructor(options: SubscriberQueueOptions) {
    this.options = options;
  }

  /** Events waiting to be sent. */
  get size(): number {
    return this.items.length;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Switches to push mode: from now on events go to `sink` (queued ones first, as soon as it is
   * ready). The iterator methods must not be used any more, except `return` to leave.
   */
  attach(sink: QueueSink<T>): void {
    if (this.sink || this.waiting) throw new Error('This subscriber queue already has a consumer.');
    this.sink = sink;
    if (this.state === 'closed') sink.end(this.failure);
    else this.flush();
  }

  /** Queues an event, or writes it at once to a ready sink (ignored once closed or ending). */
  push(item: T): void {
    if (this.state !== 'open') return;
    const sink = this.sink;
    if (sink) {
      if (this.items.length === 0 && sink.ready()) {
        sink.write(item);
        return;
      }
    } else if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.options.capacity) {
      this.close();
      this.options.onOverflow();
      return;
    }
    this.items.push(item);
  }

  /** Push mode: the sink is ready again; write what waits while it stays ready. */
  flush(): void {
    const sink = this.sink;
    if (!sink) return;
    while (this.items.length > 0 && sink.ready()) sink.write(this.items.shift() as T);
    if (this.items.length === 0 && this.state === 'ending') this.finish();
  }

  /** The producer is done: queued events are still delivered, then the iterator ends (or throws `error`). */
  end(error?: unknown): void {
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.failure = error;
    if (this.items.length === 0) this.finish();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.state === 'ending') {
      const failure = this.failure;
      this.close();
      if (failure !== undefined) return Promise.reject(failure);
    }
    if (this.state === 'closed') return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** The consumer leaves (client completed, socket closed). */
  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  /** Nothing left to deliver after the producer's end: tell whoever consumes. */
  private finish(): void {
    const failure = this.failure;
    const waiting = this.waiting;
    const sink = this.sink;
    this.waiting = undefined;
    if (!waiting && !sink) return; // a pulling consumer learns it from its next `next()`
    this.close();
    if (sink) sink.end(failure);
    else if (failure !== undefined) waiting?.reject(failure);
    else waiting?.resolve({ value: undefined, done: true });
  }

  private close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.items.length = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve({ value: undefined, done: true });
    this.options.onClose();
  }
}
