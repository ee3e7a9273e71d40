/**
 * graphql-js 16 abandons promises: when a field of a list item or of a selection set fails
 * synchronously and the error propagates through a non-null parent, the siblings already started
 * (promises) are dropped without a rejection handler. If one of them rejects later — typically
 * because its own fields hit the same limit (kit/limits.ts: RESPONSE_TOO_LARGE, caller gone) —
 * Node sees an unhandled rejection and, by default, kills the process: one large query took a
 * whole subgraph down for every caller (found by tests/security/random-operations.test.ts).
 *
 * The answer was already decided by the first error; the dropped branch's error only repeats it.
 * Such errors are recognisable: graphql-js locates every execution error (it gives it a `path`)
 * before it rejects a branch. Those are logged at debug level and ignored; any other unhandled
 * rejection still ends the process, as before.
 */
import { GraphQLError } from 'graphql';
import type { Logger } from '../../common/logger.ts';

let installed = false;

/** Installs the process-wide guard once (every subgraph of the process shares it). */
export function guardAbandonedBranches(logger: Logger): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    if (reason instanceof GraphQLError && Array.isArray(reason.path)) {
      logger.debug({ code: reason.extensions.code, path: reason.path.join('.') }, 'error of an abandoned execution branch ignored');
      return;
    }
    // Anything else is a real bug: crash as Node would without this listener.
    throw reason;
  });
}
