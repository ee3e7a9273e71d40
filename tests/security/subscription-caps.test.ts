/**
 * Caps on long-lived streams: subscriptions per graphql-ws connection (MAX_SUBSCRIPTIONS_PER_SOCKET),
 * per caller over all its connections and SSE streams (MAX_SUBSCRIPTIONS_PER_PRINCIPAL), and
 * connections per caller (MAX_SOCKETS_PER_PRINCIPAL, close 4029). Identical subscriptions count
 * like distinct ones; a completed subscription gives its slot back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TOO_MANY_CONNECTIONS } from '../../gateway/stream/protocol.ts';
import { gatewayCounts, waitFor, wsUrl } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

const PER_SOCKET = 3;
const PER_PRINCIPAL = 5;
const SOCKETS = 3;
const SUBSCRIPTION = 'subscription { reviewAdded(productId: "1") { id stars } }';
const distinct = (n: number) => `subscription { reviewAdded(productId: "${n}") { id } }`;

/** A bare graphql-ws connection: subscribe by id, see each id's error, complete. */
class Connection {
  readonly socket: WebSocket;
  readonly errors = new Map<string, { extensions?: { code?: string } }[]>();
  closed: { code: number; reason: string } | undefined;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: string; type: string; payload?: unknown };
      if (message.type === 'error' && message.id) this.errors.set(message.id, message.payload as never);
    });
    socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async open(url: string): Promise<Connection> {
    const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws');
    const connection = new Connection(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const acknowledged = new Promise<boolean>((resolve) => {
      socket.on('message', (data) => {
        if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve(true);
      });
      socket.once('close', () => resolve(false));
    });
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await acknowledged;
    return connection;
  }

  subscribe(id: string, query = SUBSCRIPTION): void {
    this.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
  }

  complete(id: string): void {
    this.socket.send(JSON.stringify({ id, type: 'complete' }));
  }

  codeOf(id: string): string | undefined {
    return this.errors.get(id)?.[0]?.extensions?.code;
  }

  close(): void {
    this.socket.close();
  }
}

let toy: ToyFederation;
let open: Connection[] = [];
const connect = async () => {
  const connection = await Connection.open(toy.gatewayUrl);
  open.push(connection);
  return connection;
};
const subscribers = async () => (await gatewayCounts(toy.gatewayUrl)).subscribers;

beforeAll(async () => {
  toy = await startToyFederation({
    MAX_SUBSCRIPTIONS_PER_SOCKET: String(PER_SOCKET),
    MAX_SUBSCRIPTIONS_PER_PRINCIPAL: String(PER_PRINCIPAL),
    MAX_SOCKETS_PER_PRINCIPAL: String(SOCKETS),
    RATE_LIMIT_ANONYMOUS: '0',
  });
});
afterAll(async () => {
  await toy?.stop();
});
afterEach(async () => {
  for (const connection of open) connection.close();
  open = [];
  await waitFor(async () => (await subscribers()) === 0, 'every subscriber to be gone');
});

describe('Per socket', () => {
  it('accepts MAX_SUBSCRIPTIONS_PER_SOCKET identical subscriptions and refuses one more with TOO_MANY_SUBSCRIPTIONS', async () => {
    const connection = await connect();
    for (let i = 1; i <= PER_SOCKET + 1; i++) connection.subscribe(String(i));
    await waitFor(() => connection.errors.has(String(PER_SOCKET + 1)), 'the one too many to be refused');
    expect(connection.codeOf(String(PER_SOCKET + 1))).toBe('TOO_MANY_SUBSCRIPTIONS');
    await waitFor(async () => (await subscribers()) === PER_SOCKET, `${PER_SOCKET} subscribers`);
    expect([...connection.errors.keys()]).toEqual([String(PER_SOCKET + 1)]);
    expect(connection.closed).toBeUndefined();
  });

  it('refuses distinct subscriptions alike, and gives a slot back when one completes', async () => {
    const connection = await connect();
    for (let i = 1; i <= PER_SOCKET; i++) connection.subscribe(String(i), distinct(i));
    await waitFor(async () => (await subscribers()) === PER_SOCKET, `${PER_SOCKET} subscribers`);
    connection.subscribe('extra', distinct(99));
    await waitFor(() => connection.errors.has('extra'), 'the one too many to be refused');
    expect(connection.codeOf('extra')).toBe('TOO_MANY_SUBSCRIPTIONS');
    connection.complete('1');
    await waitFor(async () => (await subscribers()) === PER_SOCKET - 1, 'the completed one to be gone');
    connection.subscribe('again', distinct(98));
    await waitFor(async () => (await subscribers()) === PER_SOCKET, 'the new one to take the freed slot');
    expect(connection.errors.has('again')).toBe(false);
  });
});

describe('Per caller', () => {
  it('counts every connection and SSE stream of one caller against MAX_SUBSCRIPTIONS_PER_PRINCIPAL', async () => {
    const first = await connect();
    const second = await connect();
    for (let i = 1; i <= PER_SOCKET; i++) first.subscribe(`a${i}`);
    for (let i = 1; i < PER_PRINCIPAL - PER_SOCKET; i++) second.subscribe(`b${i}`);
    await waitFor(async () => (await subscribers()) === PER_PRINCIPAL - 1, `${PER_PRINCIPAL - 1} subscribers`);

    // The last slot goes to an SSE stream; then neither transport gets another.
    const controller = new AbortController();
    const sse = await fetch(toy.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: SUBSCRIPTION }),
      signal: controller.signal,
    });
    expect(sse.status).toBe(200);
    await waitFor(async () => (await subscribers()) === PER_PRINCIPAL, `${PER_PRINCIPAL} subscribers`);

    second.subscribe('over');
    await waitFor(() => second.errors.has('over'), 'the graphql-ws one over the cap to be refused');
    expect(second.codeOf('over')).toBe('TOO_MANY_SUBSCRIPTIONS');
    const refused = await fetch(toy.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: SUBSCRIPTION }),
    });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');

    // Closing the SSE stream gives its slot back.
    controller.abort();
    await waitFor(async () => (await subscribers()) === PER_PRINCIPAL - 1, 'the SSE subscriber to be gone');
    second.subscribe('back');
    await waitFor(async () => (await subscribers()) === PER_PRINCIPAL, 'the freed slot to be taken');
    expect(second.errors.has('back')).toBe(false);
  });

  it('accepts MAX_SOCKETS_PER_PRINCIPAL connections and closes one more with 4029', async () => {
    for (let i = 0; i < SOCKETS; i++) expect((await connect()).closed).toBeUndefined();
    const extra = await connect();
    await waitFor(() => extra.closed !== undefined, 'the extra connection to be closed');
    expect(extra.closed).toEqual({ code: TOO_MANY_CONNECTIONS.closeCode, reason: TOO_MANY_CONNECTIONS.reason });
    expect(TOO_MANY_CONNECTIONS.closeCode).toBe(4029);
    // A closed connection gives its slot back.
    open[0]!.close();
    await waitFor(() => open[0]!.closed !== undefined, 'the first connection to close');
    await waitFor(async () => {
      const again = await Connection.open(toy.gatewayUrl);
      open.push(again);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return again.closed === undefined;
    }, 'a new connection to be accepted');
  });
});
