/**
 * The heavy benchmark's federation (bench/heavy/, tests/harness/heavy-federation.ts) and the answer
 * check `npm run bench` runs before it measures. Nothing here is timed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway } from '@apollo/gateway';
import { HEAVY_SUBGRAPHS, heavyQuery, startHeavyFederation, trivialQuery, type HeavyFederation } from '../harness/heavy-federation.ts';
import { compareAnswers } from '../../bench/heavy/compare.ts';
import { gatewayVariants, startGatewayVariant, type StartedGateway } from '../../bench/heavy/gateways.ts';
import { BASELINE } from '../../bench/report.ts';

let federation: HeavyFederation;

beforeAll(async () => {
  federation = await startHeavyFederation();
});

afterAll(async () => {
  await federation?.close();
});

describe('Heavy federation', () => {
  it('composes one supergraph of the four subgraphs, pointing at their running URLs', () => {
    for (const name of HEAVY_SUBGRAPHS) {
      expect(federation.urls[name]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
      expect(federation.supergraphSdl).toContain(`url: "${federation.urls[name]}"`);
    }
    expect(federation.supergraphSdl).toContain('@join__field(graph: INVENTORY, requires: "price weight")');
    expect(federation.pids).toHaveLength(4);
  });

  it('answers the heavy query through stock @apollo/gateway with tens of KB, no errors, every subgraph called and keys repeated', async () => {
    const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: federation.supergraphSdl }) });
    await server.start();
    try {
      await federation.resetStats();
      const response = await server.executeOperation({ query: (JSON.parse(heavyQuery.body) as { query: string }).query });
      const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
      expect(result?.errors).toBeUndefined();
      const size = JSON.stringify(result?.data).length;
      expect(size).toBeGreaterThan(20_000);
      expect(size).toBeLessThan(200_000);
      const stats = await federation.stats();
      for (const name of HEAVY_SUBGRAPHS) {
        expect(stats[name].requests, name).toBeGreaterThan(0);
        expect(stats[name].requestBytes, name).toBeGreaterThan(0);
      }
      // Nine products, hundreds of product keys sent: the repeated keys an engine may de-duplicate.
      expect(stats.inventory.representations).toBeGreaterThan(9 * stats.inventory.requests);
    } finally {
      await server.stop();
    }
  });

  it('counts the requests and body bytes each subgraph receives, and resets them', async () => {
    await federation.resetStats();
    const body = JSON.stringify({ query: '{ topProducts { upc name } }' });
    const response = await fetch(federation.urls.products, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await response.json()).toEqual({ data: { topProducts: expect.arrayContaining([{ upc: '1', name: 'Table' }]) } });
    const stats = await federation.stats();
    expect(stats.products).toMatchObject({ requests: 1, requestBytes: Buffer.byteLength(body), representations: 0 });
    expect(stats.accounts.requests + stats.inventory.requests + stats.reviews.requests).toBe(0);
    await federation.resetStats();
    expect((await federation.stats()).products).toEqual({ requests: 0, requestBytes: 0, responseBytes: 0, representations: 0 });
  });
});

describe("npm run bench's answer check", () => {
  const started: StartedGateway[] = [];
  let folder: string;
  let supergraphPath: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'passerelle-heavy-test-'));
    supergraphPath = join(folder, 'supergraph.graphql');
    writeFileSync(supergraphPath, federation.supergraphSdl);
    for (const variant of gatewayVariants(['passerelle'], [true])) started.push(await startGatewayVariant(variant, supergraphPath));
  });

  afterAll(async () => {
    await Promise.allSettled(started.map((gateway) => gateway.stop()));
    rmSync(folder, { recursive: true, force: true });
  });

  it('finds Passerelle and stock Apollo identical on the heavy and trivial queries, and profiles their subgraph calls', async () => {
    expect(started.map((gateway) => gateway.name)).toEqual([BASELINE, 'Passerelle, dedup on']);
    const { problems, profiles } = await compareAnswers(started, [heavyQuery, trivialQuery], BASELINE, federation);
    expect(problems).toEqual([]);
    expect(profiles.map((profile) => [profile.gateway, profile.query])).toEqual([
      [BASELINE, 'heavy'],
      ['Passerelle, dedup on', 'heavy'],
      [BASELINE, 'trivial'],
      ['Passerelle, dedup on', 'trivial'],
    ]);
    for (const profile of profiles.filter((profile) => profile.query === 'trivial')) {
      expect(profile.subgraphs?.products.requests).toBe(1);
      expect(profile.subgraphs?.reviews.requests).toBe(0);
    }
  });

  it('reports a gateway whose data differs, naming where', async () => {
    const liar = await serveJson({ data: { __typename: 'Query', users: [] } });
    try {
      const gateways = [started[0]!, { name: 'liar', url: liar.url }];
      const { problems } = await compareAnswers(gateways, [heavyQuery], BASELINE);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^liar, heavy: data differs from stock Apollo's .* at \$\.users: \d+ items ≠ 0 items$/);
    } finally {
      await new Promise((resolve) => liar.server.close(resolve));
    }
  });
});

/** A fake "gateway" that answers every request with `body`. */
async function serveJson(body: unknown): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, server };
}
