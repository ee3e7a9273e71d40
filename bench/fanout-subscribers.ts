/**
 * The fan-out benchmark's subscribers: thousands of graphql-ws clients (subprotocol
 * `graphql-transport-ws`) on raw `ws` sockets, in the benchmark's own process.
 *
 * Not graphql-ws's client: it parses, validates and dispatches every message through several
 * closures, and with 10,000 sockets that client-side work, done one message after another on the
 * load generator's single thread, would stamp the last subscribers' receipts late and be counted
 * as gateway latency. Here a `next` message is stamped the moment its socket hands it over and
 * only searched for the event's key (`updatedAt`); anything else is parsed as JSON and reported.
 */
import { WebSocket } from 'ws';
import { performance } from 'node:perf_hooks';

export interface SubscriberPoolOptions {
  /** The gateway's HTTP GraphQL URL (its graphql-ws endpoint is the same URL in ws:). */
  url: string;
  /** Sent as `connectionParams.authorization`, as browsers do (they cannot set headers). */
  authorization: string;
  query: string;
  /** Each subscriber's variables, by its index. */
  variables: (index: number) => Record<string, unknown>;
  /**
   * One event arrived at subscriber `index`: `key` is the event's `updatedAt` in epoch ms (NaN when
   * the payload has none), `atMs` the `performance.now()` of its arrival.
   */
  onEvent: (index: number, key: number, atMs: number) => void;
  /** Anything but an event: a GraphQL error, a `complete`, a socket closed by the gateway. */
  onProblem: (index: number, problem: string) => void;
  /**
   * Subscribe again (same variables) when the stream ends with an error or completes, at most this
   * many times per subscriber — what a real client does, resuming from its cursor. Default 0.
   */
  resubscribe?: number;
}

const UPDATED_AT = '"updatedAt":"';
const ID_PREFIX = '{"id":"';
const NEXT_TYPE = '","type":"next"';

export class SubscriberPool {
  private readonly sockets: WebSocket[] = [];
  private closing = false;

  constructor(private readonly options: SubscriberPoolOptions) {}

  get size(): number {
    return this.sockets.length;
  }

  /**
   * Opens subscribers `from` to `to - 1` at once; resolves when each has been acknowledged and has
   * sent its `subscribe` (the gateway counts it from then on), rejects on the first one that fails.
   */
  async open(from: number, to: number): Promise<void> {
    const opening: Promise<void>[] = [];
    for (let index = from; index < to; index++) opening.push(this.openOne(index));
    await Promise.all(opening);
  }

  /** Closes every socket; resolves once all are closed (or after `graceMs`, cutting the rest). */
  async close(graceMs = 5_000): Promise<void> {
    this.closing = true;
    const open = this.sockets.filter((socket) => socket.readyState !== WebSocket.CLOSED);
    const closed = open.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
    for (const socket of open) socket.close(1000, 'benchmark over');
    const timer = setTimeout(() => {
      for (const socket of open) socket.terminate();
    }, graceMs);
    await Promise.all(closed);
    clearTimeout(timer);
  }

  private openOne(index: number): Promise<void> {
    const { options } = this;
    const socket = new WebSocket(options.url.replace(/^http/, 'ws'), 'graphql-transport-ws', {
      perMessageDeflate: false,
      // The gateway's frames are its own JSON: checking their UTF-8 again only costs CPU here.
      skipUTF8Validation: true,
    });
    this.sockets.push(socket);
    let operation = 0;
    let retriesLeft = options.resubscribe ?? 0;
    const subscribe = () => {
      operation += 1;
      socket.send(JSON.stringify({ id: String(operation), type: 'subscribe', payload: { query: options.query, variables: options.variables(index) } }));
    };
    return new Promise<void>((resolve, reject) => {
      let acknowledged = false;
      socket.once('open', () => {
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: options.authorization } }));
      });
      socket.on('message', (data: Buffer) => {
        const atMs = performance.now();
        const text = data.toString('utf8');
        // graphql-ws writes `id` first, then `type`: an event is recognised without parsing it.
        if (text.startsWith(ID_PREFIX) && text.indexOf(NEXT_TYPE) > 0 && text.indexOf(NEXT_TYPE) < 40 && !text.includes('"errors"')) {
          options.onEvent(index, updatedAtOf(text), atMs);
          return;
        }
        const message = JSON.parse(text) as { type?: string; payload?: unknown };
        if (message.type === 'connection_ack') {
          acknowledged = true;
          subscribe();
          resolve();
        } else if (message.type === 'ping') {
          socket.send('{"type":"pong"}');
        } else if (message.type !== 'pong') {
          options.onProblem(index, `${message.type ?? 'message'} ${JSON.stringify(message.payload ?? null).slice(0, 300)}`);
          if ((message.type === 'complete' || message.type === 'error') && retriesLeft > 0 && !this.closing) {
            retriesLeft -= 1;
            subscribe();
          }
        }
      });
      socket.once('error', (error) => {
        if (!acknowledged) reject(new Error(`subscriber ${index} could not connect: ${error.message}`));
      });
      socket.once('close', (code, reason) => {
        if (!acknowledged) reject(new Error(`subscriber ${index} was closed before its acknowledgement (${code} ${reason.toString()})`));
        else if (!this.closing) options.onProblem(index, `closed ${code} ${reason.toString()}`);
      });
    });
  }
}

/** The epoch ms of the first `updatedAt` in a serialised result; NaN without one. */
function updatedAtOf(text: string): number {
  const start = text.indexOf(UPDATED_AT);
  if (start < 0) return Number.NaN;
  const from = start + UPDATED_AT.length;
  return Date.parse(text.slice(from, text.indexOf('"', from)));
}
