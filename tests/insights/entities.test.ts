import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idfCommunes } from '../../legacy/kit/index.ts';
import { RECORDS, startInsightsStack, type InsightsStack, type InsightsSubgraph } from './harness.ts';

const YEAR = 2024;

const COMMUNE_IMPACT = /* GraphQL */ `
  query ($reps: [_Any!]!, $year: Int!) {
    _entities(representations: $reps) {
      ... on Commune {
        code
        investments(year: $year) { id year amountEur status programme { id name } commune { code } }
        impact(year: $year) {
          year investedEur perInhabitantEur investmentCount lyceesEquipped openRequests
          programmes { programme { name } amountEur investmentCount }
        }
      }
    }
  }
`;

interface CommuneResult {
  code: string;
  investments: { id: string; year: number; amountEur: number; programme: { id: string; name: string }; commune: { code: string } }[];
  impact: {
    investedEur: number;
    perInhabitantEur: number | null;
    investmentCount: number;
    lyceesEquipped: number;
    openRequests: number;
    programmes: { amountEur: number; investmentCount: number }[];
  };
}

/** Representations as the gateway sends them for `impact`: key plus the @requires fields. */
function communeReps(departement: string, count: number) {
  return idfCommunes
    .filter((c) => c.departement === departement)
    .slice(0, count)
    .map((c, i) => ({ __typename: 'Commune', code: c.code, population: c.population, requestStats: { open: i % 7 } }));
}

let stack: InsightsStack;
let subgraph: InsightsSubgraph;
beforeAll(async () => {
  stack = await startInsightsStack();
  subgraph = await stack.subgraph();
});
afterAll(() => stack.stop());

describe('Programmes', () => {
  it('lists the programmes and reads them from the portal once (reference cache)', async () => {
    const fresh = await stack.subgraph();
    await stack.resetCalls();
    const query = '{ programmes { id name theme startYear endYear budgetEur } }';
    const first = await fresh.query<{ programmes: { id: string; name: string; budgetEur: number }[] }>(query);
    await fresh.query(query);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.programmes.map((p) => p.name)).toEqual(
      expect.arrayContaining(['Lycées numériques', 'Plan vélo', 'Rénovation énergétique des lycées', 'Soutien aux communes rurales']),
    );
    expect(first.body.data!.programmes.every((p) => p.budgetEur > 0)).toBe(true);
    expect((await stack.calls()).total).toBe(1);
  });

  it('finds one programme by id, null when unknown, BAD_USER_INPUT when malformed', async () => {
    const result = await subgraph.query<Record<string, { name: string } | null>>(
      '{ velo: programme(id: "PRG-004") { name } unknown: programme(id: "PRG-999") { name } }',
    );
    expect(result.body.data).toEqual({ velo: { name: 'Plan vélo' }, unknown: null });
    const bad = await subgraph.query('{ programme(id: "vélo") { name } }');
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
  });
});

