/**
 * The impact query, end to end through the gateway over the four real subgraphs and stand-ins.
 * Batching is measured: the calls reaching each legacy system do not grow with the number of
 * communes or lycées (94 has 47 communes, 77 has 507).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../harness/graphql.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';

const IMPACT = /* GraphQL */ `
  query Impact($dep: String!, $year: Int!) {
    departement(code: $dep) { name impact(year: $year) { investedEur perInhabitantEur }
      communes { code name population
        lycees { uai name students equipment { kind quantity } openRequests { totalCount } }
        investments(year: $year) { programme { name } amountEur }
        requestStats { open resolved medianResolutionDays } } } }`;

interface ImpactData {
  departement: {
    name: string;
    impact: { investedEur: number; perInhabitantEur: number };
    communes: {
      code: string;
      population: number;
      lycees: { uai: string; students: number; equipment: { kind: string; quantity: number }[]; openRequests: { totalCount: number } }[];
      investments: { programme: { name: string }; amountEur: number }[];
      requestStats: { open: number; resolved: number; medianResolutionDays: number | null };
    }[];
  } | null;
}

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem();
});
afterAll(() => system?.stop());

async function impactCalls(dep: string) {
  await system.resetCalls();
  const result = await graphql<ImpactData>(system.gateway, IMPACT, { dep, year: 2025 });
  expect(result.body.errors).toBeUndefined();
  return { data: result.body.data!, calls: await system.calls() };
}

describe('Impact query', () => {
  it('answers whole for Seine-Saint-Denis, with data from every system', async () => {
    const { data } = await impactCalls('93');
    const dep = data.departement!;
    expect(dep.name).toBe('Seine-Saint-Denis');
    expect(dep.communes).toHaveLength(39);
    expect(dep.impact.investedEur).toBeGreaterThan(0);
    const population = dep.communes.reduce((sum, c) => sum + c.population, 0);
    expect(dep.impact.perInhabitantEur).toBeCloseTo(dep.impact.investedEur / population, 1);
    const lycees = dep.communes.flatMap((c) => c.lycees);
    expect(lycees.length).toBeGreaterThan(20);
    expect(lycees.some((l) => l.equipment.length > 0)).toBe(true);
    expect(lycees.some((l) => l.openRequests.totalCount > 0)).toBe(true);
    expect(dep.communes.some((c) => c.investments.length > 0)).toBe(true);
    expect(dep.communes.some((c) => c.requestStats.resolved > 0)).toBe(true);
  });

  it('reaches each legacy system a number of times that does not grow with communes or lycées', async () => {
    // Yearly reference lists (départements, programmes) are cached per process: warm them with
    // another département, so both measured runs start from the same state.
    await impactCalls('95');
    const small = await impactCalls('94');
    const large = await impactCalls('77');
    expect(large.data.departement!.communes).toHaveLength(507);
    const lyceesSmall = small.data.departement!.communes.flatMap((c) => c.lycees).length;
    const lyceesLarge = large.data.departement!.communes.flatMap((c) => c.lycees).length;
    expect(lyceesLarge).toBeGreaterThan(0);
    expect(lyceesSmall).toBeGreaterThan(0);
    for (const system of ['lycees-api', 'grc', 'opendata-api', 'geo-api'] as const) {
      // Entity fetches leave per tick (gateway/execute/engine/entity-loader.ts): how they group into
      // requests can vary by one or two with timing, never with the number of communes.
      expect(large.calls[system], `${system}: 94 → ${small.calls[system]}, 77 → ${large.calls[system]}`).toBeLessThanOrEqual(small.calls[system] + 2);
      expect(large.calls[system], system).toBeLessThanOrEqual(8);
    }
    // The geo API has no batch endpoint: the département's commune list primes the connector's
    // cache, so 507 communes cost as many calls as 39.
    expect(large.calls['geo-api']).toBeLessThanOrEqual(3);
  });
});
