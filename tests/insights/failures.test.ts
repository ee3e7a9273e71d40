import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes } from '../harness/graphql.ts';
import { RECORDS, startInsightsStack, type InsightsStack, type InsightsSubgraph } from './harness.ts';

const INJECTION = '93" OR "1"="1';

let stack: InsightsStack;
let subgraph: InsightsSubgraph;
beforeAll(async () => {
  stack = await startInsightsStack();
  subgraph = await stack.subgraph();
  await subgraph.query('{ programmes { id } }'); // warms the programmes cache, so counts below are per request
});
afterEach(() => stack.setFailureRate(0));
afterAll(() => stack.stop());

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Escaping', () => {
  it('the stand-in would leak every record to an unescaped injection', async () => {
    const { body } = await stack.api<{ total_count: number }>(`${RECORDS}/investissements/records`, {
      where: `code_departement = "${INJECTION}"`,
      limit: 0,
    });
    expect(body.total_count).toBeGreaterThan(10_000);
  });

  it('treats keys with quotes and backslashes as literals', async () => {
    await stack.resetCalls();
    const reps = [INJECTION, '93\\', "93' OR '1'='1", '93066'].map((code) => ({
      __typename: 'Commune',
      code,
      population: 1,
      requestStats: { open: 0 },
    }));
    const result = await subgraph.query<{ _entities: { code: string; investments: unknown[]; impact: { investmentCount: number } }[] }>(
      `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Commune {
         code investments { id } indicators { id } impact(year: 2024) { investmentCount } } } }`,
      { reps },
    );
    expect(result.body.errors).toBeUndefined();
    const [injected, backslash, single, real] = result.body.data!._entities;
    expect(injected!.investments).toEqual([]);
    expect(injected!.impact.investmentCount).toBe(0);
    expect(backslash!.investments).toEqual([]);
    expect(single!.investments).toEqual([]);
    expect(real!.investments.length).toBeGreaterThan(0);
    // The whole batch still went out as one call per dataset and aggregate: nothing was rejected as ODSQL.
    expect((await stack.calls()).total).toBe(3);
  });

  it('treats an injected département or UAI as a literal too', async () => {
    const result = await subgraph.query<{ _entities: { indicators?: unknown[]; investments?: unknown[] }[] }>(
      `query ($reps: [_Any!]!) { _entities(representations: $reps) {
         ... on Departement { indicators { id } } ... on Lycee { investments { id } } } }`,
      { reps: [{ __typename: 'Departement', code: INJECTION }, { __typename: 'Lycee', uai: `0930001A") OR ("1"="1` }] },
    );
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data!._entities).toEqual([{ indicators: [] }, { investments: [] }]);
  });
});

describe('Arguments', () => {
  it.each([1999, 2101])('refuses year %i with BAD_USER_INPUT naming year, before any call', async (year) => {
    await stack.resetCalls();
    const result = await subgraph.query(
      `query ($reps: [_Any!]!, $year: Int!) { _entities(representations: $reps) { ... on Commune {
         investments(year: $year) { id } impact(year: $year) { investedEur } } } }`,
      { reps: [{ __typename: 'Commune', code: '93066', population: 1, requestStats: { open: 0 } }], year },
    );
    // Both fields are non-null: the first error nulls the entity, so one or two errors come back.
    expect(result.body.errors?.length).toBeGreaterThan(0);
    for (const error of result.body.errors!) expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'year' });
    expect((await stack.calls()).total).toBe(0);
  });

  it('refuses a bad year on lycée budgets and département indicators', async () => {
    const result = await subgraph.query(
      `query ($reps: [_Any!]!) { _entities(representations: $reps) {
         ... on Lycee { budget(year: 3000) { totalEur } } ... on Departement { indicators(year: 12) { id } } } }`,
      { reps: [{ __typename: 'Lycee', uai: '0930001A' }, { __typename: 'Departement', code: '93' }] },
    );
    expect(result.body.errors?.map((e) => e.extensions?.argument)).toEqual(['year', 'year']);
  });
});

describe('Portal failures', () => {
  const query = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Commune { investments(year: 2024) { id } } } }`;
  const reps = [{ __typename: 'Commune', code: '93066' }];

  it('maps a portal answering 503 to LEGACY_UNAVAILABLE naming opendata-api', async () => {
    await stack.setFailureRate(1);
    const result = await subgraph.query(query, { reps });
    expect(errorCodes(result)).toEqual(['LEGACY_UNAVAILABLE']);
    expect(result.body.errors![0]!.extensions).toMatchObject({ system: 'opendata-api' });
  });

  it('maps an unreachable portal to LEGACY_UNAVAILABLE naming opendata-api', async () => {
    const down = await stack.subgraph({ OPENDATA_API_URL: `http://127.0.0.1:${await closedPort()}` });
    for (const q of [query, '{ programmes { id } }']) {
      const result = await down.query(q, { reps });
      expect(errorCodes(result)).toEqual(['LEGACY_UNAVAILABLE']);
      expect(result.body.errors![0]!.extensions).toMatchObject({ system: 'opendata-api' });
    }
  });

  it('does not cache a failed programmes load', async () => {
    const fresh = await stack.subgraph();
    await stack.setFailureRate(1);
    expect(errorCodes(await fresh.query('{ programmes { id } }'))).toEqual(['LEGACY_UNAVAILABLE']);
    await stack.setFailureRate(0);
    const result = await fresh.query<{ programmes: unknown[] }>('{ programmes { id } }');
    expect(result.body.data!.programmes).toHaveLength(12);
  });
});
