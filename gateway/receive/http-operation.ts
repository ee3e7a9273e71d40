/**
 * A query or mutation over plain HTTP (`/graphql` GET or POST, not an event stream), once the
 * request is received, authenticated, admitted and its document settled (http-handler.ts): read
 * its parameters (graphql-request.ts), prepare it like every transport does (plan/prepare.ts: the
 * cached parse and validation, the operation hooks, the plan), run the plan with the same
 * `PlanRunner` as the streams, and write one answer, serialised once.
 *
 * It answers as Apollo Server did when it held this path (tests/security/http-codes.test.ts,
 * tests/gateway/errors.test.ts): a refusal before execution — malformed parameters, a syntax or
 * validation error, bad variables, an operation that cannot be resolved — is 4xx with the errors
 * alone (the status of the first error's catalogue code, or the one its `extensions.http` names);
 * an operation that ran is 200, its field errors beside its data. Every error goes through the
 * shape stage (catalogue code, subgraph named, nothing internal).
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import { httpStatusOf, passerelleError } from '../../common/errors.ts';
import type { PlanRunner } from '../execute/index.ts';
import type { OperationPreparer, PrepareOptions } from '../plan/index.ts';
import type { Principal } from '../pipeline.ts';
import { JSON_MEDIA_TYPE, answerMediaType, httpHeadOf, sendGraphQLAnswer } from '../respond/index.ts';
import { csrfRefusal } from './csrf.ts';
import { serialisedDataOf } from '../limit/index.ts';
import { graphQLParamsOf } from './graphql-request.ts';

export interface HttpOperationOptions {
  preparer: OperationPreparer;
  /** Runs plans: the same runner as graphql-ws and SSE (execute/plan-runner.ts or its successor). */
  runner: PlanRunner;
  /** The shape stage's error formatter (gateway/shape). */
  shapeError: (formatted: GraphQLFormattedError, original: unknown) => GraphQLFormattedError;
}

export interface HttpOperationRequest {
  method: string;
  /** The settled request: the GET parameters, or the parsed POST body. */
  url: URL;
  body: unknown;
  headers: IncomingHttpHeaders;
  principal: Principal;
  /** The client giving up: `signal` fires and the plan's subgraph fetches are aborted. Read only when a fetch needs it. */
  gaveUp: { readonly signal: AbortSignal };
}

/** What telemetry records of an answered operation (pipeline.outcome). */
export interface HttpOperationAnswer {
  operationName: string | undefined;
  operationType: 'query' | 'mutation' | 'subscription' | undefined;
  errorCodes: string[];
}

export type HttpOperationHandler = (request: HttpOperationRequest, res: ServerResponse) => Promise<HttpOperationAnswer>;

