/**
 * Bad input and failures, end to end through the gateway: malformed identifiers are refused naming
 * the argument, unknown ones are null, and a legacy system or subgraph that is down costs only its
 * part of the answer, with an error that names it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { agentToken } from '../requests/subscriptions-harness.ts';

let system: TestSystem;
beforeAll(async () => {
  // Failures are the subject here: the public-data cache would answer what a down system served before.
  system = await startTestSystem({ UPSTREAM_RETRIES: '0', PUBLIC_CACHE: 'off' });
});
afterAll(() => system?.stop());

describe('Bad input', () => {
  it.each([
    ['commune(code: "9300")', 'code'],
    ['lycee(uai: "12345678")', 'uai'],
    ['request(reference: "IDF-26-1")', 'reference'],
    ['departement(code: "A1")', 'code'],
  ])('refuses %s with BAD_USER_INPUT naming the argument', async (field, argument) => {
    // As an agent: requests are not public (tests/security/authorization.test.ts), the argument check is the same.
    const result = await graphql(system.gateway, `{ x: ${field} { __typename } }`, undefined, { headers: { authorization: await agentToken() } });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.body.errors?.[0]?.extensions?.argument).toBe(argument);
    expect(result.body.errors?.[0]?.message).toContain(argument);
  });

  it('answers unknown but well-formed identifiers with null', async () => {
    const result = await graphql(system.gateway, '{ commune(code: "99999") { name } lycee(uai: "0999999Z") { name } request(reference: "IDF-2020-999999") { status } }', undefined, {
      headers: { authorization: await agentToken() },
    });
    expect(result.body).toEqual({ data: { commune: null, lycee: null, request: null } });
  });
});

describe('A legacy system down', () => {
  it('returns the rest of the query, with LEGACY_UNAVAILABLE naming the system and the subgraph', async () => {
    await system.setFaults('opendata-api', { failureRate: 1 });
    try {
      const result = await graphql<{ commune: { name: string; population: number; investments: unknown } | null }>(
        system.gateway,
        '{ commune(code: "93066") { name population lycees { uai } investments(year: 2025) { amountEur } } }',
      );
      expect(result.body.data?.commune?.name).toBe('Saint-Denis');
      const error = result.body.errors?.find((e) => e.extensions?.code === 'LEGACY_UNAVAILABLE');
      expect(error?.extensions).toMatchObject({ system: 'opendata-api', subgraph: 'insights' });
      expect(JSON.stringify(result.body)).not.toMatch(/stacktrace|at .*\.ts:\d+/);
    } finally {
      await system.setFaults('opendata-api', { failureRate: 0 });
    }
  });

  it('names the GRC when its database fails', async () => {
    await system.setFaults('grc', { failureRate: 1 });
    try {
      const result = await graphql(system.gateway, '{ commune(code: "93066") { name requestStats { open } } }');
      const error = result.body.errors?.[0];
      expect(error?.extensions).toMatchObject({ system: 'grc', subgraph: 'requests' });
      expect(['LEGACY_UNAVAILABLE', 'LEGACY_ERROR']).toContain(error?.extensions?.code);
    } finally {
      await system.setFaults('grc', { failureRate: 0 });
    }
  });
});

describe('A subgraph down', () => {
  it('returns the other subgraphs’ data with SUBGRAPH_UNAVAILABLE naming the subgraph', async () => {
    const lycees = system.processes.find((p) => p.name === 'lycees')!;
    await lycees.stop();
    const result = await graphql<{ commune: { name: string } | null }>(system.gateway, '{ commune(code: "93066") { name lycees { uai } } }');
    expect(result.body.data?.commune?.name).toBe('Saint-Denis');
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'lycees' });
    const health = await fetch(system.gateway.replace('/graphql', '/health/subgraphs'));
    expect(health.status).toBe(503);
  });
});
