/**
 * Relay-style connections. Cursors are opaque base64url offsets (`o:<n>`) or keys (`k:<value>`);
 * `first` is bounded by MAX_PAGE_SIZE so a client cannot ask a legacy system for everything at once.
 */
import { badUserInput } from '../../common/errors.ts';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Connection<T> {
  totalCount: number;
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

export const DEFAULT_PAGE_SIZE = 20;

/** Largest offset a connection cursor may name: the legacy systems' row counts and pages are 32-bit. */
export const MAX_OFFSET = 2_147_483_647;

export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

/** Validates `first`/`after` and returns the offset and limit they mean. */
export function pageWindow(args: PageArgs, maxPageSize: number): { offset: number; limit: number } {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0) throw badUserInput('first', 'must be a non-negative integer');
  if (first > maxPageSize) throw badUserInput('first', `must be at most ${maxPageSize}`);
  let offset = 0;
  if (args.after != null) {
    const decoded = Buffer.from(args.after, 'base64url').toString('utf8');
    const match = /^o:(\d+)$/.exec(decoded);
    if (!match) throw badUserInput('after', 'is not a cursor returned by this field');
    offset = Number(match[1]) + 1;
    // A well-formed cursor whose offset no legacy system holds would reach it and come back as
    // LEGACY_ERROR (issue 7): it is the caller's mistake, refused here for every connection.
    if (offset + first > MAX_OFFSET) throw badUserInput('after', 'is out of range: use a cursor this field returned');
  }
  return { offset, limit: first };
}

/** Builds a connection from one page of nodes that starts at `offset`, out of `totalCount`. */
export function toConnection<T>(nodes: T[], offset: number, totalCount: number): Connection<T> {
  const edges = nodes.map((node, i) => ({ cursor: encodeCursor(offset + i), node }));
  return {
    totalCount,
    edges,
    pageInfo: {
      hasNextPage: offset + nodes.length < totalCount,
      hasPreviousPage: offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** Pages an in-memory list (already filtered and ordered). */
export function connectionFromArray<T>(items: readonly T[], args: PageArgs, maxPageSize: number): Connection<T> {
  const { offset, limit } = pageWindow(args, maxPageSize);
  return toConnection(items.slice(offset, offset + limit), offset, items.length);
}
