/**
 * Cost analysis before any subgraph is called: an estimate from the schema's `@listSize`/`@cost`
 * (read from the composed supergraph), slicing arguments and DEFAULT_LIST_SIZE, held to a limit per
 * kind of caller (MAX_COST_<ROLE>). The region's gateway runs here with no subgraph reachable at all,
 * so a refusal proves nothing was fetched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema, getOperationAST, parse } from 'graphql';
import { readEnv } from '../../common/env.ts';
import { gatewayEnv } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { startGateway, type RunningGateway } from '../../gateway/index.ts';
import { buildPipeline, type Principal, type PrincipalKind } from '../../gateway/pipeline.ts';
import { useCostLimit } from '../../gateway/plugins/index.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { endingCodes, subscribeSse, subscribeWs, waitFor } from '../harness/streams.ts';

const NOWHERE = 'http://127.0.0.1:9/graphql';
const SUBGRAPH_URLS = ['geo', 'lycees', 'requests', 'insights'].map((name) => `${name}=${NOWHERE}`).join(',');

async function regionGateway(env: Record<string, string> = {}): Promise<RunningGateway> {
  const config = readEnv(gatewayEnv, { PORT: '0', LOG_LEVEL: 'silent', SUPERGRAPH_PATH: 'schema/supergraph.graphql', SUBGRAPH_URLS, SUBGRAPH_TIMEOUT_MS: '2000', ...env });
  return startGateway(config, createLogger('cost-test', 'silent'));
}

// The 105-byte query of issue 7: nine levels of commune { lycees { … } }.
const AMPLIFYING = '{commune(code:"75056"){lycees{commune{lycees{commune{lycees{commune{lycees{commune{lycees{name}}}}}}}}}}}';

describe('The nested lists of issue 7', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await regionGateway();
  });
  afterAll(() => gateway?.close());

  it('are refused for an anonymous caller before any subgraph is called, with the figure and the limit', async () => {
    expect(AMPLIFYING.length).toBeLessThanOrEqual(105);
    const result = await graphql(gateway.url, AMPLIFYING);
    expect(result.status).toBe(400);
    expect(errorCodes(result)).toEqual(['COST_LIMIT_EXCEEDED']);
    const extensions = result.body.errors![0]!.extensions!;
    // Commune.lycees is @listSize(assumedSize: 100): five nested lists of 100.
    expect(extensions.cost).toBeGreaterThan(100 ** 5);
    expect(extensions.limit).toBe(1_000_000);
  });

  it("passes the region's Impact query for a département (estimated well under the anonymous budget)", async () => {
    const impact = `query Impact($dep: String!, $year: Int!) { departement(code: $dep) { name impact(year: $year) { investedEur perInhabitantEur }
      communes { code name population lycees { uai name students equipment { kind quantity } openRequests { totalCount } }
        investments(year: $year) { programme { name } amountEur } requestStats { open resolved medianResolutionDays } } } }`;
    const result = await graphql(gateway.url, impact, { dep: '77', year: 2025 });
    expect(errorCodes(result)).not.toContain('COST_LIMIT_EXCEEDED');
  });
});

describe('The estimate, at its edge', () => {
  // commune (object: 1) + Commune.lycees @listSize(assumedSize: 100) × Lycee (1) = 101.
  const cost101 = '{ commune(code: "75056") { lycees { name } } }';
  // + another commune: 102.
  const cost102 = '{ commune(code: "75056") { lycees { name } } other: commune(code: "93066") { code } }';
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await regionGateway({ MAX_COST_ANONYMOUS: '101' });
  });
  afterAll(() => gateway?.close());

  it('passes an operation costing exactly the limit (it goes on to the subgraphs)', async () => {
    const result = await graphql(gateway.url, cost101);
    expect(errorCodes(result)).not.toContain('COST_LIMIT_EXCEEDED');
    expect(errorCodes(result)).toContain('SUBGRAPH_UNAVAILABLE');
  });

  it('refuses one more with COST_LIMIT_EXCEEDED', async () => {
    const result = await graphql(gateway.url, cost102);
    expect(errorCodes(result)).toEqual(['COST_LIMIT_EXCEEDED']);
    expect(result.body.errors![0]!.extensions).toMatchObject({ cost: 102, limit: 101 });
  });

  it('sizes a connection by its slicing argument, literal or variable, and its edges by @listSize(sizedFields:)', async () => {
    // LyceeConnection (1) + edges: first × (LyceeEdge 1 + Lycee 1): 1 + 50 × 2 = 101 passes, first: 51 does not.
    const query = 'query ($n: Int) { lycees(first: $n) { edges { node { name } } } }';
    expect(errorCodes(await graphql(gateway.url, query, { n: 50 }))).not.toContain('COST_LIMIT_EXCEEDED');
    const refused = await graphql(gateway.url, query, { n: 51 });
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', cost: 103 });
    const literal = await graphql(gateway.url, '{ lycees(first: 51) { edges { node { name } } } }');
    expect(literal.body.errors![0]!.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', cost: 103 });
  });
});

describe('Per role', () => {
  const limits: Record<PrincipalKind, number> = { anonymous: 10, citizen: 20, partner: 30, agent: 40, operator: 50 };
  const pipeline = buildPipeline([useCostLimit({ limits, defaultListSize: 5 })]);

  it('holds each kind of caller to its own limit', async () => {
    const toy = buildSchema('type Query { items: [Item] } type Item { name: String }');
    for (const [kind, limit] of Object.entries(limits) as [PrincipalKind, number][]) {
      const principal: Principal = { id: kind, kind, scopes: [] };
      // Each aliased `items` list costs DEFAULT_LIST_SIZE (5) × Item (1): `cost / 5` of them cost `cost`.
      const at = (cost: number) => {
        const lists = Array.from({ length: cost / 5 }, (_, index) => `l${index}: items { name }`).join(' ');
        const document = parse(`{ ${lists} }`);
        return pipeline.operation({ document, operation: getOperationAST(document)!, operationName: undefined, variables: {}, principal, schema: toy });
      };
      await expect(at(limit)).resolves.toBeDefined();
      await expect(at(limit + 5)).rejects.toMatchObject({ extensions: { code: 'COST_LIMIT_EXCEEDED', cost: limit + 5, limit } });
    }
  });
});

describe('Default list size and subscriptions (a supergraph without @listSize)', () => {
  let toy: ToyFederation;
  beforeAll(async () => {
    toy = await startToyFederation({ DEFAULT_LIST_SIZE: '5', MAX_COST_ANONYMOUS: '5' });
  });
  afterAll(() => toy?.stop());

  it('sizes a list nothing sizes with DEFAULT_LIST_SIZE', async () => {
    // products: 5 × Product (1) = 5 passes; with one more object it is 6.
    expect((await graphql(toy.gatewayUrl, '{ products { name } }')).body.errors).toBeUndefined();
    const refused = await graphql(toy.gatewayUrl, '{ products { name } topReview { stars } }');
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', cost: 6, limit: 5 });
  });

  it('refuses a subscription whose events would cost too much, at subscribe, over graphql-ws and SSE', async () => {
    const query = 'subscription { reviewAdded(productId: "1") { product { reviews { stars } } } }';
    for (const subscribe of [subscribeWs, subscribeSse]) {
      const client = subscribe(toy.gatewayUrl, { query });
      await waitFor(() => client.error !== undefined || client.completed, 'the refusal');
      expect(endingCodes(client)).toEqual(['COST_LIMIT_EXCEEDED']);
      client.dispose();
    }
    expect(toy.upstreamSubscriptions()).toBe(0);
  });
});
