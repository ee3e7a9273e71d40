/**
 * Caps on long-lived streams, so that one caller cannot hold the gateway's (and the subgraphs')
 * memory: subscriptions per graphql-ws connection, subscriptions per caller over all its
 * connections and SSE streams, and graphql-ws connections per caller. Counted on this replica
 * (a stream lives on one replica, and so does what it costs); the caller is `callerKey`'s — API
 * key, user, or IP address for anonymous callers.
 *
 * A slot is taken synchronously when the operation is checked, before any await, so a burst of
 * `subscribe` messages cannot all pass the check before any of them is counted; each lease is
 * released exactly once, however the stream ends.
 */
import { passerelleError } from '../../common/errors.ts';
import type { GraphQLError } from 'graphql';

export interface SubscriptionCapsOptions {
  /** Subscriptions open at once on one graphql-ws connection (MAX_SUBSCRIPTIONS_PER_SOCKET). */
  perSocket: number;
  /** Subscriptions open at once for one caller on this replica, sockets and SSE together (MAX_SUBSCRIPTIONS_PER_PRINCIPAL). */
  perPrincipal: number;
  /** graphql-ws connections open at once for one caller on this replica (MAX_SOCKETS_PER_PRINCIPAL). */
  socketsPerPrincipal: number;
}

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

/** One connection's own count of subscriptions. */
export interface SocketSlots {
  open: number;
}

export class SubscriptionCaps {
  private readonly options: SubscriptionCapsOptions;
  private readonly subscriptions = new Map<string, number>();
  private readonly sockets = new Map<string, number>();

  constructor(options: SubscriptionCapsOptions) {
    this.options = options;
  }

  /** A connection slot for `caller`, or undefined when it already has MAX_SOCKETS_PER_PRINCIPAL. */
  openSocket(caller: string): Release | undefined {
    if ((this.sockets.get(caller) ?? 0) >= this.options.socketsPerPrincipal) return undefined;
    increment(this.sockets, caller);
    return once(() => decrement(this.sockets, caller));
  }

  /**
   * A subscription slot for `caller` (and its connection, for graphql-ws), or the
   * TOO_MANY_SUBSCRIPTIONS error to answer that subscription with.
   */
  reserve(caller: string, socket?: SocketSlots): Release | GraphQLError {
    if (socket && socket.open >= this.options.perSocket) {
      return passerelleError('TOO_MANY_SUBSCRIPTIONS', `This connection already has ${this.options.perSocket} subscriptions open (the most allowed); complete one first.`, {
        limit: this.options.perSocket,
      });
    }
    if ((this.subscriptions.get(caller) ?? 0) >= this.options.perPrincipal) {
      return passerelleError('TOO_MANY_SUBSCRIPTIONS', `This caller already has ${this.options.perPrincipal} subscriptions open (the most allowed); complete one first.`, {
        limit: this.options.perPrincipal,
      });
    }
    increment(this.subscriptions, caller);
    if (socket) socket.open += 1;
    return once(() => {
      decrement(this.subscriptions, caller);
      if (socket) socket.open -= 1;
    });
  }

  /** Open subscriptions and connections per caller right now (for tests and /health). */
  counts(caller: string): { subscriptions: number; sockets: number } {
    return { subscriptions: this.subscriptions.get(caller) ?? 0, sockets: this.sockets.get(caller) ?? 0 };
  }
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function decrement(map: Map<string, number>, key: string): void {
  const left = (map.get(key) ?? 1) - 1;
  if (left <= 0) map.delete(key);
  else map.set(key, left);
}

function once(release: () => void): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}
