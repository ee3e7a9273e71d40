/**
 * How a subscription's events reach one graphql-ws socket: written by the gateway itself, as text
 * frames built from the event's JSON serialised and UTF-8 encoded ONCE for every subscriber of the
 * shared stream, rather than by graphql-ws, which would shape and `JSON.stringify` the same result
 * again for each socket and add several promise hops per event. The pump is its subscriber
 * queue's sink (push mode): the shared stream's fan-out loop writes each ready socket's frame
 * synchronously, with no promise per delivery.
 *
 * Each frame is one buffer — WebSocket header, this operation's `{"id":…,"type":"next","payload":`,
 * the event's bytes, `}` — handed to the TCP socket in one write. Going through `ws`'s `send`
 * instead cost a string concatenation, its UTF-8 encoding, a separate header buffer and a corked
 * two-buffer writev per socket: with 10,000 sockets, a quarter more time from the first socket to
 * the last (bench/RESULTS.md). It is safe beside `ws`'s own writes (pings, `complete`, close)
 * because without permessage-deflate `ws` writes every frame synchronously, whole: frames never
 * interleave, and nothing is written once the socket left the OPEN state.
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

/** A graphql-ws connection as the pump sees it: its WebSocket state, and its TCP socket's `write`. */
export interface EventSocket {
  /** True while the WebSocket is OPEN (no close frame sent or received). */
  readonly open: boolean;
  /** Writes one complete WebSocket frame; `callback` runs once the kernel has it (or with the error). */
  writeFrame(frame: Buffer, callback: (error?: Error | null) => void): void;
}

/** A server-to-client text frame (RFC 6455 §5.2: FIN, opcode 1, unmasked) of `prefix + payload + suffix`. */
export function textFrame(prefix: Buffer, payload: Buffer, suffix: Buffer): Buffer {
  const length = prefix.length + payload.length + suffix.length;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  let offset = header;
  offset += prefix.copy(frame, offset);
  offset += payload.copy(frame, offset);
  suffix.copy(frame, offset);
  return frame;
}

const SUFFIX = Buffer.from('}');

export class EventPump implements AsyncIterableIterator<never>, QueueSink<ExecutionResult> {
  private readonly finished: Promise<IteratorResult<never>>;
  private settle!: (error: unknown) => void;
  /** `{"id":"…","type":"next","payload":` — the part of every frame that depends on the operation only. */
  private readonly prefix: Buffer;
  private inFlight = false;
  private settled = false;
  private ended = false;
  /** Bound once: a closure per frame would be one more allocation per delivery. */
  private readonly afterSend = (error?: Error | null): void => {
    this.inFlight = false;
    if (error !== undefined && error !== null) this.leave();
    else this.queue.flush();
  };

  /**
   * Pumps `queue` into `socket` as graphql-ws `next` messages for operation `id`; `encode` gives
   * an event's payload as UTF-8 JSON (memoised per event by the stream core).
   */
  constructor(
    private readonly queue: SubscriberQueue<ExecutionResult>,
    private readonly socket: EventSocket,
    id: string,
    private readonly encode: (result: ExecutionResult) => Buffer,
  ) {
    this.prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
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
    if (!this.socket.open) {
      // Its close is handled by the transport; stop taking events meanwhile.
      this.leave();
      return;
    }
    this.inFlight = true;
    this.socket.writeFrame(textFrame(this.prefix, this.encode(result), SUFFIX), this.afterSend);
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
