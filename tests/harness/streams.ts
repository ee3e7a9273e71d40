/**
 * Client-side helpers for streaming tests: graphql-ws and GraphQL-over-SSE subscriptions that
 * record what they receive, a raw graphql-ws socket that can stop reading, bearer tokens, the
 * gateway's subscription counts, and `waitFor` — tests wait on conditions, never on the clock.
 */
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';

export type Result = FormattedExecutionResult<Record<string, unknown>, Record<string, unknown>>;

/** Polls `condition` until it holds; fails with `message` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, message = 'condition', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function signToken(
  secret: string,
  claims: { sub: string; scope?: string; kind?: string; expiresAt?: number } = { sub: 'user-1' },
): Promise<string> {
  const jwt = new SignJWT({ ...(claims.scope ? { scope: claims.scope } : {}), ...(claims.kind ? { kind: claims.kind } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt();
  // Tokens without exp are refused: one hour unless the test says otherwise.
  jwt.setExpirationTime(Math.floor((claims.expiresAt ?? Date.now() + 3_600_000) / 1000));
  return jwt.sign(new TextEncoder().encode(secret));
}

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export interface GatewayCounts {
  upstream: number;
  subscribers: number;
}

/** The gateway's subscription counts, as /health shows them. */
export async function gatewayCounts(gatewayUrl: string): Promise<GatewayCounts> {
  const response = await fetch(gatewayUrl.replace(/\/graphql$/, '/health'));
  const body = (await response.json()) as { subscriptions: GatewayCounts };
  return body.subscriptions;
}

/** What a client subscription has received so far. */
export interface Recording {
  results: Result[];
  /** What the sink's `error` got (graphql-ws: an array of errors or a close event; SSE: an error). */
  error: unknown;
  completed: boolean;
  /** graphql-ws only: the code the socket was closed with. */
  closeCode: number | undefined;
  /** Stops the subscription and closes the client. */
  dispose(): void;
}

interface SubscribeArgs {
  query: string;
  variables?: Record<string, unknown>;
  authorization?: string;
  /** graphql-ws only: connectionParams as given (overrides `authorization`). */
  connectionParams?: Record<string, unknown>;
}

export function subscribeWs(gatewayUrl: string, args: SubscribeArgs): Recording {
  const recording: Recording = { results: [], error: undefined, completed: false, closeCode: undefined, dispose: () => {} };
  const client = createWsClient({
    url: wsUrl(gatewayUrl),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazyCloseTimeout: 0,
    connectionParams: args.connectionParams ?? (args.authorization ? { authorization: args.authorization } : {}),
    on: {
      closed: (event) => {
        recording.closeCode ??= (event as { code: number }).code;
      },
    },
  });
  const stop = client.subscribe<Record<string, unknown>, Record<string, unknown>>(
    { query: args.query, variables: args.variables },
    {
      next: (result) => recording.results.push(result),
      error: (error) => {
        recording.error = error;
      },
      complete: () => {
        recording.completed = true;
      },
    },
  );
  recording.dispose = () => {
    stop();
    void client.dispose();
  };
  return recording;
}

export function subscribeSse(gatewayUrl: string, args: SubscribeArgs): Recording {
  const recording: Recording = { results: [], error: undefined, completed: false, closeCode: undefined, dispose: () => {} };
  const client = createSseClient({
    url: gatewayUrl,
    retryAttempts: 0,
    headers: args.authorization ? { authorization: args.authorization } : {},
  });
  const stop = client.subscribe<Record<string, unknown>, Record<string, unknown>>(
    { query: args.query, variables: args.variables },
    {
      next: (result) => recording.results.push(result as Result),
      error: (error) => {
        recording.error = error;
      },
      complete: () => {
        recording.completed = true;
      },
    },
  );
  recording.dispose = () => {
    stop();
    client.dispose();
  };
  return recording;
}

/** The codes of whatever errors a recording ended with (graphql-ws error array, or last result's errors). */
export function endingCodes(recording: Recording): (string | undefined)[] {
  const errors: readonly GraphQLFormattedError[] = Array.isArray(recording.error)
    ? (recording.error as GraphQLFormattedError[])
    : (recording.results.at(-1)?.errors ?? []);
  return errors.map((error) => error.extensions?.code as string | undefined);
}

/**
 * A graphql-ws client on a bare socket, so a test can stop reading (`pause()`) as a slow client
 * would. Resolves once the subscription is acknowledged and sent.
 */
export async function rawWsSubscription(
  gatewayUrl: string,
  args: SubscribeArgs,
): Promise<{ socket: WebSocket; nexts: () => number; closed: Promise<{ code: number; reason: string }> }> {
  const socket = new WebSocket(wsUrl(gatewayUrl), 'graphql-transport-ws');
  let nexts = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  const acknowledged = new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string };
      if (message.type === 'connection_ack') resolve();
      if (message.type === 'next') nexts += 1;
    });
    socket.once('close', () => reject(new Error('closed before connection_ack')));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: args.authorization ? { authorization: args.authorization } : {} }));
  await acknowledged;
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: args.query, variables: args.variables } }));
  return { socket, nexts: () => nexts, closed };
}
