/**
 * Randomized operations against the whole region (issue 7: "a randomized test that generates valid
 * and invalid operations from the supergraph and checks the gateway always answers with data or
 * well-formed errors"). Operations come from the API schema (operation-generator.ts), each sent as
 * a random caller (anonymous, a citizen's tracking token, a development agent token, a partner
 * API key, a forged token) over HTTP POST, GET, SSE or graphql-ws; every answer is checked by
 * operation-answers.ts. Then the system must be alive (/health ok, an innocent query answered)
 * and the gateway's event loop must not have stalled.
 *
 * Reproducible: RANDOM_SEED=<n> replays a run (the seed is in the test's name and in every
 * failure); RANDOM_OPERATIONS=<n> changes how many operations are sent (default 300).
 *
 * Phase 1 runs with rate limits high enough that the fuzzer is not measuring 429s (and tighter
 * cost limits, see COST_LIMITS); the gateway's event loop is read around every batch of operations,
 * and an operation that stalls it past MAX_STALL_MS when replayed alone, twice, is a failure.
 * Phase 2 starts a second gateway on the same subgraphs with every limit at its default and checks
 * that its answers, 429s included, are well-formed too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { launch, type LaunchedProcess } from '../../scripts/launcher.ts';
import { agentClaims, signToken, tokenKey } from '../../subgraphs/kit/index.ts';
import { graphql } from '../harness/graphql.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { MAX_STALL_MS, expectInnocentServed, readEventLoop } from './harness.ts';
import { send, type Answer, type Transport } from './operation-answers.ts';
import { createOperationGenerator, createRng, loadApiSchema, type GeneratedOperation, type Rng } from './operation-generator.ts';
import { partnerKeys } from './partner-keys.ts';

const SEED = Number(process.env.RANDOM_SEED ?? Date.now() % 2 ** 31);
const COUNT = Number(process.env.RANDOM_OPERATIONS ?? 300);
/** Operations in flight at once: enough to overlap callers, few enough for a 2-core machine. */
const CONCURRENCY = 4;
const NO_LIMIT = '100000000';
/**
 * Cost limits for phase 1, below the defaults (1,000,000 anonymous, 2,000,000 partner): at the
 * defaults a valid walk such as every commune of every département with its indicators (cost
 * ~134,000, RANDOM_SEED=5 #1817 of 2,000) is accepted and stalls the gateway 130-160 ms while its
 * answer is merged. The stall check is about what the gateway does with any input within limits
 * of that order; phase 2 runs at every default and checks the answers only.
 */
const COST_LIMITS = { MAX_COST_ANONYMOUS: '5000', MAX_COST_CITIZEN: '5000', MAX_COST_PARTNER: '20000', MAX_COST_AGENT: '20000' };
const INNOCENT = '{ region(code: "11") { code name departements { code } } }';

interface Caller {
  name: 'anonymous' | 'citizen' | 'agent' | 'partner' | 'forged';
  headers: Record<string, string>;
  connectionParams: Record<string, string>;
}

interface Failure {
  index: number;
  caller: string;
  transport: Transport;
  operation: GeneratedOperation;
  problems: string[];
}

let system: TestSystem;
let keysPath: string;
let callers: Caller[];
let samples: { uai: string; reference: string; commune: string };
let innocent: unknown;

