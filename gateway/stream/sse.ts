/**
 * GraphQL over Server-Sent Events, distinct-connections mode of the graphql-sse protocol: one
 * HTTP response per operation, `Accept: text/event-stream`, for clients behind proxies that drop
 * WebSockets. The receive stage has already read the body and authenticated the caller.
 *
 * Not graphql-sse's own handler: it drains the result iterator into an unbounded array whatever the
 * client reads, so a slow client would grow memory without limit. Here each event is written only
 * once the previous one was flushed, so a slow client fills its bounded subscriber queue instead.
 */
import type { ServerResponse } from 'node:http';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import { whenCredentialsExpire } from '../authenticate/index.ts';
import type { Pipeline, Principal } from '../pipeline.ts';
import { callerKey } from '../limit/index.ts';
import type { OperationRequest, StreamCore } from './operations.ts';
import type { SubscriptionCaps } from './subscription-caps.ts';
import { StreamOutcome } from './outcome.ts';
import { SSE_KEEP_ALIVE, sseMessage, sseNext, terminationResult } from './protocol.ts';

export interface SseOptions {
  core: StreamCore;
  /** How often a comment is written to keep proxies from closing an idle stream (default 12,000 ms). */
  keepAliveMs?: number;
  /**
   * How long a response the gateway has ended may take to reach a client that stopped reading,
   * before its socket is destroyed (default 30,000 ms, as `ws` waits for a closing handshake).
   */
  lingerMs?: number;
  /** Caps on subscriptions per caller (subscription-caps.ts), shared with graphql-ws; one over gets HTTP 429 TOO_MANY_SUBSCRIPTIONS. Default: none. */
  caps?: SubscriptionCaps;
  /**
   * Told each operation's outcome (`pipeline.outcome`, telemetry) once it ends: a query's answer
   * sent, a subscription's stream ended, a refusal. The HTTP handler leaves streams to this. Default: nobody.
   */
  pipeline?: Pick<Pipeline, 'outcome'>;
}

export interface EventStreamRequest {
  method: string;
  url: URL;
  /** The parsed JSON body of a POST; undefined for GET (parameters are in the URL). */
  body: unknown;
  principal: Principal;
  res: ServerResponse;
}

export type EventStreamHandler = (request: EventStreamRequest) => Promise<void>;

export function createSseHandler(options: SseOptions): EventStreamHandler {
  const { core } = options;
  const keepAliveMs = options.keepAliveMs ?? 12_000;
  const lingerMs = options.lingerMs ?? 30_000;

  return async function handleEventStream(request) {
    const outcome = new StreamOutcome(options.pipeline, 'sse', request.principal);
    try {
      await serve(request, outcome);
    } catch (error) {
      // Thrown errors are answered by the HTTP handler with their catalogue code.
      outcome.errors([error instanceof GraphQLError ? error : {}]);
      outcome.report();
      throw error;
    }
  };

  async function serve({ method, url, body, principal, res }: EventStreamRequest, outcome: StreamOutcome): Promise<void> {
    const operationRequest = requestOf(method, url, body);
    outcome.named(operationRequest.operationName);
    const prepared = await core.prepare(operationRequest, principal);
    if (prepared.ok) outcome.prepared(prepared.operation);
    if (prepared.ok && prepared.operation.kind === 'mutation' && method === 'GET') {
      throw passerelleError('METHOD_NOT_ALLOWED', 'Mutations cannot be sent with GET; use POST.');
    }
    // A subscription over the caller's cap is refused before the stream opens: HTTP 429.
    let release = () => {};
    if (prepared.ok && prepared.operation.kind === 'subscription' && options.caps) {
      const lease = options.caps.reserve(callerKey(principal, res.socket?.remoteAddress));
      if (lease instanceof GraphQLError) throw lease;
      release = lease;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise hold events back to fill their buffers.
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();

    if (!prepared.ok) {
      const errors = core.shapeErrors(prepared.errors);
      endWith(res, { errors });
      outcome.errors(errors);
      return outcome.report();
    }
    const { operation } = prepared;
    if (operation.kind !== 'subscription') {
      const gaveUp = new AbortController();
      const abort = () => gaveUp.abort();
      res.once('close', abort);
      const result = await operation.execute(gaveUp.signal);
      res.off('close', abort);
      const shaped = core.shapeResult(result);
      endWith(res, shaped);
      outcome.errors(shaped.errors);
      return outcome.report();
    }

    let finished = false;
    let stream: AsyncIterableIterator<ExecutionResult> | undefined;
    let cancelExpiry = () => {};
    const keepAlive = setInterval(() => {
      if (!res.writableNeedDrain) res.write(SSE_KEEP_ALIVE);
    }, keepAliveMs);
    keepAlive.unref();
    const finish = (last?: FormattedExecutionResult) => {
      if (finished) return;
      finished = true;
      outcome.errors(last?.errors);
      outcome.report();
      release();
      clearInterval(keepAlive);
      cancelExpiry();
      void stream?.return?.();
      if (res.writableEnded || res.destroyed) return;
      endWith(res, last);
      const linger = setTimeout(() => res.destroy(), lingerMs);
      linger.unref();
      res.once('close', () => clearTimeout(linger));
    };
    res.once('close', () => finish());

    stream = operation.subscribe({ onOverflow: () => finish(terminationResult('SUBSCRIBER_TOO_SLOW')) });
    cancelExpiry = whenCredentialsExpire(principal, () => finish(terminationResult('CREDENTIALS_EXPIRED')));
    try {
      for await (const result of stream) {
        if (finished) break;
        await write(res, sseNext(core.serialiseResult(result)));
      }
      finish();
    } catch (error) {
      finish({ errors: core.shapeErrors([error instanceof GraphQLError ? error : new GraphQLError(String(error))]) });
    }
  }
}

function requestOf(method: string, url: URL, body: unknown): OperationRequest {
  if (method === 'GET') {
    const variables = url.searchParams.get('variables');
    let parsed: unknown;
    try {
      parsed = variables ? JSON.parse(variables) : undefined;
    } catch {
      throw passerelleError('BAD_REQUEST', 'The variables parameter is not valid JSON.');
    }
    return {
      query: url.searchParams.get('query') ?? '',
      operationName: url.searchParams.get('operationName'),
      variables: isRecord(parsed) ? parsed : undefined,
    };
  }
  if (!isRecord(body) || typeof body.query !== 'string') throw passerelleError('BAD_REQUEST', 'The body must be a JSON object with a "query" string.');
  // As on the JSON path (Apollo): a wrong type is the client's error, not something to ignore.
  if (body.operationName != null && typeof body.operationName !== 'string') throw passerelleError('BAD_REQUEST', '"operationName" must be a string if provided.');
  if (body.variables != null && !isRecord(body.variables)) throw passerelleError('BAD_REQUEST', '"variables" must be a JSON object if provided.');
  return {
    query: body.query,
    operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
    variables: isRecord(body.variables) ? body.variables : undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The last `next` (if any), `complete`, and the end of the response. */
function endWith(res: ServerResponse, last: FormattedExecutionResult | undefined): void {
  if (last) res.write(sseMessage('next', last));
  res.end(sseMessage('complete'));
}

/** Writes one event; resolves once it is flushed (or the client is gone), which is the back-pressure. */
function write(res: ServerResponse, chunk: string): Promise<void> {
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
