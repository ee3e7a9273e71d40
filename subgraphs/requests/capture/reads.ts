/**
 * The journal reads of streams being set up, made few. When a gateway restarts, every client
 * resumes at once with its last cursor: thousands of streams, each needing the journal's horizon
 * (is the cursor still kept?), maybe its head, and a replay read. One query each is what made
 * 10,000 streams opened together end partly in LEGACY_TIMEOUT on the PGlite GRC, which serves one
 * query at a time (bench/RESULTS.md).
 *
 * - Replay reads go through a DataLoader whose batches are scheduled adaptively: the first read
 *   goes out on the next tick; reads arriving while a batch is in flight wait for it to finish and
 *   then go out together, as ONE query (Journal.readMany). A lone subscriber waits for nothing; a
 *   storm costs about one query per round trip instead of one per stream.
 * - `horizon()` and `head()` share the query in flight: a result read a moment before a caller
 *   arrived is as good as its own (an older head only means a longer replay, whose duplicates the
 *   stream drops by cursor; the horizon check is as racy with pruning either way).
 */
import DataLoader from 'dataloader';
import type { Cursor } from './cursor.ts';
import type { Journal, JournalEntry, JournalRead } from './journal.ts';

/** What a stream needs from the journal. */
export interface JournalReader {
  read(filter: JournalRead['filter'], after: Cursor, limit: number): Promise<JournalEntry[]>;
  head(): Promise<Cursor>;
}

/** Reads per batched query: one statement's parameters and result stay small. */
const MAX_BATCH = 500;

export class JournalReads implements JournalReader {
  private readonly reads: DataLoader<JournalRead, JournalEntry[]>;
  /** The last batch sent; the next one waits for it. */
  private inFlight: Promise<unknown> | null = null;
  private headInFlight: Promise<Cursor> | null = null;
  private horizonInFlight: Promise<Cursor> | null = null;

  constructor(private readonly journal: Journal) {
    this.reads = new DataLoader<JournalRead, JournalEntry[]>((batch) => this.send(batch), {
      cache: false,
      maxBatchSize: MAX_BATCH,
      batchScheduleFn: (dispatch) => {
        if (this.inFlight) void this.inFlight.then(dispatch, dispatch);
        else process.nextTick(dispatch);
      },
    });
  }

  read(filter: JournalRead['filter'], after: Cursor, limit: number): Promise<JournalEntry[]> {
    return this.reads.load({ filter, after, limit });
  }

  head(): Promise<Cursor> {
    return (this.headInFlight ??= this.journal.head().finally(() => (this.headInFlight = null)));
  }

  horizon(): Promise<Cursor> {
    return (this.horizonInFlight ??= this.journal.horizon().finally(() => (this.horizonInFlight = null)));
  }

  private send(batch: readonly JournalRead[]): Promise<(JournalEntry[] | Error)[]> {
    const sent = this.isolated(batch);
    const settled = sent.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight = settled;
    void settled.then(() => {
      if (this.inFlight === settled) this.inFlight = null;
    });
    return sent;
  }

  /**
   * One member's failure never fails the others: cursors are range-checked before they join a
   * batch (cursor.ts), and should the batched query fail anyway, each read is retried alone, so
   * only the reads that fail alone get the error.
   */
  private async isolated(batch: readonly JournalRead[]): Promise<(JournalEntry[] | Error)[]> {
    try {
      return await this.journal.readMany(batch);
    } catch (error) {
      // Only a rejected query can be one member's fault; an unavailable GRC fails everyone alike.
      if (batch.length === 1 || !rejectedQuery(error)) return batch.map(() => error as Error);
      return Promise.all(batch.map((read) => this.journal.readMany([read]).then((entries) => entries[0]!, (failure: unknown) => failure as Error)));
    }
  }
}

function rejectedQuery(error: unknown): boolean {
  return (error as { extensions?: { code?: unknown } }).extensions?.code === 'LEGACY_ERROR';
}
