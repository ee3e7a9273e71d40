/**
 * The bus over Redis pub/sub, shared by every replica of the requests subgraph. Two connections,
 * because a connection that subscribes is given over to receiving: one publishes (and runs the
 * lease and presence commands), one subscribes.
 *
 * Redis going away: ioredis reconnects by itself (backoff up to 2 s), re-subscribes the channels,
 * and commands issued meanwhile wait in its queue (`maxRetriesPerRequest: null`), so `publish`
 * simply takes longer. What was published while a subscriber was cut off is lost for it; that is
 * what `onReconnect` is for, and it must run before any message of the new connection reaches a
 * handler — otherwise a live message could overtake the catch-up and hide the gap. So after a
 * reconnection, messages are held until a PING sent behind the re-subscriptions is answered
 * (replies come in order, so the channels are subscribed again by then), the reconnect handlers
 * have run, and only then are the held messages delivered.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../../../common/logger.ts';
import type { Bus, BusStats, Lease, MessageHandler } from '../index.ts';
import { RedisLease } from './lease.ts';

export interface RedisBusOptions {
  url: string;
  /** Prefix of the channels and keys (e.g. "passerelle:requests:"). */
  namespace: string;
  logger: Logger;
}

/** How long a process's "I have subscribers" mark lasts without being refreshed. */
const PRESENCE_TTL_MS = 3000;

export class RedisBus implements Bus {
  readonly shared = true;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  /** The SUBSCRIBE of each channel, awaited by every handler that joins while it is in flight. */
  private readonly subscribing = new Map<string, Promise<unknown>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private readonly presenceKey: string;
  private readonly presenceTimer: NodeJS.Timeout;
  private connectedOnce = false;
  /** Messages received since a reconnection, until the reconnect handlers have run. */
  private held: [channel: string, message: string][] | null = null;
  private closed = false;

  constructor(private readonly options: RedisBusOptions) {
    const connection = (role: string) => {
      const redis = new Redis(options.url, {
        maxRetriesPerRequest: null,
        connectionName: `passerelle-requests-${role}`,
        retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      });
      // Without a listener ioredis prints every failed reconnection attempt to stderr.
      let reported = false;
      redis.on('error', (error: Error) => {
        if (!reported) options.logger.warn({ err: error, role }, 'redis connection lost; reconnecting');
        reported = true;
      });
      redis.on('ready', () => {
        reported = false;
      });
      return redis;
    };
    this.publisher = connection('publisher');
    this.subscriber = connection('subscriber');
    this.subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
    this.subscriber.on('ready', () => this.ready());
    this.presenceKey = `${options.namespace}presence`;
    this.presenceTimer = setInterval(() => this.markPresence(), PRESENCE_TTL_MS / 3);
    this.presenceTimer.unref();
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(this.options.namespace + channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      const subscribed = this.subscriber.subscribe(this.options.namespace + channel);
      this.subscribing.set(channel, subscribed);
      void subscribed.finally(() => this.subscribing.get(channel) === subscribed && this.subscribing.delete(channel)).catch(() => undefined);
      this.markPresence();
    }
    handlers.add(handler);
    await this.subscribing.get(channel);
    return async () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.handlers.delete(channel);
      if (!this.closed) await this.subscriber.unsubscribe(this.options.namespace + channel).catch(() => undefined);
    };
  }

  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  async hasSubscribers(): Promise<boolean> {
    if (this.handlers.size > 0) return true;
    return (await this.publisher.exists(this.presenceKey)) > 0;
  }

  lease(name: string, ttlMs: number): Lease {
    return new RedisLease(this.publisher, `${this.options.namespace}lease:${name}`, ttlMs, this.options.logger);
  }

  stats(): BusStats {
    let handlers = 0;
    for (const set of this.handlers.values()) handlers += set.size;
    return { channels: this.handlers.size, handlers };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.presenceTimer);
    this.handlers.clear();
    this.reconnectHandlers.clear();
    // disconnect(), not quit(): quit would wait for a Redis that may be gone.
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  private receive(prefixed: string, message: string): void {
    const channel = prefixed.slice(this.options.namespace.length);
    if (this.held) {
      this.held.push([channel, message]);
      return;
    }
    this.deliver(channel, message);
  }

  private deliver(channel: string, message: string): void {
    for (const handler of [...(this.handlers.get(channel) ?? [])]) {
      try {
        handler(message);
      } catch (error) {
        this.options.logger.warn({ err: error, channel }, 'bus subscriber failed on a message');
      }
    }
  }

  private ready(): void {
    if (!this.connectedOnce) {
      this.connectedOnce = true;
      return;
    }
    this.held ??= [];
    this.markPresence();
    // 'ready' is emitted before ioredis re-sends the SUBSCRIBEs; a PING issued on the next turn
    // travels behind them, so its answer means the channels are live again.
    setImmediate(() => {
      const release = () => {
        if (this.closed) return;
        for (const handler of [...this.reconnectHandlers]) {
          try {
            handler();
          } catch (error) {
            this.options.logger.warn({ err: error }, 'bus reconnect handler failed');
          }
        }
        const held = this.held ?? [];
        this.held = null;
        for (const [channel, message] of held) this.deliver(channel, message);
      };
      this.subscriber.ping().then(release, release);
    });
  }

  /**
   * While this process has subscriptions, tells the capture leader someone is listening. One key
   * for all replicas: each one with subscribers keeps it alive, none deletes it (another replica
   * may still need it), so it lapses PRESENCE_TTL_MS after the last subscriber anywhere left.
   */
  private markPresence(): void {
    if (this.closed || this.handlers.size === 0) return;
    this.publisher.set(this.presenceKey, '1', 'PX', PRESENCE_TTL_MS).catch(() => undefined);
  }
}
