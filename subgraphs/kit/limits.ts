/**
 * The limits every subgraph applies itself, whoever calls it: a subgraph answers only the gateway,
 * but must not be exhaustible by a caller that reaches it directly, nor by a gateway bug
 * (issue 7: a 300 MB body took geo to 1.25 GB; one amplifying query took lycees to 4.3 GB, and
 * kept working for minutes after the gateway had given up).
 *
 * - body size (SUBGRAPH_MAX_BODY_BYTES): counted while the body is read, HTTP 413 past it;
 * - depth (SUBGRAPH_MAX_DEPTH): the gateway's own linear rule, common/validation/MaxDepthRule.ts;
 * - result size (SUBGRAPH_MAX_RESULT_OBJECTS): fields resolved for one request, counted by an
 *   Apollo plugin's `willResolveField`; past the limit no further field resolves and the request
 *   fails as a whole with RESPONSE_TOO_LARGE;
 * - cancellation: when the caller's connection closes before the answer, the request's signal
 *   fires and no further field resolves (loaders may also watch `signal`), so an abandoned
 *   amplifying query stops building its answer.
 */
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';

export interface SubgraphLimits {
  /** Largest request body read, in bytes (SUBGRAPH_MAX_BODY_BYTES, default 2,000,000); larger gets HTTP 413 PAYLOAD_TOO_LARGE. */
  maxBodyBytes: number;
  /** Deepest selection set accepted (SUBGRAPH_MAX_DEPTH, default 20); deeper gets MAX_DEPTH_EXCEEDED. */
  maxDepth: number;
  /** Most fields resolved for one request (SUBGRAPH_MAX_RESULT_OBJECTS, default 200,000); past it RESPONSE_TOO_LARGE. */
  maxResultObjects: number;
}

export const DEFAULT_SUBGRAPH_LIMITS: SubgraphLimits = { maxBodyBytes: 2_000_000, maxDepth: 20, maxResultObjects: 200_000 };

/** The limits from a subgraph's parsed configuration (common/config.ts `subgraphLimits`). */
export function subgraphLimitsOf(config: { subgraphMaxBodyBytes: number; subgraphMaxDepth: number; subgraphMaxResultObjects: number }): SubgraphLimits {
  return { maxBodyBytes: config.subgraphMaxBodyBytes, maxDepth: config.subgraphMaxDepth, maxResultObjects: config.subgraphMaxResultObjects };
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The request body is larger than ${limit} bytes.`);
  }
}

/** The body as text, refusing (BodyTooLargeError) as soon as it grows past `limit` bytes. */
export async function readLimitedBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What the limits plugin knows of one request, keyed by its context object. */
interface RequestState {
  signal: AbortSignal;
  resolved: number;
  tooLarge: boolean;
}

// A symbol property rather than a WeakMap: Apollo Server hands plugins a shallow clone of the
// context object, which copies own symbol properties but is not the same WeakMap key.
const STATE = Symbol('passerelle.subgraphLimits');

/** Registers a request's context with the limits plugin (before Apollo executes it). */
export function trackRequest(context: object, signal: AbortSignal): void {
  Object.defineProperty(context, STATE, { value: { signal, resolved: 0, tooLarge: false } satisfies RequestState, enumerable: true });
}

/** The one error every field gets once a request is stopped; its path makes graphql-js reuse it as is. */
function stoppedError(code: 'RESPONSE_TOO_LARGE' | 'BAD_REQUEST', message?: string): GraphQLError {
  const error = passerelleError(code, message);
  return new GraphQLError(error.message, { path: [], extensions: error.extensions });
}

function stateOf(context: object): RequestState | undefined {
  return (context as { [STATE]?: RequestState })[STATE];
}

/** The Apollo plugin that counts resolved fields and stops resolving when the caller has gone. */
export function subgraphLimitsPlugin<TContext extends BaseContext>(limits: SubgraphLimits): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue }) {
      const state = stateOf(contextValue);
      if (!state) return;
      let stopped: GraphQLError | undefined;
      return {
        async executionDidStart() {
          return {
            willResolveField() {
              // Thrown errors null this field (and, through non-null parents, whole branches),
              // so an over-large or abandoned answer stops growing at once. Once stopped, every
              // field still queued gets the same error object: it already has a path, so
              // graphql-js adds it as is, and a million queued fields cost a million throws, not
              // a million new errors with their stack traces (that took lycees 30 s, issue 7).
              if (state.signal.aborted) throw (stopped ??= stoppedError('BAD_REQUEST', 'The caller closed the request.'));
              if (state.tooLarge) throw (stopped ??= stoppedError('RESPONSE_TOO_LARGE'));
              state.resolved += 1;
              if (state.resolved > limits.maxResultObjects) {
                state.tooLarge = true;
                throw (stopped ??= stoppedError('RESPONSE_TOO_LARGE'));
              }
            },
          };
        },
        async willSendResponse({ response }) {
          if (!state.tooLarge || response.body.kind !== 'single') return;
          response.body.singleResult = {
            data: null,
            errors: [
              {
                message: `The answer needs more than ${limits.maxResultObjects} fields resolved; ask for less.`,
                extensions: { code: 'RESPONSE_TOO_LARGE', limit: limits.maxResultObjects },
              },
            ],
          };
        },
      };
    },
  };
}