beforeAll(async () => {
  const keys = await partnerKeys([{ name: 'fuzz partner', scopes: ['requests:read'] }]);
  keysPath = keys.path;
  system = await startTestSystem({
    API_KEYS_PATH: keysPath,
    RATE_LIMIT_ANONYMOUS: NO_LIMIT, RATE_LIMIT_CITIZEN: NO_LIMIT, RATE_LIMIT_AGENT: NO_LIMIT, RATE_LIMIT_PARTNER: NO_LIMIT, DAILY_QUOTA_PARTNER: NO_LIMIT,
    ...COST_LIMITS,
  });
  const lycee = await graphql<{ lycees: { edges: { node: { uai: string; commune: { code: string } } }[] } }>(system.gateway, '{ lycees(first: 1) { edges { node { uai commune { code } } } } }');
  const { uai, commune } = lycee.body.data!.lycees.edges[0]!.node;
  const filed = await graphql<{ submitRequest: { trackingToken: string; request: { reference: string } } }>(
    system.gateway,
    `mutation($input: SubmitRequestInput!) { submitRequest(input: $input, idempotencyKey: "random-operations-${SEED}") { trackingToken request { reference } } }`,
    { input: { subject: 'Vidéoprojecteur en panne', description: 'Le vidéoprojecteur de la salle 12 ne s’allume plus.', commune: commune.code, lycee: uai, contact: { name: 'Camille Martin', email: 'camille.martin@example.org' }, channel: 'WEB' } },
  );
  expect(filed.body.errors).toBeUndefined();
  const { trackingToken, request } = filed.body.data!.submitRequest;
  samples = { uai, reference: request.reference, commune: commune.code };
  // A development agent token, as `npm run token` makes it (AUTH_SECRET's development default).
  const { authSecret } = readEnv({ authSecret: gatewayEnv.authSecret }, process.env);
  const agent = (await signToken(tokenKey(authSecret), agentClaims('AG0001'), new Date(), 3600)).token;
  const bearer = (name: Caller['name'], token: string): Caller => ({ name, headers: { authorization: `Bearer ${token}` }, connectionParams: { authorization: `Bearer ${token}` } });
  callers = [
    { name: 'anonymous', headers: {}, connectionParams: {} },
    bearer('citizen', trackingToken),
    bearer('agent', agent),
    { name: 'partner', headers: { 'x-api-key': keys.keys[0]! }, connectionParams: { 'x-api-key': keys.keys[0]! } },
    bearer('forged', `${agent.slice(0, -4)}AAAA`),
  ];
  innocent = (await graphql(system.gateway, INNOCENT)).body.data;
}, 120_000);

afterAll(async () => {
  await system?.stop();
});

function pickCaller(rng: Rng): Caller {
  const roll = rng.next();
  return callers[roll < 0.35 ? 0 : roll < 0.55 ? 1 : roll < 0.75 ? 2 : roll < 0.95 ? 3 : 4]!;
}

function pickTransport(rng: Rng, operation: GeneratedOperation): Transport {
  if (operation.rawBody !== undefined) return 'post';
  const roll = rng.next();
  // Subscriptions go mostly where they are served (SSE, graphql-ws); POSTed, they are refused with BAD_REQUEST.
  if (operation.kind === 'subscription') return roll < 0.4 ? 'sse' : roll < 0.8 ? 'ws' : 'post';
  return roll < 0.72 ? 'post' : roll < 0.84 ? 'get' : roll < 0.94 ? 'sse' : 'ws';
}

/** Operations between two reads of the gateway's event loop. */
const BATCH = 20;

interface Planned {
  operation: GeneratedOperation;
  caller: Caller;
  transport: Transport;
}

/**
 * Runs `count` random operations from `seed` against `gatewayUrl`, CONCURRENCY at a time, in
 * batches; the gateway's event loop is read around each batch. A batch that stalled it past
 * MAX_STALL_MS is replayed one operation at a time, and an operation is reported only if it
 * stalls the loop again when replayed, alone, twice: on a shared 2-core machine the scheduler
 * alone can pause a process for 100 ms, which is no finding.
 */
async function fuzz(gatewayUrl: string, seed: number, count: number, pick: (rng: Rng) => Caller = pickCaller) {
  const rng = createRng(seed);
  const next = createOperationGenerator(loadApiSchema(), rng, samples);
  // Generated up front, in order, so that concurrency does not change which operation a seed gives.
  const plan: Planned[] = Array.from({ length: count }, () => {
    const operation = next();
    return { operation, caller: pick(rng), transport: pickTransport(rng, operation) };
  });
  const failures: Failure[] = [];
  const answers: (Answer & { kind: string })[] = [];
  const run = async (index: number): Promise<void> => {
    const { operation, caller, transport } = plan[index]!;
    let answer: Answer;
    try {
      answer = await send(transport, { gatewayUrl, operation, headers: caller.headers, connectionParams: caller.connectionParams });
    } catch (error) {
      answer = { transport, status: 0, codes: [], problems: [`no answer: ${(error as Error).message}`] };
    }
    answers.push({ ...answer, kind: operation.kind });
    if (answer.problems.length > 0) failures.push({ index, caller: caller.name, transport, operation, problems: answer.problems });
  };
  const stalledBatches: number[][] = [];
  for (let start = 0; start < plan.length; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, plan.length - start) }, (_, i) => start + i);
    await readEventLoop(gatewayUrl);
    let cursor = 0;
    const worker = async () => {
      while (cursor < batch.length) await run(batch[cursor++]!);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if ((await readEventLoop(gatewayUrl)).maxDelayMs > MAX_STALL_MS) stalledBatches.push(batch);
  }
  const stalls: Failure[] = [];
  for (const batch of stalledBatches.slice(0, 5)) {
    for (const index of batch) {
      const { operation, caller, transport } = plan[index]!;
      const delays: number[] = [];
      for (let attempt = 0; attempt < 2; attempt++) {
        await readEventLoop(gatewayUrl);
        await send(transport, { gatewayUrl, operation, headers: caller.headers, connectionParams: caller.connectionParams }).catch(() => undefined);
        delays.push((await readEventLoop(gatewayUrl)).maxDelayMs);
        if (delays.at(-1)! <= MAX_STALL_MS) break;
      }
      if (delays.length === 2 && delays.every((delay) => delay > MAX_STALL_MS)) {
        stalls.push({ index, caller: caller.name, transport, operation, problems: [`alone, it stalled the gateway's event loop ${delays.map((d) => `${Math.round(d)} ms`).join(', then ')}`] });
      }
    }
  }
  return { failures, answers, stalls, stalledBatches: stalledBatches.length };
}

