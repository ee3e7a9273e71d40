/**
 * How the gateway talks to one subgraph: Apollo's `RemoteGraphQLDataSource` (so every federation
 * case the stock gateway handles is handled the same way) over a keep-alive undici pool, with the
 * execute-stage hooks of the pipeline (timeouts…) around each fetch, failures turned into
 * catalogue errors that name the subgraph, and the caller's identity, signed by the gateway
 * (common/identity.ts), on every fetch — never the caller's own credentials.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Agent, Response, fetch as undiciFetch, type Dispatcher } from 'undici';
import { GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import { GuardRefusal, type Guard } from '../../common/resilience.ts';
import { IDENTITY_HEADER } from '../../common/identity.ts';
import { ANONYMOUS, type GatewayContext, type Pipeline, type Principal } from '../pipeline.ts';
import { describeFailure } from './describe-failure.ts';
import { isRetryable, isSubgraphFailure, markClientAbort, markUnreachable, refusalError } from './subgraph-failure.ts';

export { isSubgraphFailure };

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  pipeline: Pipeline;
  /** The keep-alive pool of a URL's origin (execute/subgraph-guards.ts). */
  pool: (url: string) => Dispatcher;
  /** Signs the caller's identity for the subgraph (GATEWAY_SECRET); the subgraph refuses fetches without it. */
  identity: (principal: Principal) => string;
  /**
   * Largest body read from one fetch (MAX_SUBGRAPH_RESPONSE_BYTES), counted while it streams in;
   * past it the fetch is aborted and its fields are null with RESPONSE_TOO_LARGE naming the
   * subgraph. Unset: no limit.
   */
  maxResponseBytes?: number;
  /**
   * This subgraph's circuit breaker, bulkhead and retry budget (common/resilience.ts). Only query
   * fetches are retried, never a mutation's. An open breaker or a full bulkhead fails the fetch at
   * once with SUBGRAPH_UNAVAILABLE naming the subgraph. Unset: every fetch goes straight through.
   */
  guard?: Guard;
}

/** The fetch is a query (Apollo writes `query …` or `{ … }`); a mutation's fetch is never repeated. */
function isRead(document: string | undefined): boolean {
  return document !== undefined && /^\s*(query\b|\{)/.test(document);
}

/** What the fetcher needs of the current fetch's hooks (the fetcher is called deep inside Apollo). */
const currentFetch = new AsyncLocalStorage<{ signal: AbortSignal | undefined; headers: Record<string, string> | undefined }>();

export function createSubgraphAgent(connectionsPerSubgraph = 64): Agent {
  return new Agent({ connections: connectionsPerSubgraph, keepAliveTimeout: 30_000, pipelining: 1 });
}

export class SubgraphDataSource extends RemoteGraphQLDataSource {
  private readonly subgraph: string;
  private readonly pipeline: Pipeline;
  private readonly identity: (principal: Principal) => string;
  private readonly guard?: Guard;

  constructor(options: SubgraphDataSourceOptions) {
    const fetcher: Fetcher = async (url, init) => {
      const current = currentFetch.getStore();
      // The identity header (set by willSendRequest) wins over a hook's header of the same name.
      const headers = current?.headers ? { ...current.headers, ...(init?.headers as Record<string, string> | undefined) } : init?.headers;
      let response = await undiciFetch(url, { ...init, headers, dispatcher: options.pool(url), signal: current?.signal });
      if (options.maxResponseBytes !== undefined) response = await readAtMost(response, options.maxResponseBytes, options.name);
      // undici's Response implements the Fetch standard that Apollo's Fetcher type describes.
      return response as unknown as Awaited<ReturnType<Fetcher>>;
    };
    super({ url: options.url, fetcher });
    this.subgraph = options.name;
    this.pipeline = options.pipeline;
    this.identity = options.identity;
    this.guard = options.guard;
  }

  /**
   * Subgraphs make their own row-level decisions, so they learn who calls — from the gateway's
   * signature, not from credentials they would have to trust. Anonymous fetches are signed too.
   */
  override willSendRequest(options: GraphQLDataSourceProcessOptions): void {
    const { principal } = options.context as Partial<GatewayContext>;
    options.request.http?.headers.set(IDENTITY_HEADER, this.identity(principal ?? ANONYMOUS));
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const guard = this.guard;
    if (!guard) return this.fetchOnce(options);
    try {
      return await guard.run(() => this.fetchOnce(options), { idempotent: isRead(options.request.query), retryable: isRetryable });
    } catch (error) {
      if (!(error instanceof GuardRefusal)) throw error;
      throw refusalError(this.subgraph, error);
    }
  }

  /** One fetch, with the pipeline's hooks (timeouts…) around it and its failure mapped to the catalogue. */
  private async fetchOnce(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const hooks = this.pipeline.subgraphFetch({ subgraph: this.subgraph, operationName: options.request.operationName });
    const signals = hooks.flatMap((hook) => (hook.signal ? [hook.signal] : []));
    // This path is kept until the engine's client (subgraph-client.ts) replaces it: a hook's
    // deadline becomes a signal here.
    const timeouts = hooks.flatMap((hook) => (hook.timeoutMs !== undefined ? [hook.timeoutMs] : []));
    if (timeouts.length > 0) signals.push(AbortSignal.timeout(Math.min(...timeouts)));
    const headers = hooks.some((hook) => hook.headers) ? Object.assign({}, ...hooks.map((hook) => hook.headers)) : undefined;
    // The client gave up: its subgraph work stops too (the subgraph sees the connection close).
    const clientSignal = (options.context as Partial<GatewayContext>).signal;
    if (clientSignal) signals.push(clientSignal);
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    try {
      const response = await currentFetch.run({ signal, headers }, () => super.process(options));
      for (const hook of hooks) hook.done?.();
      return response;
    } catch (error) {
      const mapped = this.mapError(error, signal);
      if (clientSignal?.aborted) markClientAbort(mapped);
      for (const hook of hooks) hook.done?.(mapped);
      throw mapped;
    }
  }

  private mapError(error: unknown, signal: AbortSignal | undefined): GraphQLError {
    const subgraph = this.subgraph;
    if (signal?.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError') {
      return passerelleError('GATEWAY_TIMEOUT', `Subgraph "${subgraph}" did not answer in time.`, { subgraph });
    }
    if (error instanceof GraphQLError) {
      const response = error.extensions.response as { status?: number } | undefined;
      if (response?.status) {
        return passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" answered HTTP ${response.status}.`, {
          subgraph,
          status: response.status,
        });
      }
      return error;
    }
    return markUnreachable(passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" is unreachable (${describeFailure(error)}).`, { subgraph }));
  }
}

/**
 * The response with its body read into memory, but never more than `limit` bytes of it: past the
 * limit the body stream is cancelled (which closes the connection, so the subgraph stops sending)
 * and the fetch fails with RESPONSE_TOO_LARGE. A declared Content-Length over the limit fails
 * before anything is read.
 */
async function readAtMost(response: Response, limit: number, subgraph: string): Promise<Response> {
  const tooLarge = () =>
    passerelleError('RESPONSE_TOO_LARGE', `Subgraph "${subgraph}" answered more than ${limit} bytes; its part of the answer is null.`, {
      subgraph,
      limit,
    });
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return response;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new Response(Buffer.concat(chunks), { status: response.status, statusText: response.statusText, headers: response.headers });
}
