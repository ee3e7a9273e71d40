/**
 * The bus that carries request changes from the replica that captures them to every replica that
 * serves subscribers. One small interface, one folder per implementation, picked by REDIS_URL:
 * - `in-process/`: an EventEmitter, for one process (`npm start`, tests). Nothing is ever lost in
 *   transit, so it never reports a reconnection.
 * - `redis/`: Redis pub/sub, so any replica of the requests subgraph can serve any subscriber.
 *   Pub/sub keeps nothing: what is published while a connection is down is gone, which is why
 *   `onReconnect` exists — subscribers then catch up from the change journal (see capture/).
 *
 * Messages are strings (the capture encodes its entries as JSON); channels are plain names such
 * as `request:IDF-2026-000123` or `service:TRANSPORTS`.
 */
import type { Logger } from '../../../common/logger.ts';
import { InProcessBus } from './in-process/index.ts';
import { RedisBus } from './redis/index.ts';

export type MessageHandler = (message: string) => void;

/** A time-limited claim that only one process holds at a time (e.g. "publish the journal"). */
export interface Lease {
  /** Whether this process holds the lease now; re-checked before every piece of exclusive work. */
  held(): boolean;
  /** Stops renewing and hands the lease over at once (a standby takes it on its next attempt). */
  close(): Promise<void>;
}

export interface BusStats {
  /** Channels this process subscribes to. */
  channels: number;
  /** Local handlers over all channels (one per open subscription stream). */
  handlers: number;
}

export interface Bus {
  /** Whether other processes share this bus (Redis) or it lives and dies with this one. */
  readonly shared: boolean;
  /**
   * Sends `message` to every current subscriber of `channel`, in every process sharing the bus.
   * Redis: waits while Redis is unreachable (commands queue until it is back); rejects on close.
   */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `handler` with each message later published on `channel`, in publication order. Resolves
   * once the subscription is effective (Redis: acknowledged by the server), to the function that
   * removes it; the channel is left when its last handler goes.
   */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  /**
   * Calls `handler` each time the bus came back after losing its connection, once its channels are
   * subscribed again and BEFORE any message received since is delivered, so a subscriber can start
   * buffering, catch up on what it missed, then resume. Returns the function that removes it.
   */
  onReconnect(handler: () => void): () => void;
  /** Whether any process sharing the bus (this one included) has a subscription open now. */
  hasSubscribers(): Promise<boolean>;
  /** Competes for the lease `name`, held `ttlMs` past each renewal (renewed every `ttlMs / 3`). */
  lease(name: string, ttlMs: number): Lease;
  stats(): BusStats;
  close(): Promise<void>;
}

export interface BusOptions {
  /** Redis URL (REDIS_URL); unset → the in-process bus. */
  redisUrl: string | undefined;
  /** Prefix of every Redis channel and key, so several applications can share one Redis. */
  namespace: string;
  logger: Logger;
}

export function createBus(options: BusOptions): Bus {
  return options.redisUrl
    ? new RedisBus({ url: options.redisUrl, namespace: options.namespace, logger: options.logger })
    : new InProcessBus(options.logger);
}