function report(seed: number, failures: Failure[]): string {
  return failures
    .slice(0, 10)
    .map((failure) => [
      `#${failure.index} (RANDOM_SEED=${seed}) ${failure.operation.kind} as ${failure.caller} over ${failure.transport}:`,
      ...failure.problems.map((problem) => `  - ${problem}`),
      `  query: ${JSON.stringify(failure.operation.rawBody ?? failure.operation.query).slice(0, 600)}`,
      failure.operation.variables ? `  variables: ${JSON.stringify(failure.operation.variables).slice(0, 300)}` : '',
      failure.operation.operationName !== undefined ? `  operationName: ${JSON.stringify(failure.operation.operationName).slice(0, 100)}` : '',
    ].filter(Boolean).join('\n'))
    .join('\n');
}

/** Answers per kind and code, printed so a run shows what it exercised. */
function tally(answers: (Answer & { kind: string })[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    for (const code of answer.codes.length > 0 ? new Set(answer.codes) : ['data']) counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

describe(`Random operations (RANDOM_SEED=${SEED})`, () => {
  it(`answers ${COUNT} random operations with data or well-formed errors, and stays alive and responsive`, async () => {
    const { failures, answers, stalls, stalledBatches } = await fuzz(system.gateway, SEED, COUNT);
    console.info(`random operations, RANDOM_SEED=${SEED}:`, JSON.stringify(tally(answers)), `${stalledBatches} batches of ${BATCH} over ${MAX_STALL_MS} ms`);
    const dead = system.processes.filter((launched) => launched.child.exitCode !== null || launched.child.signalCode !== null);
    expect(dead.map((launched) => `${launched.name} exited (${launched.child.exitCode ?? launched.child.signalCode}):\n${launched.recentOutput()}`)).toEqual([]);
    expect(failures.length, `${failures.length} operations got a malformed answer:\n${report(SEED, failures)}`).toBe(0);
    expect(stalls.length, `${stalls.length} operations stalled the gateway:\n${report(SEED, stalls)}`).toBe(0);
    // Not only refusals: a good share of the operations ran and returned data.
    expect(answers.filter((answer) => answer.codes.length === 0).length).toBeGreaterThan(COUNT / 10);

    const health = await fetch(new URL('/health', system.gateway));
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    expectInnocentServed(await graphql(system.gateway, INNOCENT), innocent);
  }, 180_000);

  describe('with the default rate limits', () => {
    let limited: LaunchedProcess;
    beforeAll(async () => {
      // A second gateway on the same subgraphs, with every limit at its default.
      limited = await launch({
        name: 'gateway-default-limits',
        entry: 'gateway/main.ts',
        env: { PORT: '0', LOG_LEVEL: 'warn', API_KEYS_PATH: keysPath, SUBGRAPH_URLS: Object.entries(system.subgraphs).map(([name, url]) => `${name}=${url}`).join(',') },
      });
    }, 60_000);
    afterAll(async () => {
      await limited?.stop();
    });

    it('answers over the limit with well-formed 429s (RATE_LIMITED, Retry-After), and the rest as before', async () => {
      const url = limited.urls.graphql!;
      // One anonymous caller (one IP): the default is 300 a minute, so 420 operations cross it.
      const { failures, answers } = await fuzz(url, SEED + 1, 420, () => callers[0]!);
      expect(failures.length, `${failures.length} operations got a malformed answer:\n${report(SEED + 1, failures)}`).toBe(0);
      const refused = answers.filter((answer) => answer.codes.includes('RATE_LIMITED'));
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.filter((answer) => answer.transport !== 'ws').every((answer) => answer.status === 429 || answer.transport === 'sse')).toBe(true);
    }, 120_000);
  });
});
