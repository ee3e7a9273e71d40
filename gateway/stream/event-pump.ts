/**
 * How a subscription's events reach one graphql-ws socket: written by the gateway itself, as text
 * frames built from the event's JSON serialised ONCE for every subscriber of the shared stream,
 * rather than by graphql-ws, which would shape and `JSON.stringify` the same result again for each
 * socket and add several promise hops per event. The pump is its subscriber queue's sink (push
 * mode): the shared stream's fan-out loop writes each ready socket's frame synchronously, with no
 * promise per delivery.
 *
 * graphql-ws still owns the operation's life: it iterates the pump, which yields nothing and
 * settles when the stream ends — done (graphql-ws then sends `complete`) or failed with the
 * stream's error (graphql-ws sends `error`, shaped by the transport's `onError`).
 *
 * Backpressure: one frame in flight per socket. The next event is written only once the previous
 * frame was handed to the kernel (the `send` callback); until then events wait in the subscriber's
 * bounded queue, so a client that stops reading overflows its own queue and is closed.
 */
import type { ExecutionResult } from 'graphql';
import type { QueueSink, SubscriberQueue } from './subscriber-queue.ts';

/** The part of a `ws` WebSocket the pump uses. */
export interface EventSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: string, callback: (error?: Error) => void): void;
}

export class EventPump implements AsyncIterableIterator<never>, QueueSink<ExecutionResult> {
  private readonly finished: Promise<IteratorResult<never>>;
  private settle!: (error: unknown) => void;
  /** `{"id":"…","type":"next","payload":` — the part of every frame that depends on the operation only. */
  private readonly prefix: string;
  private inFlight = false;
  private settled = false;
  private ended = false;
  /** Bound once: a closure per frame would be one more allocation per delivery. */
  private readonly afterSend = (error?: Error): void => {
    this.inFlight = false;
    if (error !== undefined && error !== null) this.leave();
    else this.queue.flush();
  };

  /**
   * Pumps `queue` into `socket` as graphql-ws `next` messages for operation `id`; `serialise`
   * gives an event's payload JSON (memoised per event by the stream core).
   */
  constructor(
    private readonly queue: SubscriberQueue<ExecutionResult>,
    private readonly socket: EventSocket,
    id: string,
    private readonly serialise: (result: ExecutionResult) => string,
  ) {
    this.prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    this.finished = new Promise((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve({ value: undefined, done: true }) : reject(error));
    });
    // Read by graphql-ws's `next()`; until then a failure must not count as unhandled.
    this.finished.catch(() => undefined);
    queue.attach(this);
  }

  ready(): boolean {
    return !this.inFlight && !this.ended;
  }

  write(result: ExecutionResult): void {
    if (this.socket.readyState !== this.socket.OPEN) {
      // Its close is handled by the transport; stop taking events meanwhile.
      this.leave();
      return;
    }
    this.inFlight = true;
    this.socket.send(`${this.prefix}${this.serialise(result)}}`, this.afterSend);
  }

  /** The stream ended (its error, if any, reaches graphql-ws through `next()`). */
  end(error: unknown): void {
    this.ended = true;
    this.settle(error);
  }

  /** The first call settles when the stream ends; graphql-ws makes no other call before that. */
  next(): Promise<IteratorResult<never>> {
    if (this.settled) return Promise.resolve({ value: undefined, done: true });
    this.settled = true;
    return this.finished;
  }

  /** The client stopped the operation or the connection closed: leave the stream. */
  return(): Promise<IteratorResult<never>> {
    this.settled = true;
    this.leave();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private leave(): void {
    if (this.ended) return;
    this.ended = true;
    void this.queue.return();
    this.settle(undefined);
  }
}
