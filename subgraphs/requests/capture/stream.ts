/**
 * One subscriber's stream of changes: replay from the journal, then live from the bus, with no gap
 * and no duplicate. The order of operations is the whole point:
 *   1. subscribe to the bus FIRST, buffering what arrives;
 *   2. take the starting position (`after`, or the journal's head for a fresh subscriber);
 *   3. replay the journal after it (stable entries only, in feed order);
 *   4. drain the buffer, skipping every position not after the last one delivered;
 *   5. go live, with the same rule.
 * Anything published before step 1 was stable before step 3 read, so the replay has it; anything
 * published after step 1 is in the buffer or arrives live. The "not after the last one" rule drops
 * what both paths saw, and what a second leader publishes again.
 *
 * When the bus reconnects (events may have been lost in between), steps 3–5 run again from the
 * last position delivered. When the client goes, `return()` leaves the bus channel at once.
 */
import type { GraphQLError } from 'graphql';
import { passerelleError } from '../../../common/errors.ts';
import type { Logger } from '../../../common/logger.ts';
import type { Bus } from '../bus/index.ts';
import { compareCursors, type Cursor } from './cursor.ts';
import { channelOf, decodeEntry, matches, type JournalEntry } from './journal.ts';
import type { JournalReader } from './reads.ts';

export interface ChangeStreamOptions {
  bus: Bus;
  /** Replay reads and the head (batched across streams being set up: reads.ts). */
  journal: JournalReader;
  filter: { reference: string } | { service: string };
  /** Resume after this position; null: only changes from now on. */
  after: Cursor | null;
  /** Entries a client may leave unread; past it the stream ends with SUBSCRIBER_TOO_SLOW. */
  maxQueue: number;
  /** Entries read from the journal per query while replaying. */
  batchSize: number;
  logger: Logger;
}

/** Opens the stream: resolves once it is subscribed to the bus, the replay then runs as it is read. */
export async function openChangeStream(options: ChangeStreamOptions): Promise<ChangeStream> {
  const stream = new ChangeStream(options);
  await stream.start();
  return stream;
}

export class ChangeStream implements AsyncIterableIterator<JournalEntry> {
  private readonly queue: JournalEntry[] = [];
  private waiting: { resolve: (result: IteratorResult<JournalEntry>) => void; reject: (error: unknown) => void } | null = null;
  /** Where the subscriber stands: nothing at or before it is delivered again. */
  private last: Cursor | null;
  /** While true, live entries are held in `buffer` (a replay is running). */
  private syncing = false;
  private syncAgain = false;
  private buffer: JournalEntry[] = [];
  private failure: unknown = null;
  private done = false;
  /** Wakes a replay paused until the client has read what was already queued. */
  private drained: (() => void) | null = null;
  private leave: (() => Promise<void>) | null = null;
  private stopReconnect: (() => void) | null = null;

  constructor(private readonly options: ChangeStreamOptions) {
    this.last = options.after;
  }

  async start(): Promise<void> {
    const { bus, journal, filter } = this.options;
    // Buffer from the very start: nothing published from now on may be missed.
    this.syncing = true;
    this.leave = await bus.subscribe(channelOf(filter), (message) => this.receive(message));
    this.stopReconnect = bus.onReconnect(() => void this.sync());
    try {
      this.last ??= await journal.head();
    } catch (error) {
      await this.close();
      throw error;
    }
    this.syncing = false;
    void this.sync();
  }

  next(): Promise<IteratorResult<JournalEntry>> {
    const entry = this.queue.shift();
    if (entry) {
      if (this.queue.length < this.options.batchSize) this.wakeReplay();
      return Promise.resolve({ value: entry, done: false });
    }
    if (this.failure !== null) {
      const failure = this.failure;
      this.failure = null;
      void this.close();
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    this.wakeReplay();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<JournalEntry>> {
    await this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private receive(message: string): void {
    if (this.done) return;
    const entry = decodeEntry(message);
    if (!entry || !matches(this.options.filter, entry)) return;
    if (!this.syncing) return this.accept(entry);
    this.buffer.push(entry);
    if (this.buffer.length > this.options.maxQueue) this.fail(this.tooSlow());
  }

  private get stopped(): boolean {
    return this.done || this.failure !== null;
  }

  private accept(entry: JournalEntry): void {
    if (this.stopped || (this.last !== null && compareCursors(entry.cursor, this.last) <= 0)) return;
    this.last = entry.cursor;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: entry, done: false });
      return;
    }
    this.queue.push(entry);
    if (this.queue.length > this.options.maxQueue && !this.syncing) this.fail(this.tooSlow());
  }

  private tooSlow(): GraphQLError {
    return passerelleError('SUBSCRIBER_TOO_SLOW', `More than ${this.options.maxQueue} changes were waiting to be read; resume from the last cursor received.`);
  }

  /** Replays from the last position, then releases the buffer; runs again if asked meanwhile. */
  private async sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    try {
      do {
        this.syncAgain = false;
        for (;;) {
          const batch = await this.options.journal.read(this.options.filter, this.last!, this.options.batchSize);
          for (const entry of batch) this.accept(entry);
          if (this.stopped || batch.length < this.options.batchSize) break;
          // A long replay waits for the client instead of piling up in memory.
          if (this.queue.length >= this.options.batchSize) await new Promise<void>((resolve) => (this.drained = resolve));
        }
      } while (this.syncAgain && !this.stopped);
      const buffered = this.buffer;
      this.buffer = [];
      this.syncing = false;
      for (const entry of buffered) this.accept(entry);
    } catch (error) {
      this.syncing = false;
      this.fail(error);
    }
  }

  private wakeReplay(): void {
    const drained = this.drained;
    this.drained = null;
    drained?.();
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    const failure = error as GraphQLError;
    this.options.logger.debug({ err: failure }, 'change stream ended with an error');
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = null;
      void this.close();
      reject(failure);
      return;
    }
    // Delivered after what is already queued, so the client keeps every change it can have.
    this.failure = failure;
    this.buffer = [];
    void this.release();
  }

  private async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    this.buffer = [];
    this.wakeReplay();
    this.waiting?.resolve({ value: undefined, done: true });
    this.waiting = null;
    await this.release();
  }

  /** Leaves the bus: once for good, whatever path ended the stream. */
  private async release(): Promise<void> {
    this.stopReconnect?.();
    this.stopReconnect = null;
    const leave = this.leave;
    this.leave = null;
    await leave?.();
  }
}