export function createHttpOperationHandler(options: HttpOperationOptions): HttpOperationHandler {
  const { preparer, runner } = options;
  // Built once, not per request: the HTTP path allocates no more closures than it must.
  const overHttp: Record<'GET' | 'POST', PrepareOptions> = {
    GET: { refuse: (operation) => refuseOverHttp('GET', operation) },
    POST: { refuse: (operation) => refuseOverHttp('POST', operation) },
  };
  const shapeErrors = (errors: readonly GraphQLError[]) => errors.map((error) => options.shapeError(error.toJSON(), error));

  /** Errors alone (the operation did not run): status from `extensions.http`, else from the first error's code. */
  function refuse(res: ServerResponse, mediaType: string, errors: readonly GraphQLError[], operation?: OperationDefinitionNode): HttpOperationAnswer {
    const head = httpHeadOf(errors);
    const shaped = shapeErrors(errors);
    const status = head.status ?? httpStatusOf(shaped[0]?.extensions?.code as string | undefined);
    sendGraphQLAnswer(res, status, mediaType, serialise({ errors: shaped }), head.headers);
    return answered(operation, shaped);
  }

  return async function answer(request, res) {
    const { method, headers, principal } = request;
    const negotiated = answerMediaType(headerValue(headers.accept));
    // Errors before the operation runs fall back to JSON when the Accept header allows nothing.
    const errorMediaType = negotiated ?? JSON_MEDIA_TYPE;
    try {
      const csrf = csrfRefusal(method, headers);
      if (csrf) return refuse(res, errorMediaType, [csrf]);
      const params = graphQLParamsOf(method, request.url, headers, request.body);
      if (negotiated === undefined) {
        return refuse(res, errorMediaType, [
          passerelleError('BAD_REQUEST', "An 'accept' header was provided for this request which does not accept application/json; charset=utf-8 or application/graphql-response+json; charset=utf-8", {
            http: { status: 406 },
          }),
        ]);
      }
      if (!params.query) {
        // A hash the receive stage did not settle (no document resolver configured).
        if (params.extensions?.persistedQuery !== undefined) return refuse(res, errorMediaType, [passerelleError('PERSISTED_QUERY_NOT_SUPPORTED')]);
        return refuse(res, errorMediaType, [passerelleError('BAD_REQUEST', 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.')]);
      }

      const preparation = await preparer.prepare(
        { query: params.query, operationName: params.operationName, variables: params.variables },
        principal,
        method === 'GET' ? overHttp.GET : overHttp.POST,
      );
      if (!preparation.ok) return refuse(res, errorMediaType, preparation.errors, preparation.operation);
      const { run, operation } = preparation.prepared;

      let result: ExecutionResult;
      try {
        const { gaveUp } = request;
        result = await runner.run({
          ...run,
          context: {
            ...run.context,
            get signal() {
              return gaveUp.signal;
            },
          },
        });
      } catch (error) {
        // The runner failed as a whole (not a subgraph: those are field errors): logged by the shape stage.
        return refuse(res, errorMediaType, [error instanceof GraphQLError ? error : new GraphQLError('Internal server error', { originalError: error as Error })], operation);
      }
      if (!result.errors || result.errors.length === 0) {
        sendGraphQLAnswer(res, 200, negotiated, serialise({ data: result.data, extensions: result.extensions }));
        return answered(operation, []);
      }
      const head = httpHeadOf(result.errors);
      const shaped = shapeErrors(result.errors);
      // No data at all is a refusal too; field errors beside data are not.
      const status = head.status ?? (result.data === undefined ? httpStatusOf(shaped[0]?.extensions?.code as string | undefined) : 200);
      sendGraphQLAnswer(res, status, negotiated, serialise({ errors: shaped, data: result.data, extensions: result.extensions }), head.headers);
      return answered(operation, shaped);
    } catch (error) {
      if (error instanceof GraphQLError) return refuse(res, errorMediaType, [error]);
      throw error;
    }
  };
}

/**
 * What one HTTP answer cannot carry: a mutation over GET is refused earlier (receive stage,
 * METHOD_NOT_ALLOWED); a subscription over GET gets 405 as Apollo Server answered it; a POSTed
 * subscription is told which transports serve subscriptions.
 */
function refuseOverHttp(method: string, operation: OperationDefinitionNode): GraphQLError | undefined {
  if (method === 'GET' && operation.operation !== 'query') {
    return passerelleError('BAD_REQUEST', `GET requests only support query operations, not ${operation.operation} operations`, {
      http: { status: 405, headers: { allow: 'POST' } },
    });
  }
  if (operation.operation === 'subscription') {
    return passerelleError('BAD_REQUEST', 'Subscriptions are served over graphql-ws (WebSocket on /graphql) or SSE (Accept: text/event-stream).');
  }
  return undefined;
}

/**
 * Errors first, as Apollo Server wrote them (graphql/graphql-spec#384); absent fields are left out.
 * In pieces: the answer's JSON is encoded piece by piece into one buffer, never joined into one
 * more string first.
 */
function serialise(result: { errors?: readonly GraphQLFormattedError[]; data?: unknown; extensions?: unknown }): string[] {
  // `data` already serialised by the response limit's check (limit/response-size.ts): not twice.
  const data = serialisedDataOf(result.data);
  if (data === undefined) return [JSON.stringify({ errors: result.errors, data: result.data, extensions: result.extensions }), '\n'];
  const errors = result.errors === undefined ? '{' : `{"errors":${JSON.stringify(result.errors)},`;
  const extensions = result.extensions === undefined ? '}\n' : `,"extensions":${JSON.stringify(result.extensions)}}\n`;
  return [`${errors}"data":`, data, extensions];
}

function answered(operation: OperationDefinitionNode | undefined, errors: readonly GraphQLFormattedError[]): HttpOperationAnswer {
  return {
    operationName: operation?.name?.value,
    operationType: operation?.operation,
    errorCodes: errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
