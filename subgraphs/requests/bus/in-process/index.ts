/**
 * The bus inside one process: an EventEmitter. Delivery is synchronous and cannot be interrupted,
 * so there is never a reconnection to report, and this process always holds every lease.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../../../common/logger.ts';
import type { Bus, BusStats, Lease, MessageHandler } from '../index.ts';

const ALWAYS_HELD: Lease = { held: () => true, close: async () => undefined };

export class InProcessBus implements Bus {
  readonly shared = false;
  private readonly emitter = new EventEmitter();

  constructor(private readonly logger: Logger) {
    // One listener per open subscription stream: hundreds on a popular channel are normal.
    this.emitter.setMaxListeners(0);
  }

  async publish(channel: string, message: string): Promise<void> {
    this.emitter.emit(channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    // A throwing subscriber must neither reach the publisher nor starve the next subscribers.
    const guarded = (message: string) => {
      try {
        handler(message);
      } catch (error) {
        this.logger.warn({ err: error, channel }, 'bus subscriber failed on a message');
      }
    };
    this.emitter.on(channel, guarded);
    return async () => {
      this.emitter.off(channel, guarded);
    };
  }

  onReconnect(): () => void {
    return () => undefined;
  }

  async hasSubscribers(): Promise<boolean> {
    return this.emitter.eventNames().length > 0;
  }

  lease(): Lease {
    return ALWAYS_HELD;
  }

  stats(): BusStats {
    const channels = this.emitter.eventNames();
    return { channels: channels.length, handlers: channels.reduce((sum, name) => sum + this.emitter.listenerCount(name), 0) };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
