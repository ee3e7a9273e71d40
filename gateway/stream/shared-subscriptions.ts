/**
 * Sharing: local subscribers asking for the same stream (same operation document, variables and
 * credentials) share ONE upstream subscription and one plan run per event, fanned out to each
 * subscriber's own bounded queue. A slow subscriber never slows the others: it only fills its own
 * queue. When the last subscriber of a stream leaves, the upstream subscription is completed.
 *
 * Nothing here knows about sockets or subgraphs: a stream is a `start(sink) → stop` function.
 */
import type { ExecutionResult, GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import { counter } from '../../common/metrics.ts';
import type { StartSubscription } from '../execute/index.ts';
import { SubscriberQueue } from './subscriber-queue.ts';

export interface SubscriptionCounts {
  /** Upstream subscriptions open (one per distinct stream). */
  upstream: number;
  /** Local subscribers, over every transport. */
  subscribers: number;
}

export interface SubscribeOptions {
  /** The sharing key: equal keys share one upstream subscription. */
  key: string;
  /** Starts the upstream stream; only called when no stream with this key is running. */
  start: () => StartSubscription;
  /** Called when this subscriber overflowed its queue (the transport closes it). */
  onOverflow: () => void;
}

// One increment per event, whatever the number of subscribers it reaches (common/metrics.ts).
const eventsHanded = counter({ name: 'passerelle_subscription_events_total', help: "Subscription events the gateway handed to its subscribers' queues (one per subscriber)." });

interface SharedStream {
  readonly subscribers: Set<SubscriberQueue<ExecutionResult>>;
  stop: () => void;
  ended: boolean;
}

export class SharedSubscriptions {
  private readonly streams = new Map<string, SharedStream>();
  private readonly queueSize: number;

  /** `queueSize`: events each subscriber may have waiting (SUBSCRIBER_QUEUE_SIZE). */
  constructor(options: { queueSize: number }) {
    this.queueSize = options.queueSize;
  }

  counts(): SubscriptionCounts {
    let subscribers = 0;
    for (const stream of this.streams.values()) subscribers += stream.subscribers.size;
    return { upstream: this.streams.size, subscribers };
  }

  /** A new local subscriber: its queue of the stream's results (pulled, or pushed to a sink). */
  subscribe(options: SubscribeOptions): SubscriberQueue<ExecutionResult> {
    const { key } = options;
    let stream = this.streams.get(key);
    const isNew = stream === undefined;
    if (!stream) {
      stream = { subscribers: new Set(), stop: () => {}, ended: false };
      this.streams.set(key, stream);
    }
    const shared = stream;
    const queue: SubscriberQueue<ExecutionResult> = new SubscriberQueue({
      capacity: this.queueSize,
      onClose: () => this.leave(key, shared, queue),
      onOverflow: options.onOverflow,
    });
    shared.subscribers.add(queue);
    if (isNew) {
      try {
        const stop = options.start()({
          next: (result) => {
            eventsHanded.inc(shared.subscribers.size);
            for (const subscriber of shared.subscribers) subscriber.push(result);
          },
          error: (errors) => this.end(key, shared, errors),
          complete: () => this.end(key, shared),
        });
        // The stream may have failed while starting (e.g. no URL for the subgraph).
        if (shared.ended) stop();
        else shared.stop = stop;
      } catch (error) {
        this.end(key, shared, [passerelleError('INTERNAL_SERVER_ERROR', error instanceof Error ? error.message : String(error))]);
      }
    }
    return queue;
  }

  /** Ends every stream (the gateway is stopping). */
  close(): void {
    for (const [key, stream] of this.streams) this.end(key, stream);
  }

  private leave(key: string, stream: SharedStream, queue: SubscriberQueue<ExecutionResult>): void {
    stream.subscribers.delete(queue);
    if (stream.subscribers.size > 0 || stream.ended) return;
    stream.ended = true;
    if (this.streams.get(key) === stream) this.streams.delete(key);
    stream.stop();
  }

  private end(key: string, stream: SharedStream, errors?: readonly GraphQLError[]): void {
    if (stream.ended) return;
    stream.ended = true;
    if (this.streams.get(key) === stream) this.streams.delete(key);
    stream.stop();
    // The first error is what the transport reports; each carries its code and subgraph.
    for (const subscriber of [...stream.subscribers]) subscriber.end(errors?.[0]);
  }
}
