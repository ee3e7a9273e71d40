/**
 * How the gateway talks to one subgraph: Apollo's `RemoteGraphQLDataSource` (so every federation
 * case the stock gateway handles is handled the same way) over a keep-alive undici pool, with the
 * execute-stage hooks of the pipeline (timeouts…) around each fetch, failures turned into
 * catalogue errors that name the subgraph, and the caller's bearer token forwarded on every fetch.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Agent, fetch as undiciFetch } from 'undici';
import { GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import type { GatewayContext, Pipeline } from '../pipeline.ts';

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  pipeline: Pipeline;
  agent: Agent;
}

const currentSignal = new AsyncLocalStorage<AbortSignal | undefined>();

export function createSubgraphAgent(connectionsPerSubgraph = 64): Agent {
  return new Agent({ connections: connectionsPerSubgraph, keepAliveTimeout: 30_000, pipelining: 1 });
}

export class SubgraphDataSource extends RemoteGraphQLDataSource {
  private readonly subgraph: string;
  private readonly pipeline: Pipeline;

  constructor(options: SubgraphDataSourceOptions) {
    const fetcher: Fetcher = async (url, init) => {
      const response = await undiciFetch(url, { ...init, dispatcher: options.agent, signal: currentSignal.getStore() });
      // undici's Response implements the Fetch standard that Apollo's Fetcher type describes.
      return response as unknown as Awaited<ReturnType<Fetcher>>;
    };
    super({ url: options.url, fetcher });
    this.subgraph = options.name;
    this.pipeline = options.pipeline;
  }

  /** Subgraphs make their own authorisation decisions, so they see the caller's credentials. */
  override willSendRequest(options: GraphQLDataSourceProcessOptions): void {
    const { principal } = options.context as Partial<GatewayContext>;
    if (principal?.token) options.request.http?.headers.set('authorization', `Bearer ${principal.token}`);
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const hooks = this.pipeline.subgraphFetch({ subgraph: this.subgraph, operationName: options.request.operationName });
    const signals = hooks.flatMap((hook) => (hook.signal ? [hook.signal] : []));
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    try {
      const response = await currentSignal.run(signal, () => super.process(options));
      for (const hook of hooks) hook.done?.();
      return response;
    } catch (error) {
      const mapped = this.mapError(error, signal);
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
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" is unreachable (${cause}).`, { subgraph });
  }
}
