/**
 * Positions in the change feed. A position is the journal entry's (transaction id, entry id): the
 * feed is ordered by transaction first (see index.ts for why), so the pair, not the id, is what a
 * subscriber resumes from. Clients see it as an opaque base64url string (`Request.cursor`), like
 * the connections' cursors; inside, both numbers are 64-bit, hence bigint.
 */
import { badUserInput } from '../../../common/errors.ts';

export interface Cursor {
  /** `passerelle_journal.txid` (xid8). */
  txid: bigint;
  /** `passerelle_journal.id` (bigserial). */
  id: bigint;
}

/** Before every entry: replaying from here replays the whole journal. */
export const ORIGIN: Cursor = { txid: 0n, id: 0n };

const RAW = /^(\d{1,20}):(\d{1,19})$/;

export function compareCursors(a: Cursor, b: Cursor): number {
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

/** `txid:id`, the form used on the bus and in SQL parameters. */
export function rawCursor(cursor: Cursor): string {
  return `${cursor.txid}:${cursor.id}`;
}

/** Largest `xid8` (unsigned 64-bit) and `bigint` (signed 64-bit): a cursor past them fits no column. */
const MAX_TXID = 2n ** 64n - 1n;
const MAX_ID = 2n ** 63n - 1n;

/**
 * The cursor `txid:id`, when both numbers fit their database types: a cursor that passed the
 * format check but not the type would fail the batched replay query of every stream that
 * resumes with it (issue 7), so it is refused here, before it joins a batch.
 */
export function parseRawCursor(raw: string): Cursor | null {
  const match = RAW.exec(raw);
  if (!match) return null;
  const cursor = { txid: BigInt(match[1]!), id: BigInt(match[2]!) };
  return cursor.txid <= MAX_TXID && cursor.id <= MAX_ID ? cursor : null;
}

/** The opaque form given to clients. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`j:${rawCursor(cursor)}`).toString('base64url');
}

/** Reads a client's cursor; BAD_USER_INPUT naming `argument` when it is not one we gave out. */
export function decodeCursor(argument: string, value: string): Cursor {
  const decoded = /^[A-Za-z0-9_-]{1,80}$/.test(value) ? Buffer.from(value, 'base64url').toString('utf8') : '';
  const cursor = decoded.startsWith('j:') ? parseRawCursor(decoded.slice(2)) : null;
  if (!cursor) throw badUserInput(argument, `${JSON.stringify(value.slice(0, 40))} is not a cursor of this feed (use a \`cursor\` received from it)`);
  return cursor;
}