describe('Commune batching', () => {
  async function callsFor(reps: unknown[]) {
    await stack.resetCalls();
    const result = await subgraph.query<{ _entities: CommuneResult[] }>(COMMUNE_IMPACT, { reps, year: YEAR });
    expect(result.body.errors).toBeUndefined();
    return { entities: result.body.data!._entities, calls: await stack.calls() };
  }

  it('makes the same, constant number of portal calls for 39 and for 200 communes', async () => {
    await subgraph.query('{ programmes { id } }'); // warms the programmes cache, which is not per request
    const small = await callsFor(communeReps('93', 39));
    const large = await callsFor(communeReps('77', 200));
    expect(small.entities).toHaveLength(39);
    expect(large.entities).toHaveLength(200);
    expect(large.calls.total).toBe(small.calls.total);
    // One export of the investments and one grouped export of their sums.
    expect(large.calls.byRoute).toEqual({ 'GET /api/explore/v2.1/catalog/datasets/:id/exports/:format': 2 });
  });

  it('reads programmes once per request when the reference cache is off', async () => {
    const uncached = await stack.subgraph({ REFERENCE_CACHE_TTL_MS: '0' });
    for (const reps of [communeReps('93', 39), communeReps('77', 200)]) {
      await stack.resetCalls();
      const result = await uncached.query(COMMUNE_IMPACT, { reps, year: YEAR });
      expect(result.body.errors).toBeUndefined();
      expect((await stack.calls()).total).toBe(3);
    }
  });

  it('computes impact from the same investments the list shows, with the required fields', async () => {
    const reps = communeReps('93', 39);
    const { entities } = await callsFor(reps);
    for (const [i, commune] of entities.entries()) {
      const sum = commune.investments.reduce((s, inv) => s + inv.amountEur, 0);
      expect(commune.impact.investedEur).toBe(sum);
      expect(commune.impact.investmentCount).toBe(commune.investments.length);
      expect(commune.impact.openRequests).toBe(reps[i]!.requestStats.open);
      expect(commune.impact.perInhabitantEur).toBeCloseTo(sum / reps[i]!.population, 2);
      expect(commune.impact.programmes.reduce((s, p) => s + p.amountEur, 0)).toBe(sum);
      expect(commune.investments.every((inv) => inv.year === YEAR && inv.commune.code === commune.code)).toBe(true);
    }
    expect(entities.some((c) => c.impact.lyceesEquipped > 0)).toBe(true);
  });

  it('serves different years in one batch with one call', async () => {
    await stack.resetCalls();
    const result = await subgraph.query<{ _entities: { a: { year: number }[]; b: { year: number }[]; all: { year: number }[] }[] }>(
      `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Commune {
         a: investments(year: 2022) { year } b: investments(year: 2025) { year } all: investments { year } } } }`,
      { reps: communeReps('92', 36) },
    );
    const entities = result.body.data!._entities;
    expect(entities.flatMap((e) => e.a).every((i) => i.year === 2022)).toBe(true);
    expect(entities.flatMap((e) => e.b).every((i) => i.year === 2025)).toBe(true);
    expect(entities.every((e) => e.all.length >= e.a.length + e.b.length)).toBe(true);
    expect((await stack.calls()).total).toBe(1);
  });

  it('resolves indicators of communes and départements in one call each', async () => {
    await stack.resetCalls();
    const reps = [...communeReps('95', 50), ...['75', '77', '93'].map((code) => ({ __typename: 'Departement', code }))];
    const result = await subgraph.query<{ _entities: { indicators: { name: string; year: number; unit: string }[] }[] }>(
      `query ($reps: [_Any!]!) { _entities(representations: $reps) {
         ... on Commune { indicators(year: 2023) { name year value unit commune { code } } }
         ... on Departement { indicators(year: 2023) { name year value unit departement { code } } } } }`,
      { reps },
    );
    expect(result.body.errors).toBeUndefined();
    const entities = result.body.data!._entities;
    expect(entities[0]!.indicators.map((i) => i.name).sort()).toEqual(['couverture_fibre', 'part_logements_sociaux', 'taux_chomage']);
    expect(entities.at(-1)!.indicators.map((i) => i.name)).toContain('nb_eleves_lycee');
    expect((await stack.calls()).total).toBe(2);
  });

  it('sums a département impact with one grouped call', async () => {
    await stack.resetCalls();
    const reps = ['75', '77', '78', '91', '92', '93', '94', '95'].map((code) => ({ __typename: 'Departement', code, population: 1_000_000, requestStats: { open: 5 } }));
    const result = await subgraph.query<{ _entities: { impact: { investedEur: number; investmentCount: number; lyceesEquipped: number } }[] }>(
      `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Departement { impact(year: ${YEAR}) { investedEur investmentCount lyceesEquipped } } } }`,
      { reps },
    );
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data!._entities.every((e) => e.impact.investedEur > 0 && e.impact.lyceesEquipped > 0)).toBe(true);
    expect((await stack.calls()).total).toBe(1);
  });
});

describe('Lycee batching', () => {
  it('loads investments and budgets of 20 or 300 lycées with the same number of calls', async () => {
    const { body } = await stack.api<{ uai: string }[]>(`${RECORDS}/investissements/exports/json`, { where: 'uai IS NOT NULL', select: 'uai', group_by: 'uai' });
    const query = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Lycee {
      uai investments(year: ${YEAR}) { amountEur lycee { uai } programme { name } }
      budget(year: ${YEAR}) { totalEur programmes { programme { id } amountEur investmentCount } } } } }`;
    const counts: number[] = [];
    for (const size of [20, 300]) {
      await stack.resetCalls();
      const reps = body.slice(0, size).map(({ uai }) => ({ __typename: 'Lycee', uai }));
      const result = await subgraph.query<{ _entities: { uai: string; investments: { amountEur: number; lycee: { uai: string } }[]; budget: { totalEur: number } }[] }>(query, { reps });
      expect(result.body.errors).toBeUndefined();
      for (const lycee of result.body.data!._entities) {
        expect(lycee.budget.totalEur).toBe(lycee.investments.reduce((s, i) => s + i.amountEur, 0));
        expect(lycee.investments.every((i) => i.lycee.uai === lycee.uai)).toBe(true);
      }
      counts.push((await stack.calls()).total);
    }
    expect(counts).toEqual([1, 1]);
  });
});

describe('Owned entities', () => {
  it('resolves Investment and Indicator references by id in one call each', async () => {
    await stack.resetCalls();
    const reps = [
      ...['INV-000001', 'INV-000002', 'INV-999999'].map((id) => ({ __typename: 'Investment', id })),
      ...['IND-000001', 'IND-000002'].map((id) => ({ __typename: 'Indicator', id })),
    ];
    const result = await subgraph.query<{ _entities: ({ id: string } | null)[] }>(
      `query ($reps: [_Any!]!) { _entities(representations: $reps) {
         ... on Investment { id label } ... on Indicator { id name } } }`,
      { reps },
    );
    expect(result.body.data!._entities.map((e) => e?.id ?? null)).toEqual(['INV-000001', 'INV-000002', null, 'IND-000001', 'IND-000002']);
    expect((await stack.calls()).total).toBe(2);
  });
});
