/**
 * Batched reads (issue 7, attack 5): a caller's input is validated before it joins a batch, and one
 * member's failure never fails the others — here the change feed's batched replay reads
 * (subgraphs/requests/capture/reads.ts) and the streams resuming together through it.
 */
import { describe, expect, it, afterAll, beforeAll } from 'vitest';
import { passerelleError } from '../../common/errors.ts';
import type { Cursor } from '../../subgraphs/requests/capture/cursor.ts';
import type { Journal, JournalEntry, JournalRead } from '../../subgraphs/requests/capture/journal.ts';
import { JournalReads } from '../../subgraphs/requests/capture/reads.ts';
import { subgraphSubscribe, waitFor } from '../requests/subscriptions-harness.ts';
import { startCast, type Cast } from './requests-harness.ts';

describe('Batched replay reads', () => {
  it('when the batched query fails, each read is retried alone and only the failing one gets the error', async () => {
    const calls: number[] = [];
    const journal = {
      async readMany(batch: readonly JournalRead[]): Promise<JournalEntry[][]> {
        calls.push(batch.length);
        // Stands for a value the database type refuses: the whole statement fails.
        if (batch.some((read) => read.after.id === 666n)) throw passerelleError('LEGACY_ERROR', 'grc rejected a query (SQLSTATE 22003)', { system: 'grc' });
        return batch.map(() => []);
      },
    } as unknown as Journal;
    const reads = new JournalReads(journal);
    const at = (id: bigint): Cursor => ({ txid: 1n, id });
    const results = await Promise.allSettled([1n, 2n, 666n, 3n].map((id) => reads.read({ reference: 'IDF-2026-000001' }, at(id), 10)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(calls[0]).toBe(4);
  });

  it('an unavailable GRC fails the batch once, without a retry per member', async () => {
    let calls = 0;
    const journal = {
      async readMany(): Promise<JournalEntry[][]> {
        calls++;
        throw passerelleError('LEGACY_UNAVAILABLE', 'grc is unavailable', { system: 'grc' });
      },
    } as unknown as Journal;
    const reads = new JournalReads(journal);
    const results = await Promise.allSettled([1n, 2n, 3n].map((id) => reads.read({ reference: 'IDF-2026-000001' }, { txid: 1n, id }, 10)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
  });
});

describe('Streams resuming together with one bad cursor', () => {
  let cast: Cast;
  beforeAll(async () => {
    cast = await startCast();
  }, 60_000);
  afterAll(() => cast?.system.close());

  it('the out-of-range cursor is refused on its own; the other streams resume and go live', async () => {
    const query = `subscription F($reference: String!, $after: String) { requestUpdated(reference: $reference, after: $after) { reference cursor } }`;
    const first = subgraphSubscribe(cast.system.subgraph.url, query, { reference: cast.mine.reference }, cast.ws.agentA);
    let cursor: string | undefined;
    try {
      await waitFor(async () => {
        await cast.system.call(`mutation M($r: String!) { addMessage(reference: $r, body: "Étape", visibleToCitizen: true) { reference } }`, { r: cast.mine.reference }, cast.agentA);
        cursor = first.requests()[0]?.cursor as string | undefined;
        return cursor !== undefined;
      }, 'a first event', 15_000);
    } finally {
      await first.dispose();
    }
    const bad = Buffer.from('j:1:99999999999999999999').toString('base64url');
    const streams = [cursor, bad, cursor, cursor].map((after) => subgraphSubscribe(cast.system.subgraph.url, query, { reference: cast.mine.reference, after }, cast.ws.agentA));
    try {
      await waitFor(async () => {
        await cast.system.call(`mutation M($r: String!) { addMessage(reference: $r, body: "Suite", visibleToCitizen: true) { reference } }`, { r: cast.mine.reference }, cast.agentA);
        return [0, 2, 3].every((i) => streams[i]!.requests().length > 0) && streams[1]!.codes().length > 0;
      }, 'the good streams to resume', 15_000);
      expect(streams[1]!.codes()).toEqual(['BAD_USER_INPUT']);
      for (const i of [0, 2, 3]) expect(streams[i]!.codes()).toEqual([]);
    } finally {
      await Promise.all(streams.map((s) => s.dispose()));
    }
  });
});
