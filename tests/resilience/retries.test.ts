/**
 * Rule: the gateway retries a subgraph's query fetch that found it unavailable, within the retry
 * budget, and never retries a mutation. A one-subgraph federation whose subgraph answers 503 and
 * counts the fetches it got.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../common/env.ts';
import { gatewayEnv } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { startGateway, type RunningGateway } from '../../gateway/index.ts';
import { graphql } from '../harness/graphql.ts';

const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query { ping: String }
type Mutation { poke: String }`;

interface Failing {
  gateway: RunningGateway;
  calls: { query: number; mutation: number };
  stop(): Promise<void>;
}

async function startFailing(env: Record<string, string>): Promise<Failing> {
  const calls = { query: 0, mutation: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const { query } = JSON.parse(body) as { query: string };
      if (/^\s*mutation/.test(query)) calls.mutation += 1;
      else calls.query += 1;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const composed = composeServices([{ name: 'legacy', url, typeDefs: parse(SDL) }]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-retries-'));
  writeFileSync(join(dir, 'supergraph.graphql'), composed.supergraphSdl);
  const config = readEnv(gatewayEnv, {
    PORT: '0',
    SUPERGRAPH_PATH: join(dir, 'supergraph.graphql'),
    LOG_LEVEL: 'silent',
    RATE_LIMIT_ANONYMOUS: '0',
    BREAKER_FAILURE_RATIO: '1',
    SUBGRAPH_RETRIES: '2',
    ...env,
  });
  const gateway = await startGateway(config, createLogger('test', 'silent'));
  return {
    gateway,
    calls,
    async stop() {
      await gateway.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('Retries of subgraph fetches', () => {
  let failing: Failing | undefined;
  afterEach(async () => {
    await failing?.stop();
    failing = undefined;
  });

  it('never retries a mutation, and stops retrying queries when the budget is spent', async () => {
    failing = await startFailing({ RETRY_BUDGET_RATIO: '0', RETRY_BUDGET_RESERVE: '3' });
    const mutation = await graphql(failing.gateway.url, 'mutation { poke }');
    expect(mutation.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'legacy', status: 503 });
    expect(failing.calls.mutation).toBe(1);

    const perQuery: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = failing.calls.query;
      const result = await graphql(failing.gateway.url, '{ ping }');
      expect(result.body.errors?.[0]?.extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
      perQuery.push(failing.calls.query - before);
    }
    // Reserve 3: two retries, then one, then none (the ratio earns nothing).
    expect(perQuery).toEqual([3, 2, 1, 1]);
    expect(failing.calls.mutation).toBe(1);
  });

  it('earns RETRY_BUDGET_RATIO of a retry per call (edge: 1 = one retry per call, never two)', async () => {
    failing = await startFailing({ RETRY_BUDGET_RATIO: '1', RETRY_BUDGET_RESERVE: '0' });
    for (let i = 0; i < 3; i++) await graphql(failing.gateway.url, '{ ping }');
    expect(failing.calls.query).toBe(6);
  });

  it('retries nothing with SUBGRAPH_RETRIES=0', async () => {
    failing = await startFailing({ SUBGRAPH_RETRIES: '0' });
    for (let i = 0; i < 3; i++) await graphql(failing.gateway.url, '{ ping }');
    expect(failing.calls.query).toBe(3);
  });
});
