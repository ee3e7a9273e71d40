/**
 * Follows the invalidation streams a supergraph declares: each `Subscription` field marked
 * `@cacheInvalidation` (hints.ts), subscribed to on its subgraph over graphql-ws — the same socket
 * code the gateway uses for its clients' subscriptions (../upstream-subscription.ts), as an
 * anonymous caller of its own (the tags are public), on a socket of its own. It works the same with
 * or without Redis: how the subgraph hears of changes (its in-process bus, Redis) is its business.
 *
 * THE STREAM'S CONTRACT. Each event is a list of tags. The first one comes once the subgraph
 * listens (usually empty): from then on no change goes unreported. When the subgraph may have missed
 * changes (its bus reconnected) it ends the stream.
 *
 * WHAT THIS SIDE DOES. A stream is LIVE from its first event until it errs or ends. Tagged entries
 * are used only while every declared stream is live (`live()`), and every tagged entry is dropped
 * (`onGap`) when a stream ends, fails or becomes live (what happened in between is unknown). Then it
 * subscribes again: at once after an end, with a backoff (1 s doubling to 30 s) after a failure.
 */
import type { Logger } from '../../../common/logger.ts';
import { subscribeUpstream } from '../upstream-subscription.ts';
import type { InvalidationField } from './hints.ts';

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30_000;
/** Which socket the streams use: none of a client's. */
const AUTHORITY = 'passerelle:public-cache';

export interface InvalidationFollowerOptions {
  /** The gateway-signed identity of an anonymous caller (`connectionParams.identity`). */
  identity: () => string;
  /** Longest wait for the subgraph to acknowledge the socket, and for a pong. */
  timeoutMs: number;
  /** Tags of data a change made stale. */
  onTags: (tags: string[]) => void;
  /** Changes may have been missed: every tagged entry must go. */
  onGap: () => void;
  logger: Logger;
}

interface Stream {
  readonly id: string;
  live: boolean;
  stop(): void;
}

export class InvalidationFollower {
  private streams = new Map<string, Stream>();
  private closed = false;

  constructor(private readonly options: InvalidationFollowerOptions) {}

  /** Whether tagged entries may be used: at least one stream, and every stream live. */
  live(): boolean {
    if (this.streams.size === 0) return false;
    for (const stream of this.streams.values()) if (!stream.live) return false;
    return true;
  }

  /** Follows exactly `fields` from now on: new ones are opened, gone ones closed, the rest kept. */
  follow(fields: readonly InvalidationField[]): void {
    if (this.closed) return;
    const wanted = new Map(fields.map((field) => [JSON.stringify([field.subgraph, field.url, field.field]), field]));
    for (const [id, stream] of this.streams) {
      if (wanted.has(id)) continue;
      stream.stop();
      this.streams.delete(id);
    }
    for (const [id, field] of wanted) if (!this.streams.has(id)) this.streams.set(id, this.open(id, field));
  }

  close(): void {
    this.closed = true;
    for (const stream of this.streams.values()) stream.stop();
    this.streams.clear();
  }

  private open(id: string, field: InvalidationField): Stream {
    const { logger } = this.options;
    let unsubscribe: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let delayMs = FIRST_RETRY_MS;
    let reported = false;
    const stream: Stream = {
      id,
      live: false,
      stop: () => {
        stopped = true;
        clearTimeout(timer);
        unsubscribe?.();
      },
    };
    const lost = (again: number, why: () => void) => {
      unsubscribe = undefined;
      if (stopped) return;
      const wasLive = stream.live;
      stream.live = false;
      if (wasLive) this.options.onGap();
      if (!reported) why();
      reported = true;
      timer = setTimeout(start, again);
      timer.unref();
    };
    const start = () => {
      if (stopped) return;
      unsubscribe = subscribeUpstream(
        {
          subgraph: field.subgraph,
          url: field.url,
          query: `subscription PublicCacheInvalidations { ${field.field} }`,
          operationName: 'PublicCacheInvalidations',
          variables: {},
          identity: this.options.identity,
          authority: AUTHORITY,
          timeoutMs: this.options.timeoutMs,
        },
        {
          next: (result) => {
            const tags = (result.data as Record<string, unknown> | null | undefined)?.[field.field];
            if (result.errors?.length || !Array.isArray(tags)) {
              unsubscribe?.();
              lost(delayMs, () => logger.warn({ subgraph: field.subgraph, errors: result.errors }, 'public cache: the invalidation stream answered an error; tagged entries are not used until it is back'));
              delayMs = Math.min(delayMs * 2, LAST_RETRY_MS);
              return;
            }
            if (!stream.live) {
              // Whatever changed before this first event is unknown: start from nothing tagged.
              this.options.onGap();
              stream.live = true;
              delayMs = FIRST_RETRY_MS;
              if (reported) logger.info({ subgraph: field.subgraph }, 'public cache: invalidation stream is back');
              reported = false;
            }
            const strings = tags.filter((tag): tag is string => typeof tag === 'string');
            if (strings.length > 0) this.options.onTags(strings);
          },
          error: (errors) => {
            lost(delayMs, () => logger.warn({ subgraph: field.subgraph, err: errors[0] }, 'public cache: invalidation stream lost; tagged entries are not used until it is back'));
            delayMs = Math.min(delayMs * 2, LAST_RETRY_MS);
          },
          // The subgraph may have missed changes: subscribe again at once, tagged entries dropped.
          complete: () => lost(0, () => logger.info({ subgraph: field.subgraph }, 'public cache: the invalidation stream ended; subscribing again')),
        },
      );
    };
    start();
    return stream;
  }
}
