/**
 * Issue 8: "Same answers as stock, byte for byte in `data`". Random valid operations generated from
 * the region's API schema (the fuzzer's generator, seeded) are planned once and run twice on the
 * running region: by @apollo/gateway's executeQueryPlan and by Passerelle's engine, as an
 * anonymous caller and as an agent. `data` must be identical as JSON (field order included);
 * errors must agree on codes and paths. RANDOM_SEED=<n> replays a run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOperationAST, parse, specifiedRules, validate, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Principal } from '../../gateway/pipeline.ts';
import type { OperationPlanner } from '../../gateway/plan/index.ts';
import { plannerFor, stockAndEngine } from '../harness/engines.ts';
import { graphql } from '../harness/graphql.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { createOperationGenerator, createRng } from '../security/operation-generator.ts';

const SEED = Number(process.env.RANDOM_SEED ?? Date.now() % 2 ** 31);
const COUNT = Number(process.env.RANDOM_OPERATIONS ?? 150);

const ANONYMOUS: Principal = { id: 'anonymous', kind: 'anonymous', scopes: [] };
const AGENT: Principal = { id: 'agent:AG0001', kind: 'agent', scopes: ['requests:read', 'requests:write'] };

let system: TestSystem;
let planner: OperationPlanner;
let apiSchema: GraphQLSchema;
let stock: ReturnType<typeof stockAndEngine>['stock'];
let engine: ReturnType<typeof stockAndEngine>['engine'];
let samples: { uai: string; reference: string; commune: string };

beforeAll(async () => {
  system = await startTestSystem();
  const sdl = readFileSync(resolve(import.meta.dirname, '../../schema/supergraph.graphql'), 'utf8');
  planner = await plannerFor(sdl);
  apiSchema = planner.apiSchema!;
  ({ stock, engine } = stockAndEngine(system.subgraphs, { dedup: true }));

  const lycee = await graphql<{ lycees: { edges: { node: { uai: string; commune: { code: string } } }[] } }>(system.gateway, '{ lycees(first: 1) { edges { node { uai commune { code } } } } }');
  const { uai, commune } = lycee.body.data!.lycees.edges[0]!.node;
  samples = { uai, reference: 'IDF-2026-000001', commune: commune.code };
}, 180_000);

afterAll(async () => {
  await system?.stop();
});

async function both(query: string, operationName: string | undefined, variables: Record<string, unknown>, principal: Principal) {
  const document = parse(query);
  const planned = planner.plan(query, document, operationName);
  const run = { planned, variables, context: { principal } };
  const [a, b] = [await stock.run(run), await engine.run(run)];
  return { stock: a, engine: b };
}

function errorSummary(result: ExecutionResult): string[] {
  return (result.errors ?? []).map((error) => `${String(error.extensions?.code)} ${JSON.stringify(error.path ?? null)}`).sort();
}

describe(`the engine answers as stock does (RANDOM_SEED=${SEED})`, () => {
  it('the heavy region queries', async () => {
    const impact = readFileSync(resolve(import.meta.dirname, '../../console/src/operations/impact.graphql'), 'utf8');
    const queries = [
      { query: impact, operationName: 'DepartementImpact', variables: { departement: '93', year: 2024 } },
      { query: impact, operationName: 'RegionImpact', variables: { year: 2023 } },
      { query: '{ region(code: "11") { code name departements { code name communes { code name lycees { uai name commune { code } } } } } }' },
      { query: '{ lycees(first: 30) { edges { node { uai name commune { code name departement { code name } } } } } }' },
    ];
    for (const { query, operationName, variables } of queries) {
      for (const principal of [ANONYMOUS, AGENT]) {
        const { stock: a, engine: b } = await both(query, operationName, variables ?? {}, principal);
        expect(JSON.stringify(b.data), query).toBe(JSON.stringify(a.data));
        expect(JSON.stringify(b.data).length).toBeGreaterThan(100);
        expect(errorSummary(b)).toEqual(errorSummary(a));
      }
    }
  }, 120_000);

  it(`${COUNT} random valid operations`, async () => {
    const rng = createRng(SEED);
    const next = createOperationGenerator(apiSchema, rng, samples);
    const mismatches: string[] = [];
    let compared = 0;
    for (let attempt = 0; compared < COUNT && attempt < COUNT * 20; attempt++) {
      const generated = next();
      if (generated.rawBody || generated.kind === 'mutation' || generated.kind === 'subscription') continue;
      let document;
      try {
        document = parse(generated.query);
      } catch {
        continue;
      }
      if (validate(apiSchema, document, specifiedRules).length > 0) continue;
      if (!getOperationAST(document, generated.operationName)) continue;
      if (document.definitions.some((definition) => definition.kind === 'OperationDefinition' && definition.operation !== 'query')) continue;
      compared++;
      const principal = rng.chance(0.5) ? ANONYMOUS : AGENT;
      let answers;
      try {
        answers = await both(generated.query, generated.operationName, generated.variables ?? {}, principal);
      } catch (error) {
        mismatches.push(`#${attempt} threw ${String(error)}: ${generated.query}`);
        continue;
      }
      const { stock: a, engine: b } = answers;
      if (JSON.stringify(b.data) !== JSON.stringify(a.data)) mismatches.push(`#${attempt} data differs: ${generated.query}\n stock:  ${JSON.stringify(a.data)?.slice(0, 400)}\n engine: ${JSON.stringify(b.data)?.slice(0, 400)}`);
      else if (JSON.stringify(errorSummary(a)) !== JSON.stringify(errorSummary(b))) mismatches.push(`#${attempt} errors differ: ${generated.query}\n stock: ${errorSummary(a).join(', ')}\n engine: ${errorSummary(b).join(', ')}`);
    }
    expect(compared).toBeGreaterThan(COUNT / 2);
    expect(mismatches, mismatches.join('\n\n')).toEqual([]);
    expect(engine.stats().engine).toBeGreaterThan(0);
  }, 600_000);
});
