/**
 * A subscription that survives: graphql-ws over the page's own origin, resumed from the last cursor
 * received after any drop (network, gateway restart, slow subscriber), with exponential backoff.
 *
 * graphql-ws's own retry would re-send the ORIGINAL subscribe message, i.e. the `after` given at the
 * start, and replay what was already shown; so its retries are off and each attempt subscribes
 * afresh with the cursor of the last event received. The server replays what was missed, then
 * goes live: no gap, nothing twice.
 */
import { createClient, type Client } from 'graphql-ws';
import { GRAPHQL_PATH, describeErrors, type ApiError } from './http.ts';
import type { TypedDocumentString } from '../operations/generated.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface FollowOptions<TResult, TVariables> {
  document: TypedDocumentString<TResult, TVariables>;
  /** Variables for an attempt, given the cursor to resume from (null: from now on). */
  variables: (after: string | null) => TVariables;
  token?: string | null;
  /** The cursor to start from (e.g. kept in localStorage); null: only changes from now on. */
  cursor: string | null;
  /** Picks the event's cursor out of a result. */
  cursorOf: (data: TResult) => string | null | undefined;
  onEvent: (data: TResult, cursor: string | null) => void;
  onState: (state: LiveState) => void;
  /**
   * A GraphQL error the server sent for the subscription (e.g. a cursor older than the journal):
   * retry from the last cursor, restart from `restartCursor()`'s, or stop.
   */
  onError: (message: string, errors: ApiError[]) => 'retry' | 'restart' | 'stop';
  /** Where a restart starts from (e.g. the cursor of a fresh read); null or absent: from now on. */
  restartCursor?: () => Promise<string | null>;
  /** A new socket is up (first time or after a drop). */
  onConnected?: (attempt: number) => void;
}

export interface Following {
  stop(): void;
  /** The cursor of the last event received. */
  cursor(): string | null;
}

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

function socketUrl(): string {
  const url = new URL(GRAPHQL_PATH, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

export function follow<TResult, TVariables>(options: FollowOptions<TResult, TVariables>): Following {
  let cursor = options.cursor;
  let stopped = false;
  let failures = 0;
  let attempt = 0;
  let client: Client | null = null;
  let unsubscribe: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const retry = () => {
    if (stopped) return;
    unsubscribe = null;
    void client?.dispose();
    client = null;
    options.onState('reconnecting');
    // Exponential backoff with jitter, so that every page of a restarted gateway does not come back at once.
    const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** failures) * (0.75 + Math.random() * 0.5);
    failures++;
    timer = setTimeout(start, delay);
  };

  function start() {
    if (stopped) return;
    attempt++;
    const thisAttempt = attempt;
    client = createClient({
      url: socketUrl(),
      lazy: true,
      retryAttempts: 0,
      connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : {},
      on: {
        connected: () => {
          failures = 0;
          options.onState('live');
          options.onConnected?.(thisAttempt);
        },
      },
    });
    options.onState(thisAttempt === 1 ? 'connecting' : 'reconnecting');
    unsubscribe = client.subscribe<TResult>(
      { query: options.document.toString(), variables: options.variables(cursor) as Record<string, unknown> },
      {
        next: (result) => {
          if (thisAttempt !== attempt) return;
          if (result.errors?.length) {
            const errors = result.errors as unknown as ApiError[];
            const decision = options.onError(describeErrors(errors), errors);
            if (decision === 'stop') return stop();
            if (decision === 'restart') {
              cursor = null;
              const fresh = options.restartCursor?.() ?? Promise.resolve(null);
              void fresh.then((next) => {
                cursor = next;
                retry();
              });
              return;
            }
            return retry();
          }
          if (!result.data) return;
          const data = result.data as TResult;
          cursor = options.cursorOf(data) ?? cursor;
          options.onEvent(data, cursor);
        },
        error: () => {
          if (thisAttempt === attempt) retry();
        },
        // The server ended the stream (it never does on its own): treat it as a drop and resume.
        complete: () => {
          if (thisAttempt === attempt && !stopped) retry();
        },
      },
    );
  }

  function stop() {
    stopped = true;
    clearTimeout(timer);
    unsubscribe?.();
    void client?.dispose();
    options.onState('stopped');
  }

  start();
  return { stop, cursor: () => cursor };
}
