/**
 * The capture leader's loop: read the journal after the published position, publish each entry on
 * its bus channels, save the new position, again. One replica does it (the lease); the others only
 * serve their subscribers from the bus.
 *
 * - It runs every `pollMs`, and at once when LISTEN reports a commit (real PostgreSQL).
 * - It touches the database only while someone, in any replica, has a subscription open: with no
 *   subscriber there is nobody to publish to, and the GRC is spared a query every `pollMs`. The
 *   position is kept meanwhile, so what happened in between is published when subscribers return
 *   (to nobody who missed it, but a new subscriber's replay never relies on it either).
 * - The position advances only after the bus accepted the publications, and lives in the database
 *   (`passerelle_capture_position`), so a replica taking over the lease — even after Redis lost
 *   everything — resumes where the last leader really got to. It may publish again what the
 *   former leader published but did not record; subscribers drop those by cursor.
 * - Entries older than the retention that were published are pruned every PRUNE_EVERY_MS.
 */
import type { Logger } from '../../../common/logger.ts';
import { counter } from '../../../common/metrics.ts';
import type { Bus, Lease } from '../bus/index.ts';
import { rawCursor, type Cursor } from './cursor.ts';
import { channelsOf, encodeEntry, type Journal } from './journal.ts';

const PRUNE_EVERY_MS = 10 * 60_000;

// Counted by the leader only: the replicas standing by capture and publish nothing.
const captured = counter({ name: 'passerelle_events_captured_total', help: 'Changes this replica read from the GRC change journal as the capture leader.' });
const published = counter({ name: 'passerelle_events_published_total', help: 'Messages this replica published on the bus (one per channel of each captured change: its request, its services).' });

export interface PublisherOptions {
  journal: Journal;
  bus: Bus;
  lease: Lease;
  pollMs: number;
  batchSize: number;
  retentionHours: number;
  /** Called when the loop becomes active (subscribers appeared), e.g. to start LISTEN. */
  onActive: () => void;
  logger: Logger;
}

export class JournalPublisher {
  private position: Cursor | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private closed = false;
  private lastPrune = 0;
  private failing = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly options: PublisherOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** Something was committed: look now rather than at the next poll. */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.idle;
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.idle = this.tick();
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.running = true;
    let more = false;
    try {
      more = await this.step();
      if (this.failing) this.options.logger.info('journal publishing resumed');
      this.failing = false;
    } catch (error) {
      // The GRC or Redis is away: keep the position, try again at the next poll, say it once.
      if (!this.failing && !this.closed) this.options.logger.warn({ err: error }, 'journal publishing failed; retrying');
      this.failing = true;
    } finally {
      this.running = false;
    }
    const soon = more || this.again;
    this.again = false;
    this.schedule(soon ? 0 : this.options.pollMs);
  }

  /** One round; true when a full batch was published (more may be waiting). */
  private async step(): Promise<boolean> {
    const { journal, bus, lease, batchSize } = this.options;
    if (!lease.held()) {
      if (this.position) this.options.logger.info('journal publishing handed over to another replica');
      // Whoever leads in between moves the position; take it from the database when leading again.
      this.position = null;
      return false;
    }
    if (!(await bus.hasSubscribers())) return false;
    this.options.onActive();
    this.position ??= await journal.published();
    const entries = await journal.read({ all: true }, this.position, batchSize);
    if (entries.length === 0) {
      await this.pruneNow();
      return false;
    }
    captured.inc(entries.length);
    await Promise.all(entries.flatMap((entry) => {
      const message = encodeEntry(entry);
      return channelsOf(entry).map((channel) => bus.publish(channel, message).then(() => published.inc()));
    }));
    if (this.closed) return false;
    this.position = entries.at(-1)!.cursor;
    await journal.savePublished(this.position);
    this.options.logger.debug({ published: entries.length, position: rawCursor(this.position) }, 'journal entries published');
    return entries.length === batchSize;
  }

  private async pruneNow(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    const deleted = await this.options.journal.prune(this.options.retentionHours);
    if (deleted > 0) this.options.logger.info({ deleted }, 'old journal entries pruned');
  }
}
