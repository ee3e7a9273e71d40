/**
 * The whole system through the gateway on each GRC storage: the embedded PGlite and the real
 * PostgreSQL (a fresh database, dropped afterwards). The requests subgraph speaks `pg` to a URL in
 * both cases, so the same queries must give the same answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../harness/graphql.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { implementations, type Storage } from '../requests/harness.ts';
import { operatorToken } from '../requests/subscriptions-harness.ts';

const QUERY = /* GraphQL */ `
  {
    requests(filter: { commune: "93066" }, first: 3) {
      totalCount
      edges { node { reference status service { code } commune { name } timeline { status } } }
    }
    commune(code: "93066") { name requestStats { total open resolved } }
  }`;

interface Answer {
  requests: { totalCount: number; edges: { node: { reference: string; commune: { name: string } | null; timeline: unknown[] } }[] };
  commune: { requestStats: { total: number } };
}

const answers = new Map<string, Answer>();

describe.each(implementations)('GRC on $name', (implementation) => {
  let storage: Storage;
  let system: TestSystem;
  beforeAll(async () => {
    storage = await implementation.createStorage();
    system = await startTestSystem(storage.env);
  });
  afterAll(async () => {
    await system?.stop();
    await storage?.drop();
  });

  it('serves the requests of a commune, joined with geodata, through the gateway', async () => {
    // Requests are not public: an operator sees every one (tests/security/row-rules.test.ts has the others).
    const result = await graphql<Answer>(system.gateway, QUERY, undefined, { headers: { authorization: await operatorToken() } });
    expect(result.body.errors).toBeUndefined();
    const data = result.body.data!;
    expect(data.requests.totalCount).toBe(data.commune.requestStats.total);
    expect(data.requests.edges[0]?.node.commune?.name).toBe('Saint-Denis');
    expect(data.requests.edges[0]?.node.timeline.length).toBeGreaterThan(0);
    answers.set(implementation.name, data);
  });

  it('gives the same answer as every other storage (same seed)', () => {
    const first = answers.values().next().value;
    expect(answers.get(implementation.name)).toEqual(first);
  });
});
