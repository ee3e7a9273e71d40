/**
 * GraphiQL's fetcher for the gateway this page is served by: HTTP POST with
 * `content-type: application/json` (the gateway's CSRF rule refuses anything a plain form or
 * EventSource could send), subscriptions over graphql-ws on the same host's /graphql, and the
 * caller's credential on both. It also reports how the schema's introspection went, so the page can
 * say in words why the editor has no schema (production refuses introspection without the scope).
 */
import { createGraphiQLFetcher, type Fetcher, type FetcherOpts, type FetcherParams } from '@graphiql/toolkit';
import { Kind, parse } from 'graphql';
import { credentialParams, type Credential } from './credentials.ts';

/** How the last introspection went: the page's banner says what each means. */
export type SchemaStatus = 'loading' | 'ready' | 'disabled' | 'unauthenticated' | 'rate-limited' | 'failed' | 'unreachable';

interface GraphQLErrorLike {
  extensions?: { code?: unknown };
}

/** The error codes (common/errors.ts) that say why the gateway refused the schema. */
function statusOf(result: unknown): SchemaStatus {
  const body = result as { data?: { __schema?: unknown }; errors?: GraphQLErrorLike[] } | null;
  const codes = (body?.errors ?? []).map((error) => error.extensions?.code);
  if (codes.includes('INTROSPECTION_DISABLED')) return 'disabled';
  if (codes.includes('UNAUTHENTICATED')) return 'unauthenticated';
  if (codes.includes('RATE_LIMITED') || codes.includes('QUOTA_EXCEEDED')) return 'rate-limited';
  return body?.data?.__schema ? 'ready' : 'failed';
}

/** ws: or wss: to the host that served this page; the gateway serves graphql-ws on /graphql. */
export function subscriptionUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}

/**
 * The operation as written in the editor: its name and document taken from the query text itself.
 * GraphiQL works them out as the editor changes, with the schema; without one (introspection
 * refused), or just after a tab switch, it can send the previous tab's operation name, which the
 * gateway refuses (OPERATION_RESOLUTION_FAILURE) and which hides a subscription from graphql-ws.
 */
function asWritten(params: FetcherParams, options: FetcherOpts | undefined): [FetcherParams, FetcherOpts | undefined] {
  try {
    const documentAST = parse(params.query);
    const names = documentAST.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value] : []));
    const named = params.operationName && names.includes(params.operationName);
    const operationName = named ? params.operationName : names.length === 1 ? (names[0] ?? null) : params.operationName;
    return [{ ...params, operationName }, { ...options, documentAST }];
  } catch {
    // Not valid GraphQL: let the gateway say so (GRAPHQL_PARSE_FAILED) in the response pane.
    return [params, options];
  }
}

export function explorerFetcher(credential: Credential | null, onSchemaStatus: (status: SchemaStatus) => void): Fetcher {
  const params = credentialParams(credential);
  const fetcher = createGraphiQLFetcher({
    url: '/graphql',
    subscriptionUrl: subscriptionUrl(window.location),
    headers: params,
    wsConnectionParams: params,
    // The gateway answers plain JSON; multipart incremental delivery would only add a code path.
    enableIncrementalDelivery: false,
  });
  return async (graphQLParams, options) => {
    if (graphQLParams.operationName !== 'IntrospectionQuery') return fetcher(...asWritten(graphQLParams, options));
    onSchemaStatus('loading');
    try {
      const result = await fetcher(graphQLParams, options);
      onSchemaStatus(statusOf(result));
      return result;
    } catch (error) {
      onSchemaStatus('unreachable');
      throw error;
    }
  };
}
