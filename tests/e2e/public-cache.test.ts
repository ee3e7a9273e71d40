/**
 * The public-data cache through the whole region (issue 8): the Impact query for département 93
 * answered a second time without calling geo-api or the open-data API again (counted on the
 * stand-ins), with the same data; counts dropped from the cache by the requests subgraph's change
 * events, so a request filed in a commune shows at once; and nothing cached crosses callers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { agentClaims, signToken, tokenKey } from '../../subgraphs/kit/index.ts';
import { graphql } from '../harness/graphql.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';

const IMPACT = /* GraphQL */ `
  query Impact($dep: String!, $year: Int!) {
    departement(code: $dep) { name impact(year: $year) { investedEur perInhabitantEur }
      communes { code name population
        lycees { uai name students equipment { kind quantity } }
        investments(year: $year) { programme { name } amountEur }
        requestStats { open resolved } } } }`;

let system: TestSystem;
let agent: string;

beforeAll(async () => {
  system = await startTestSystem();
  const { authSecret } = readEnv({ authSecret: gatewayEnv.authSecret }, process.env);
  agent = (await signToken(tokenKey(authSecret), agentClaims('AG0001'), new Date(), 3600)).token;
}, 120_000);
afterAll(() => system?.stop());

describe('the public-data cache', () => {
  it('answers the Impact query for 93 a second time without calling the legacy systems again', async () => {
    await system.resetCalls();
    const first = await graphql(system.gateway, IMPACT, { dep: '93', year: 2025 });
    expect(first.body.errors).toBeUndefined();
    const cold = await system.calls();
    await system.resetCalls();
    const second = await graphql(system.gateway, IMPACT, { dep: '93', year: 2025 });
    const warm = await system.calls();
    expect(second.body.errors).toBeUndefined();
    expect(JSON.stringify(second.body.data)).toBe(JSON.stringify(first.body.data));
    expect(cold['geo-api'] + cold['opendata-api'] + cold['lycees-api']).toBeGreaterThan(0);
    expect(warm['geo-api']).toBe(0);
    expect(warm['opendata-api']).toBe(0);
    expect(warm['lycees-api']).toBe(0);
  }, 60_000);

  it('drops a commune’s counts when a request of that commune is filed', async () => {
    const lycee = await graphql<{ lycees: { edges: { node: { uai: string; commune: { code: string } } }[] } }>(system.gateway, '{ lycees(first: 1) { edges { node { uai commune { code } } } } }');
    const { uai, commune } = lycee.body.data!.lycees.edges[0]!.node;
    const stats = async () => (await graphql<{ commune: { requestStats: { open: number } } }>(system.gateway, `{ commune(code: "${commune.code}") { requestStats { open } } }`)).body.data!.commune.requestStats.open;
    const before = await stats();
    expect(await stats()).toBe(before);
    const filed = await graphql(
      system.gateway,
      `mutation($input: SubmitRequestInput!) { submitRequest(input: $input, idempotencyKey: "public-cache-${Date.now()}") { request { reference } } }`,
      { input: { subject: 'Chauffage en panne', description: 'Le chauffage du bâtiment B ne fonctionne plus depuis lundi.', commune: commune.code, lycee: uai, contact: { name: 'Camille Martin', email: 'camille.martin@example.org' }, channel: 'WEB' } },
    );
    expect(filed.body.errors).toBeUndefined();
    // The change event reaches the gateway through the requests subgraph's invalidation stream.
    const deadline = Date.now() + 15_000;
    let after = await stats();
    while (after === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await stats();
    }
    expect(after).toBe(before + 1);
  }, 60_000);

  it('what an agent read is never served to an anonymous caller', async () => {
    const query = '{ requests(first: 1) { edges { node { reference } } } }';
    const asAgent = await graphql<{ requests: unknown }>(system.gateway, query, undefined, { headers: { authorization: `Bearer ${agent}` } });
    expect(asAgent.body.errors).toBeUndefined();
    const anonymous = await graphql<{ requests: unknown }>(system.gateway, query);
    expect(anonymous.body.data?.requests ?? null).toBeNull();
    expect(anonymous.body.errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|UNAUTHORIZED_FIELD_OR_TYPE/);
  }, 60_000);
});
