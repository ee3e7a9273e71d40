/**
 * Reference data is kept for REFERENCE_CACHE_TTL_MS across requests; with a TTL of 0 nothing is
 * kept and every request asks the geodata API again (de-duplication within one request remains).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGeoStack, type GeoStack } from './harness.ts';

const QUERY = '{ commune(code: "75056") { name departement { name } } departement(code: "93") { communeCount } }';

let stack: GeoStack;
beforeAll(async () => {
  stack = await startGeoStack();
});
afterAll(() => stack?.stop());

async function callsFor(run: () => Promise<unknown>): Promise<number> {
  await stack.resetCalls();
  await run();
  return (await stack.calls()).total;
}

describe('Reference cache TTL', () => {
  it('asks the geo API once, then serves repeats from the cache', async () => {
    const geo = await stack.subgraph();
    const first = await callsFor(() => geo.query(QUERY));
    expect(first).toBeGreaterThan(0);
    expect(await callsFor(() => geo.query(QUERY))).toBe(0);
  });

  it('with REFERENCE_CACHE_TTL_MS=0, asks the geo API again on every request', async () => {
    const geo = await stack.subgraph({ REFERENCE_CACHE_TTL_MS: '0' });
    const first = await callsFor(() => geo.query(QUERY));
    expect(first).toBeGreaterThan(0);
    expect(await callsFor(() => geo.query(QUERY))).toBe(first);
  });

  it('with REFERENCE_CACHE_TTL_MS=0, still asks once per request for a code repeated in it', async () => {
    const geo = await stack.subgraph({ REFERENCE_CACHE_TTL_MS: '0' });
    await stack.resetCalls();
    const result = await geo.query('{ a: commune(code: "93031") { name } b: commune(code: "93031") { code } }');
    expect(result.body.data).toEqual({ a: { name: 'Épinay-sur-Seine' }, b: { code: '93031' } });
    expect((await stack.calls()).byRoute).toEqual({ 'GET /communes/:code': 1 });
  });
});
