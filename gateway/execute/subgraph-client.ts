/**
 * The gateway's plain HTTP client toward its subgraphs: one JSON body out, one buffer in, parsed
 * once, through a keep-alive undici pool per subgraph origin (execute/subgraph-guards.ts) — no
 * Request/Response objects, no web streams, no AsyncLocalStorage and no AbortSignal built per fetch
 * on the hot path. Around each physical request: the subgraph's guard (breaker, bulkhead, retries of
 * reads within a budget), the pipeline's `onSubgraphFetch` hooks (one deadline per request: the
 * smallest `timeoutMs` asked; headers; `done`), the caller's identity signed into
 * `x-passerelle-identity` (never the caller's own credentials), and every failure turned into a
 * catalogue error that names the subgraph.
 *
 * In-flight de-duplication (SUBGRAPH_DEDUP): identical query fetches to the same subgraph for the
 * same authority (gateway/authenticate `authorityKey`: callers who may see different data never
 * share) that overlap in time share one physical request. Each waiter gets its own parse of the
 * body (the engine writes into what it receives), and a waiter that gives up leaves the others'
 * request running: it is aborted only once every waiter has gone.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import { IDENTITY_HEADER } from '../../common/identity.ts';
import { GuardRefusal } from '../../common/resilience.ts';
import { authorityKey } from '../authenticate/index.ts';
import type { Pipeline, Principal, SubgraphFetchHooks } from '../pipeline.ts';
import { describeFailure } from './describe-failure.ts';
import { exchange } from './subgraph-exchange.ts';
import { isRetryable, markClientAbort, markUnreachable, refusalError } from './subgraph-failure.ts';
import type { SubgraphGuards } from './subgraph-guards.ts';

export interface SubgraphRequest {
  subgraph: string;
  /** The operation text sent (a plan's fetch, or several sibling fetches merged into one). */
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  /** Mutations are never retried and never de-duplicated. */
  kind: 'query' | 'mutation';
  /** Who calls: signed into the identity header, and part of the de-duplication key. */
  principal: Principal;
  /** The client gave up: the fetch is aborted (and never held against the subgraph's breaker). */
  signal?: AbortSignal;
}

export interface SubgraphResponse {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}

export interface SubgraphClientOptions {
  /** The current URL of a subgraph (changes with the supergraph); undefined: unknown subgraph. */
  urlOf: (subgraph: string) => string | undefined;
  /** Pools and guards per subgraph (breaker, bulkhead, retry budget). */
  guards: SubgraphGuards;
  pipeline: Pipeline;
  /** Signs the caller's identity (common/identity.ts). */
  identity: (principal: Principal) => string;
  /**
   * Largest body read from one fetch (MAX_SUBGRAPH_RESPONSE_BYTES), counted while it arrives; a
   * declared Content-Length over it fails before anything is read. Past it the connection is
   * dropped and the fetch fails with RESPONSE_TOO_LARGE naming the subgraph. Unset: no limit.
   */
  maxResponseBytes?: number;
  /** In-flight de-duplication of identical query fetches (SUBGRAPH_DEDUP, default on). */
  dedup: boolean;
}

export interface SubgraphClient {
  /**
   * One request to a subgraph. Fails (rejects) with a catalogue GraphQLError naming the subgraph:
   * SUBGRAPH_UNAVAILABLE (unreachable, HTTP error status, breaker open, bulkhead full),
   * GATEWAY_TIMEOUT, RESPONSE_TOO_LARGE. GraphQL errors in a 200 answer are in `errors`.
   */
  fetch(request: SubgraphRequest): Promise<SubgraphResponse>;
  /** Physical requests sent so far per subgraph (tests and benchmarks read it). */
  stats(): { sent: Record<string, number>; deduplicated: Record<string, number> };
}

/** A body received: its text (each further waiter parses its own copy) and the first parse. */
interface Received {
  text: string;
  parsed: SubgraphResponse;
}

/** One logical fetch (retries included) and the callers waiting on it. */
interface Flight {
  readonly subgraph: string;
  /** Its de-duplication key; undefined when it is not shared. */
  readonly key: string | undefined;
  waiters: number;
  /** Every waiter gave up: no attempt is started any more. */
  abandoned: boolean;
  /** Aborts the physical request under way, if any. */
  stop: (() => void) | undefined;
  /** The first waiter to settle takes the original result or error; the others get copies. */
  claimed: boolean;
  outcome: Promise<Received>;
}

/** Why the physical request was aborted. */
type StopReason = 'timeout' | 'abandoned' | { hook: AbortSignal };

/** One physical request, armed before it waits for a slot of the subgraph's bulkhead. */
interface Armed {
  hooks: SubgraphFetchHooks[];
  headers: Record<string, string>;
  why: StopReason | undefined;
  /** It has its slot and is being sent. */
  started: boolean;
  /** It was stopped before it started: the error it failed with. */
  failure: GraphQLError | undefined;
  /** Stops the request under way (set once it is sent). */
  abort: (() => void) | undefined;
  /** Rejects when it is stopped before it started. */
  expired: Promise<never>;
  /** Clears its deadline and listeners. */
  disarm(): void;
}

