/**
 * How a subscription's events reach one graphql-ws socket: sent by the gateway itself, as text
 * frames built from the event's JSON serialised ONCE for every subscriber of the shared stream,
 * rather than by graphql-ws, which would shape and `JSON.stringify` the same result again for each
 * socket and add several promise hops per event. With 10,000 subscribers on one stream that
 * per-socket work was about half of the gateway's CPU per delivery besides the socket write itself
 * (bench/RESULTS.md, "Subscription fan-out").
 *
 * graphql-ws still owns the operation's life: it iterates the pump, which yields nothing and
 * settles when the stream ends — done (graphql-ws then sends `complete`) or failed with the
 * stream's error (graphql-ws sends `error`, shaped by the transport's `onError`).
 *
 * Backpressure is unchanged: the next event is taken from the subscriber's queue only once the
 * previous frame has been handed to the socket (the `send` callback), so a client that stops
 * reading fills its own queue and overflows it, as before.
 */
import type { ExecutionResult } from 'graphql';

/** The part of a `ws` WebSocket the pump uses. */
export interface EventSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: string, callback: (error?: Error) => void): void;
}

export class EventPump implements AsyncIterableIterator<never> {
  private readonly finished: Promise<IteratorResult<never>>;
  /** `{"id":"…","type":"next","payload":` — the part of every frame that depends on the operation only. */
  private readonly prefix: string;
  private settled = false;

  /**
   * Starts pumping `source` into `socket` as graphql-ws `next` messages for operation `id`;
   * `serialise` gives an event's payload JSON (memoised per event by the stream core).
   */
  constructor(
    private readonly source: AsyncIterableIterator<ExecutionResult>,
    private readonly socket: EventSocket,
    id: string,
    private readonly serialise: (result: ExecutionResult) => string,
  ) {
    this.prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    this.finished = this.run();
    // Read by graphql-ws's `next()`; until then a failure must not count as unhandled.
    this.finished.catch(() => undefined);
  }

  /** The first call settles when the stream ends; graphql-ws makes no other call before that. */
  next(): Promise<IteratorResult<never>> {
    if (this.settled) return Promise.resolve({ value: undefined, done: true });
    this.settled = true;
    return this.finished;
  }

  /** The client stopped the operation or the connection closed: leave the stream. */
  async return(): Promise<IteratorResult<never>> {
    this.settled = true;
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async run(): Promise<IteratorResult<never>> {
    for (;;) {
      // A failure of the stream rejects here, and reaches graphql-ws through `next()`.
      const item = await this.source.next();
      if (item.done) return { value: undefined, done: true };
      if (!(await this.send(item.value))) {
        await this.source.return?.();
        return { value: undefined, done: true };
      }
    }
  }

  /** False when the socket is gone (its close is handled by the transport). */
  private send(result: ExecutionResult): Promise<boolean> {
    if (this.socket.readyState !== this.socket.OPEN) return Promise.resolve(false);
    const frame = `${this.prefix}${this.serialise(result)}}`;
    return new Promise((resolve) => this.socket.send(frame, (error) => resolve(error === undefined || error === null)));
  }
}
