/**
 * One local subscriber's events, waiting to be sent: a bounded queue read as an async iterator by
 * a transport, which pulls the next event only once the previous one was handed to the socket.
 * A client that does not read stops the pulls, so its queue fills; one event past `capacity` and
 * the subscriber is dropped — its queued events freed, detached from the shared stream — and the
 * transport closes it with the "too slow" code. Memory per slow client is thus bounded by
 * `capacity` events plus what the socket already buffers.
 */

export interface SubscriberQueueOptions {
  /** Events allowed to wait (SUBSCRIBER_QUEUE_SIZE); one more overflows the queue. */
  capacity: number;
  /** Called once when the subscriber goes away for any reason (consumer left, overflow, end). */
  onClose: () => void;
  /** Called once on overflow, after `onClose`: the transport closes the client. */
  onOverflow: () => void;
}

type State = 'open' | 'ending' | 'closed';

export class SubscriberQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private state: State = 'open';
  private failure: unknown;
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
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

  /** Queues an event (ignored once closed or ending). */
  push(item: T): void {
    if (this.state !== 'open') return;
    if (this.waiting) {
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

  /** The producer is done: queued events are still delivered, then the iterator ends (or throws `error`). */
  end(error?: unknown): void {
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.failure = error;
    if (this.items.length === 0) this.settleWaiting();
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

  private settleWaiting(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = undefined;
    const failure = this.failure;
    this.close();
    if (failure !== undefined) waiting.reject(failure);
    else waiting.resolve({ value: undefined, done: true });
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