export function createSubgraphClient(options: SubgraphClientOptions): SubgraphClient {
  const inflight = new Map<string, Flight>();
  const sent: Record<string, number> = {};
  const deduplicated: Record<string, number> = {};
  // The path of each URL, parsed once (URLs change only with the supergraph).
  const paths = new Map<string, string>();
  const pathOf = (url: string): string => {
    let path = paths.get(url);
    if (path === undefined) {
      const parsed = new URL(url);
      path = `${parsed.pathname}${parsed.search}`;
      paths.set(url, path);
    }
    return path;
  };

  function fetch(request: SubgraphRequest): Promise<SubgraphResponse> {
    const { subgraph, signal } = request;
    if (signal?.aborted) return Promise.reject(abandonedError(subgraph));
    const url = options.urlOf(subgraph);
    if (url === undefined) {
      return Promise.reject(passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" is not in the supergraph.`, { subgraph }));
    }
    const body = JSON.stringify({ query: request.query, operationName: request.operationName, variables: request.variables });
    // The body already holds query, operationName and variables, unambiguously; the authority, not
    // the signed header (which carries a timestamp), says who may share.
    const key = options.dedup && request.kind === 'query' ? `${subgraph}\n${authorityKey(request.principal)}\n${body}` : undefined;
    let flight = key === undefined ? undefined : inflight.get(key);
    if (flight) {
      deduplicated[subgraph] = (deduplicated[subgraph] ?? 0) + 1;
    } else {
      flight = { subgraph, key, waiters: 0, abandoned: false, stop: undefined, claimed: false, outcome: undefined as unknown as Promise<Received> };
      if (key !== undefined) inflight.set(key, flight);
      flight.outcome = run(flight, request, url, body);
    }
    return wait(flight, signal);
  }

  /**
   * The logical fetch: the guard's attempts, each a physical request. The first attempt is armed
   * (hooks, deadline) before it waits for a slot of the subgraph's bulkhead, so its deadline counts
   * that wait: a fetch queued behind a slow subgraph fails at its deadline, and is then never sent.
   */
  async function run(flight: Flight, request: SubgraphRequest, url: string, body: string): Promise<Received> {
    const { guard } = options.guards.of(flight.subgraph);
    const first = arm(flight, request);
    let next: Armed | undefined = first;
    try {
      const attempts = guard.run(
        () => {
          const armed = next ?? arm(flight, request);
          next = undefined;
          return attempt(flight, armed, request, url, body);
        },
        { idempotent: request.kind === 'query', retryable: isRetryable },
      );
      // Settled either way; when the wait lost the race, what the queue later does is already answered.
      attempts.catch(() => undefined);
      return await Promise.race([attempts, first.expired]);
    } catch (error) {
      throw error instanceof GuardRefusal ? refusalError(flight.subgraph, error) : error;
    } finally {
      if (next === first) first.disarm();
      // Settled (or given up): later identical fetches start their own.
      forget(flight);
    }
  }

  /** A physical request's hooks, headers, deadline and stop switch, made before it waits for a slot. */
  function arm(flight: Flight, request: SubgraphRequest): Armed {
    const { subgraph } = flight;
    const hooks = options.pipeline.subgraphFetch({ subgraph, operationName: request.operationName });
    let deadline: number | undefined;
    let headers: Record<string, string> = {};
    const listeners: [AbortSignal, () => void][] = [];
    let expire: (error: GraphQLError) => void = () => undefined;
    const armed: Armed = {
      hooks,
      headers,
      why: undefined,
      started: false,
      failure: undefined,
      abort: undefined,
      expired: new Promise<never>((_resolve, reject) => (expire = reject)),
      disarm: () => {
        if (timer) clearTimeout(timer);
        for (const [hookSignal, listener] of listeners) hookSignal.removeEventListener('abort', listener);
        if (flight.stop === stopAbandoned) flight.stop = undefined;
      },
    };
    // Only ever rejected before the request starts; nobody awaits it otherwise.
    armed.expired.catch(() => undefined);
    const stop = (reason: StopReason) => {
      if (armed.why !== undefined) return;
      armed.why = reason;
      if (armed.started) {
        armed.abort?.();
        return;
      }
      // Still waiting for a slot: fails now, and will not be sent when the slot comes.
      armed.failure = mapError(subgraph, undefined, reason);
      for (const hook of hooks) hook.done?.(armed.failure);
      armed.disarm();
      expire(armed.failure);
    };
    for (const hook of hooks) {
      if (hook.timeoutMs !== undefined) deadline = deadline === undefined ? hook.timeoutMs : Math.min(deadline, hook.timeoutMs);
      if (hook.headers) headers = { ...headers, ...hook.headers };
      const hookSignal = hook.signal;
      if (hookSignal) {
        const listener = () => stop({ hook: hookSignal });
        hookSignal.addEventListener('abort', listener, { once: true });
        listeners.push([hookSignal, listener]);
      }
    }
    // Set last: no hook can replace who calls.
    headers['content-type'] = 'application/json';
    headers[IDENTITY_HEADER] = options.identity(request.principal);
    armed.headers = headers;
    const stopAbandoned = () => stop('abandoned');
    flight.stop = stopAbandoned;
    const timer = deadline === undefined ? undefined : setTimeout(stop, deadline, 'timeout');
    for (const [hookSignal] of listeners) if (hookSignal.aborted) stop({ hook: hookSignal });
    return armed;
  }

  /** One physical request, once it has its slot. */
  async function attempt(flight: Flight, armed: Armed, request: SubgraphRequest, url: string, body: string): Promise<Received> {
    const { subgraph } = flight;
    // Stopped while it waited: already answered (and its hooks told).
    if (armed.failure) throw armed.failure;
    if (flight.abandoned) {
      armed.disarm();
      throw abandonedError(subgraph);
    }
    armed.started = true;
    sent[subgraph] = (sent[subgraph] ?? 0) + 1;
    try {
      const text = await exchange({ subgraph, pool: options.guards.pool(url), path: pathOf(url), headers: armed.headers, body, maxBytes: options.maxResponseBytes }, (abort) => (armed.abort = abort));
      const received: Received = { text, parsed: parseResponse(subgraph, text) };
      for (const hook of armed.hooks) hook.done?.();
      return received;
    } catch (error) {
      const mapped = mapError(subgraph, error, armed.why);
      for (const hook of armed.hooks) hook.done?.(mapped);
      throw mapped;
    } finally {
      armed.disarm();
    }
  }

  function wait(flight: Flight, signal: AbortSignal | undefined): Promise<SubgraphResponse> {
    flight.waiters += 1;
    if (!signal) return flight.outcome.then((received) => take(flight, received), (error: unknown) => Promise.reject(claimError(flight, error)));
    return new Promise<SubgraphResponse>((resolve, reject) => {
      const onAbort = () => {
        leave(flight);
        reject(abandonedError(flight.subgraph));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.outcome.then(
        (received) => {
          signal.removeEventListener('abort', onAbort);
          if (!signal.aborted) resolve(take(flight, received));
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          if (!signal.aborted) reject(claimError(flight, error));
        },
      );
    });
  }

  /** A waiter gave up; the last one to go stops the request (and a retry would not start). */
  function leave(flight: Flight): void {
    flight.waiters -= 1;
    if (flight.waiters > 0) return;
    flight.abandoned = true;
    forget(flight);
    flight.stop?.();
  }

  function forget(flight: Flight): void {
    if (flight.key !== undefined && inflight.get(flight.key) === flight) inflight.delete(flight.key);
  }

  return {
    fetch,
    stats: () => ({ sent: { ...sent }, deduplicated: { ...deduplicated } }),
  };
}

/** The first waiter takes the parse made while receiving; every other one parses its own copy. */
function take(flight: Flight, received: Received): SubgraphResponse {
  if (!flight.claimed) {
    flight.claimed = true;
    return received.parsed;
  }
  return JSON.parse(received.text) as SubgraphResponse;
}

function claimError(flight: Flight, error: unknown): unknown {
  if (!flight.claimed) {
    flight.claimed = true;
    return error;
  }
  return error instanceof GraphQLError ? new GraphQLError(error.message, { extensions: { ...error.extensions } }) : error;
}

function parseResponse(subgraph: string, text: string): SubgraphResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" answered a body that is not JSON (${describeFailure(error)}).`, { subgraph });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" answered JSON that is not a GraphQL response.`, { subgraph });
  }
  return parsed as SubgraphResponse;
}

function mapError(subgraph: string, error: unknown, why: StopReason | undefined): GraphQLError {
  if (why === 'timeout') return passerelleError('GATEWAY_TIMEOUT', `Subgraph "${subgraph}" did not answer in time.`, { subgraph });
  if (why === 'abandoned') return abandonedError(subgraph);
  if (why !== undefined) {
    const reason: unknown = why.hook.reason;
    if ((reason as Error | undefined)?.name === 'TimeoutError') {
      return passerelleError('GATEWAY_TIMEOUT', `Subgraph "${subgraph}" did not answer in time.`, { subgraph });
    }
    return markUnreachable(passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" is unreachable (${describeFailure(reason)}).`, { subgraph }));
  }
  if (error instanceof GraphQLError) return error;
  return markUnreachable(passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" is unreachable (${describeFailure(error)}).`, { subgraph }));
}

/** The caller gave up: never held against the subgraph, never retried. */
function abandonedError(subgraph: string): GraphQLError {
  return markClientAbort(passerelleError('SUBGRAPH_UNAVAILABLE', `The fetch from subgraph "${subgraph}" was abandoned: the client gave up.`, { subgraph }));
}
