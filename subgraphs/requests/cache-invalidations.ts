/**
 * `Subscription.cacheInvalidations`, for the gateway's public-data cache (hidden from clients by
 * `@inaccessible`): the invalidation tags each change to a request makes stale. They match the
 * `@cacheTag` formats of schema.graphql: a change to a request of commune C changes the counts of C
 * and of its département, so `requests:commune:C` and `requests:departement:<first two characters
 * of C>` (the département key the statistics use; an overseas code's three characters too).
 *
 * The stream follows the capture's bus live, without replay (ChangeCapture.watch): its first event
 * is `[]`, sent once the bus listens, so the gateway knows from when no change goes unreported;
 * when the bus reconnects (changes may have been lost in between), or the gateway reads too slowly,
 * it ends, and the gateway drops every tagged value and subscribes again. A request moved to
 * another commune (rare, by the back office) invalidates its new commune only; the old one's counts
 * live until their max-age.
 */
import type { ChangeCapture, JournalEntry } from './capture/index.ts';
import { requestFromSnapshot } from './connector.ts';

/** Events the gateway may leave unread before the stream ends (it then starts over, nothing lost). */
const MAX_PENDING = 10_000;

export function invalidationTags(entry: JournalEntry): string[] {
  const commune = requestFromSnapshot(entry.snapshot).communeCode;
  const tags = [`requests:commune:${commune}`, `requests:departement:${commune.slice(0, 2)}`];
  if (commune.startsWith('97')) tags.push(`requests:departement:${commune.slice(0, 3)}`);
  return tags;
}

/** The event stream of one `cacheInvalidations` subscription. */
export async function cacheInvalidationStream(changes: ChangeCapture): Promise<AsyncIterableIterator<string[]>> {
  const pending: string[][] = [[]];
  let waiting: ((result: IteratorResult<string[]>) => void) | null = null;
  let ended = false;
  let stop: (() => Promise<void>) | null = null;
  const end = () => {
    if (ended) return;
    ended = true;
    pending.length = 0;
    waiting?.({ value: undefined, done: true });
    waiting = null;
    void stop?.();
  };
  const push = (tags: string[]) => {
    if (ended) return;
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: tags, done: false });
      return;
    }
    pending.push(tags);
    if (pending.length > MAX_PENDING) end();
  };
  stop = await changes.watch((entry) => {
    let tags: string[];
    try {
      tags = invalidationTags(entry);
    } catch {
      // A snapshot this code cannot read: say "anything may have changed" rather than guess.
      return end();
    }
    push(tags);
  }, end);
  if (ended) void stop();
  const stream: AsyncIterableIterator<string[]> = {
    next() {
      const tags = pending.shift();
      if (tags) return Promise.resolve({ value: tags, done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    async return() {
      end();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
