/**
 * Change capture: how a change to a request reaches its subscribers within a second, even when it
 * was made behind Passerelle's back.
 *
 * THE PROBLEM. Agents keep using the old back office, which writes `t_demande` and `t_evenement`
 * directly (`UPDATE t_demande SET code_statut = 'ENC' …`, with or without an event row). Passerelle
 * never sees those writes, and the legacy tables are the back office's contract: no new column.
 *
 * CAPTURE IN THE DATABASE. Added AFTER triggers on `t_demande` (INSERT, UPDATE) and `t_evenement`
 * (INSERT) append to an added table, `passerelle_journal`: the request, its service (and the one it
 * left), and a snapshot of the `t_demande` row as it was right after the change (`to_jsonb(NEW)`,
 * contact details removed). A trigger attaches to a table without changing any of its columns, and
 * it runs in the writer's transaction: a change and its journal entry commit or vanish together,
 * whoever the writer is. Polling `date_maj` instead would miss consecutive changes between two
 * polls and cannot replay "what the request looked like at each change".
 *
 * ORDER, AND THE OUTBOX TRAP. `id` is a bigserial, taken when a row is inserted, not when its
 * transaction commits: id 41 can become visible after id 42. A reader that keeps "the last id
 * seen" would then skip 41 for good. Re-reading a window behind the cursor only narrows the risk (a
 * transaction may stay open longer than any window). Instead each entry records its transaction
 * (`txid = pg_current_xact_id()`), the feed is ordered by (txid, id), and readers only take entries
 * whose transaction is older than the snapshot's xmin — the oldest transaction still running —
 * so every transaction at or before a returned position has ended, and nothing can commit behind
 * a reader's position any more. The price: a transaction left open (on any database of the
 * cluster, as xids are cluster-wide) holds delivery back until it ends; the back office's role
 * should carry an `idle_in_transaction_session_timeout`. Entries of one transaction about one
 * request are delivered once, as the last of them (an UPDATE plus its event row is one change).
 *
 * DELIVERY. Readers poll the journal by position every CAPTURE_POLL_MS (200 ms by default) — the
 * guarantee, and the only way with PGlite, whose socket server never delivers a NOTIFY to another
 * connection. Where LISTEN works (real PostgreSQL) the triggers' `pg_notify` wakes the reader at
 * commit, so delivery takes milliseconds; a lost notification only costs the next poll.
 *
 * ACROSS REPLICAS. One replica, the holder of a Redis lease (`SET NX PX`, renewed every
 * CAPTURE_LEASE_MS / 3), reads the journal and publishes each entry on the bus (`request:<ref>`,
 * `service:<code>`), then records how far it got in `passerelle_capture_position`. The others
 * stand by and take over when the lease lapses, from that recorded position. Without REDIS_URL the
 * bus is in-process and this process is always the leader. Nobody polls while no replica has a
 * subscriber.
 *
 * SUBSCRIBERS (stream.ts). Each subscription subscribes to its bus channel first and buffers, then
 * replays the journal after its cursor (`after`, or the head), then drains the buffer and goes
 * live, skipping any position not after the last one delivered — so neither gaps nor duplicates,
 * even with two leaders for a moment. When Redis comes back after an outage (pub/sub keeps
 * nothing), every live stream replays again from its last position the same way.
 *
 * RETENTION. The leader deletes published entries older than CAPTURE_RETENTION_HOURS (a week by
 * default) and records the newest one deleted; resuming from a cursor before it is refused
 * (BAD_USER_INPUT on `after`) rather than silently missing changes.
 */
import { badUserInput } from '../../../common/errors.ts';
import type { Logger } from '../../../common/logger.ts';
import { createBus, type Bus, type BusStats } from '../bus/index.ts';
import { compareCursors, type Cursor } from './cursor.ts';
import { ALL_CHANGES_CHANNEL, Journal, decodeEntry, type JournalEntry, type QueryRunner } from './journal.ts';
import { JournalListener } from './listener.ts';
import { JournalPublisher } from './publisher.ts';
import { JournalReads } from './reads.ts';
import { openChangeStream, type ChangeStream } from './stream.ts';

export { decodeCursor, encodeCursor, type Cursor } from './cursor.ts';
export type { JournalEntry } from './journal.ts';

/** Entries read from the journal per query. */
const BATCH_SIZE = 200;
/** Changes a subscriber may leave unread before its stream ends with SUBSCRIBER_TOO_SLOW. */
const MAX_QUEUE = 1000;

export interface ChangeCaptureOptions {
  /** The GRC connector (its pool, retries and error mapping run the journal's queries). */
  db: QueryRunner;
  /** The GRC's URL, for the LISTEN connection. */
  databaseUrl: string;
  /** REDIS_URL; unset → in-process bus, single process. */
  redisUrl: string | undefined;
  pollMs: number;
  leaseMs: number;
  retentionHours: number;
  timeoutMs: number;
  logger: Logger;
}

export interface ChangeCapture {
  /**
   * A stream of one request's or one service's changes, after `after` (null: from now on).
   * BAD_USER_INPUT naming `after` when the cursor is older than the journal keeps.
   */
  open(filter: { reference: string } | { service: string }, after: Cursor | null): Promise<ChangeStream>;
  /**
   * The feed's position now. Read BEFORE a request is, it is the cursor a client subscribes `after`
   * to get every change made since that read, none missed (one already reflected may come again).
   */
  head(): Promise<Cursor>;
  /**
   * Every change from now on, live and without replay (the gateway's cache invalidations): resolves
   * once listening, to the function that stops. `onGap`: changes may have been missed (the bus
   * reconnected after an outage).
   */
  watch(onEntry: (entry: JournalEntry) => void, onGap: () => void): Promise<() => Promise<void>>;
  stats(): BusStats;
  close(): Promise<void>;
}

export function startChangeCapture(options: ChangeCaptureOptions): ChangeCapture {
  const { logger } = options;
  const journal = new Journal(options.db);
  const reads = new JournalReads(journal);
  const bus: Bus = createBus({ redisUrl: options.redisUrl, namespace: 'passerelle:requests:', logger });
  const lease = bus.lease('capture', options.leaseMs);
  const listener = new JournalListener({
    databaseUrl: options.databaseUrl,
    timeoutMs: options.timeoutMs,
    onNotify: () => publisher.wake(),
    logger,
  });
  const publisher = new JournalPublisher({
    journal,
    bus,
    lease,
    pollMs: options.pollMs,
    batchSize: BATCH_SIZE,
    retentionHours: options.retentionHours,
    onActive: () => listener.start(),
    logger,
  });
  publisher.start();

  return {
    async open(filter, after) {
      if (after !== null && compareCursors(after, await reads.horizon()) < 0) {
        throw badUserInput('after', `is older than the ${options.retentionHours} hours of changes kept; read the request again, then subscribe without \`after\``);
      }
      return openChangeStream({ bus, journal: reads, filter, after, maxQueue: MAX_QUEUE, batchSize: BATCH_SIZE, logger });
    },
    head: () => reads.head(),
    async watch(onEntry, onGap) {
      const leave = await bus.subscribe(ALL_CHANGES_CHANNEL, (message) => {
        const entry = decodeEntry(message);
        if (entry) onEntry(entry);
      });
      const stopReconnect = bus.onReconnect(onGap);
      return async () => {
        stopReconnect();
        await leave();
      };
    },
    stats: () => bus.stats(),
    async close() {
      // Stop first, wait last: a publication stuck while Redis is away only ends when the bus closes.
      const stopped = publisher.close();
      await listener.close();
      await lease.close();
      await bus.close();
      await stopped;
    },
  };
}
