/**
 * Rules of the gateway's plain HTTP client toward its subgraphs (gateway/execute/subgraph-client.ts),
 * against real HTTP servers on port 0: what each fetch carries, how each failure reads, the guard
 * around it (retries, breaker, client aborts), in-flight de-duplication, and keep-alive pools.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdentitySigner, identityKey, verifyIdentity, IDENTITY_HEADER } from '../../common/identity.ts';
import { createSubgraphClient, type SubgraphClient, type SubgraphRequest } from '../../gateway/execute/subgraph-client.ts';
import { isSubgraphFailure } from '../../gateway/execute/subgraph-failure.ts';
import { createSubgraphGuards, type SubgraphGuards, type SubgraphGuardsConfig } from '../../gateway/execute/subgraph-guards.ts';
import { ANONYMOUS, buildPipeline, type GatewayPlugin, type Principal } from '../../gateway/pipeline.ts';
import { useSubgraphTimeout } from '../../gateway/plugins/useSubgraphTimeout.ts';
import { DEV_GATEWAY_SECRET } from '../harness/identity.ts';
import { waitFor } from '../harness/streams.ts';

const AGENT: Principal = { id: 'agent:AG0001', kind: 'agent', scopes: ['requests:read'] };
const OTHER_AGENT: Principal = { id: 'agent:AG0002', kind: 'agent', scopes: ['requests:read'] };
const QUERY = 'query Ping($n: Int) { ping(n: $n) }';

// ── Harness ────────────────────────────────────────────────────────────────────────────────────

interface Hit {
  headers: IncomingHttpHeaders;
  body: { query: string; operationName?: string; variables?: Record<string, unknown> };
  /** The connection closed before the answer was complete (the gateway gave up). */
  cutShort: boolean;
  answered: boolean;
}

interface TestServer {
  url: string;
  hits: Hit[];
  connections: () => number;
  close(): Promise<void>;
}

type Handler = (hit: Hit, res: ServerResponse, index: number) => void;

const servers: TestServer[] = [];
const guardSets: SubgraphGuards[] = [];

afterEach(async () => {
  await Promise.all(guardSets.splice(0).map((guards) => guards.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: Handler): Promise<TestServer> {
  const hits: Hit[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const hit: Hit = { headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), cutShort: false, answered: false };
      res.on('finish', () => (hit.answered = true));
      res.on('close', () => (hit.cutShort = !res.writableFinished));
      hits.push(hit);
      handler(hit, res, hits.length);
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const test: TestServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    hits,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(test);
  return test;
}

function answer(res: ServerResponse, value: unknown, delayMs = 0): void {
  const send = () => {
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  };
  if (delayMs > 0) setTimeout(send, delayMs);
  else send();
}

const ping = (hit: Hit) => ({ data: { ping: `pong ${JSON.stringify(hit.body.variables ?? {})}` } });

interface Setup {
  /** Subgraph name → URL. */
  urls: Record<string, string>;
  timeoutMs?: number;
  maxResponseBytes?: number;
  dedup?: boolean;
  plugins?: GatewayPlugin[];
  guards?: Partial<SubgraphGuardsConfig>;
}

function client(setup: Setup): { client: SubgraphClient; guards: SubgraphGuards } {
  const guards = createSubgraphGuards({
    subgraphConnections: 8,
    subgraphRetries: 2,
    breakerFailureRatio: 1,
    breakerWindowMs: 10_000,
    breakerMinRequests: 3,
    breakerHalfOpenAfterMs: 60_000,
    bulkheadQueue: 100,
    retryBudgetRatio: 0.1,
    retryBudgetReserve: 10,
    ...setup.guards,
  });
  guardSets.push(guards);
  const pipeline = buildPipeline([useSubgraphTimeout({ timeoutMs: setup.timeoutMs ?? 5_000 }), ...(setup.plugins ?? [])]);
  return {
    guards,
    client: createSubgraphClient({
      urlOf: (name) => setup.urls[name],
      guards,
      pipeline,
      identity: createIdentitySigner(DEV_GATEWAY_SECRET),
      maxResponseBytes: setup.maxResponseBytes,
      dedup: setup.dedup ?? true,
    }),
  };
}

function request(overrides: Partial<SubgraphRequest> = {}): SubgraphRequest {
  return { subgraph: 'geo', query: QUERY, operationName: 'Ping', variables: { n: 1 }, kind: 'query', principal: AGENT, ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<GraphQLError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return error as GraphQLError;
  }
  throw new Error('the fetch succeeded');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ── What a fetch carries ───────────────────────────────────────────────────────────────────────

describe('Request', () => {
  it('sends one JSON body with the signed identity of the caller and the hooks\' headers', async () => {
    const server = await serve((hit, res) => answer(res, ping(hit)));
    const settled: unknown[] = [];
    const tracing: GatewayPlugin = {
      name: 'tracing',
      onSubgraphFetch: () => ({ headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', [IDENTITY_HEADER]: 'forged' }, done: (error) => settled.push(error) }),
    };
    const { client: subgraphs } = client({ urls: { geo: server.url }, plugins: [tracing] });

    const result = await subgraphs.fetch(request());
    expect(result).toEqual({ data: { ping: 'pong {"n":1}' } });

    const [hit] = server.hits;
    expect(hit!.body).toEqual({ query: QUERY, operationName: 'Ping', variables: { n: 1 } });
    expect(hit!.headers['content-type']).toBe('application/json');
    expect(hit!.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const caller = await verifyIdentity(identityKey(DEV_GATEWAY_SECRET), hit!.headers[IDENTITY_HEADER] as string);
    expect(caller).toMatchObject({ subject: 'agent:AG0001', kind: 'agent', scopes: ['requests:read'] });
    expect(settled).toEqual([undefined]);
  });

  it('signs anonymous fetches too', async () => {
    const server = await serve((hit, res) => answer(res, ping(hit)));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    await subgraphs.fetch(request({ principal: ANONYMOUS }));
    expect(await verifyIdentity(identityKey(DEV_GATEWAY_SECRET), server.hits[0]!.headers[IDENTITY_HEADER] as string)).toBeNull();
  });

  it('returns GraphQL errors of a 200 answer as data, not as a failure', async () => {
    const server = await serve((_hit, res) => answer(res, { data: null, errors: [{ message: 'nope', extensions: { code: 'FORBIDDEN' } }] }));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    expect(await subgraphs.fetch(request())).toEqual({ data: null, errors: [{ message: 'nope', extensions: { code: 'FORBIDDEN' } }] });
  });
});

// ── Failures, each a catalogue error naming the subgraph ──────────────────────────────────────

describe('Failures', () => {
  it('fails past the smallest deadline the hooks ask with GATEWAY_TIMEOUT, and answers within it', async () => {
    // Answers well after the deadline, so a busy machine cannot turn it into a success.
    const slow = await serve((hit, res) => answer(res, ping(hit), 700));
    const fast = await serve((hit, res) => answer(res, ping(hit)));
    const settled: unknown[] = [];
    const shorter: GatewayPlugin = { name: 'shorter', onSubgraphFetch: () => ({ timeoutMs: 200, done: (error) => settled.push(error) }) };
    const { client: subgraphs } = client({ urls: { slow: slow.url, fast: fast.url }, timeoutMs: 5_000, plugins: [shorter] });

    const error = await failure(subgraphs.fetch(request({ subgraph: 'slow' })));
    expect(error.extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT', subgraph: 'slow' });
    expect(settled).toEqual([error]);
    // A timeout is not retried (the subgraph is slow, not gone).
    expect(slow.hits).toHaveLength(1);
    expect(await subgraphs.fetch(request({ subgraph: 'fast' }))).toEqual({ data: { ping: 'pong {"n":1}' } });
  });

  it('cuts the request at the deadline', async () => {
    const hung = await serve(() => undefined);
    const { client: subgraphs } = client({ urls: { geo: hung.url }, timeoutMs: 100 });
    expect((await failure(subgraphs.fetch(request()))).extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT', subgraph: 'geo' });
    await waitFor(() => hung.hits[0]!.cutShort, 'the subgraph to see the request cut');
  });

  it('fails at the deadline a fetch still waiting for a connection, and never sends it', async () => {
    // One connection, held by a request the subgraph never answers: the next one waits in the pool.
    const hung = await serve(() => undefined);
    const deadlines: GatewayPlugin = { name: 'deadlines', onSubgraphFetch: ({ operationName }) => ({ timeoutMs: operationName === 'Blocker' ? 1_500 : 150 }) };
    const { client: subgraphs } = client({ urls: { geo: hung.url }, guards: { subgraphConnections: 1 }, plugins: [deadlines] });
    const blocker = subgraphs.fetch(request({ operationName: 'Blocker', variables: { n: 1 } })).catch((error: unknown) => error);
    await waitFor(() => hung.hits.length === 1, 'the blocking request to arrive');
    const startedAt = Date.now();
    const error = await failure(subgraphs.fetch(request({ variables: { n: 2 } })));
    expect(error.extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT', subgraph: 'geo' });
    // Failed at its own deadline, not when the connection came free.
    expect(Date.now() - startedAt).toBeLessThan(1_400);
    expect(((await blocker) as GraphQLError).extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT' });
    // Once the connection is free, the request that timed out is not sent after all.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hung.hits.map((hit) => hit.body.variables)).toEqual([{ n: 1 }]);
  });

  it('still honours a hook that gives an AbortSignal', async () => {
    const slow = await serve((hit, res) => answer(res, ping(hit), 5_000));
    const legacy: GatewayPlugin = { name: 'legacy', onSubgraphFetch: () => ({ signal: AbortSignal.timeout(100) }) };
    const { client: subgraphs } = client({ urls: { slow: slow.url }, plugins: [legacy] });
    expect((await failure(subgraphs.fetch(request({ subgraph: 'slow' })))).extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT', subgraph: 'slow' });
  });

  it.each([500, 503])('fails an HTTP %i with SUBGRAPH_UNAVAILABLE and its status', async (status) => {
    const server = await serve((_hit, res) => res.writeHead(status, { 'content-type': 'text/plain' }).end('down'));
    const { client: subgraphs } = client({ urls: { geo: server.url }, guards: { subgraphRetries: 0 } });
    const error = await failure(subgraphs.fetch(request()));
    expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'geo', status });
    expect(error.message).toContain('geo');
  });

  it('fails an unreachable subgraph with SUBGRAPH_UNAVAILABLE', async () => {
    const { client: subgraphs } = client({ urls: { geo: `http://127.0.0.1:${await freePort()}/graphql` } });
    const error = await failure(subgraphs.fetch(request()));
    expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'geo' });
    expect(error.extensions.status).toBeUndefined();
    expect(error.message).toMatch(/unreachable \(ECONNREFUSED\)/);
  });

  it('fails a subgraph missing from the supergraph', async () => {
    const { client: subgraphs } = client({ urls: {} });
    expect((await failure(subgraphs.fetch(request()))).extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'geo' });
  });

  it('fails a declared Content-Length over the limit with RESPONSE_TOO_LARGE before reading', async () => {
    const server = await serve((_hit, res) => {
      const body = JSON.stringify({ data: { ping: 'x'.repeat(2_000) } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    const { client: subgraphs } = client({ urls: { geo: server.url }, maxResponseBytes: 1_000 });
    const error = await failure(subgraphs.fetch(request()));
    expect(error.extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', subgraph: 'geo', limit: 1_000 });
  });

  it('fails a streamed body past the limit with RESPONSE_TOO_LARGE and drops the connection', async () => {
    const server = await serve((_hit, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":{"ping":"');
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || sent >= 2_000) {
          clearInterval(timer);
          if (!res.destroyed) res.end('"}}');
          return;
        }
        sent += 1;
        res.write('x'.repeat(100));
      }, 2);
    });
    const { client: subgraphs } = client({ urls: { geo: server.url }, maxResponseBytes: 1_000 });
    const error = await failure(subgraphs.fetch(request()));
    expect(error.extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', subgraph: 'geo', limit: 1_000 });
    await waitFor(() => server.hits[0]!.cutShort, 'the subgraph to see the connection dropped');
  });

  it('reads a body just under the limit', async () => {
    const server = await serve((hit, res) => answer(res, ping(hit)));
    const { client: subgraphs } = client({ urls: { geo: server.url }, maxResponseBytes: 1_000 });
    expect(await subgraphs.fetch(request())).toEqual({ data: { ping: 'pong {"n":1}' } });
  });

  it('fails a body that is not JSON with SUBGRAPH_UNAVAILABLE, without retrying it', async () => {
    const server = await serve((_hit, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>'));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    const error = await failure(subgraphs.fetch(request()));
    expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'geo' });
    expect(error.message).toContain('not JSON');
    expect(server.hits).toHaveLength(1);
  });
});

// ── The guard around each fetch ────────────────────────────────────────────────────────────────

describe('Guard', () => {
  it('retries a query on 503 within the budget, never a mutation', async () => {
    const server = await serve((hit, res, index) => {
      if (hit.body.query.startsWith('mutation') || index <= 2) res.writeHead(503).end();
      else answer(res, ping(hit));
    });
    const { client: subgraphs } = client({ urls: { geo: server.url } });

    expect(await subgraphs.fetch(request())).toEqual({ data: { ping: 'pong {"n":1}' } });
    expect(server.hits).toHaveLength(3);
    expect(subgraphs.stats().sent.geo).toBe(3);

    const error = await failure(subgraphs.fetch(request({ query: 'mutation Poke { poke }', operationName: 'Poke', variables: undefined, kind: 'mutation' })));
    expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', status: 503 });
    expect(server.hits).toHaveLength(4);
  });

  it('opens the breaker after failures, then fails at once without calling the subgraph', async () => {
    const server = await serve((_hit, res) => res.writeHead(500).end());
    const { client: subgraphs, guards } = client({ urls: { geo: server.url }, guards: { breakerFailureRatio: 0.5, breakerMinRequests: 3 } });
    let refused: GraphQLError | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      const error = await failure(subgraphs.fetch(request()));
      if (error.extensions.reason === 'breaker-open') refused = error;
      else expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', status: 500 });
    }
    expect(refused?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'geo', reason: 'breaker-open' });
    expect(guards.breakers().geo).toBe('open');
    const hits = server.hits.length;
    expect((await failure(subgraphs.fetch(request()))).extensions.reason).toBe('breaker-open');
    expect(server.hits).toHaveLength(hits);
  });

  it('aborts the subgraph request when the client gives up, and never holds it against the breaker', async () => {
    const server = await serve(() => undefined);
    const settled: unknown[] = [];
    const observer: GatewayPlugin = { name: 'observer', onSubgraphFetch: () => ({ done: (error) => settled.push(error) }) };
    const { client: subgraphs, guards } = client({
      urls: { geo: server.url },
      plugins: [observer],
      guards: { breakerFailureRatio: 0.5, breakerMinRequests: 3 },
    });
    for (let i = 0; i < 6; i++) {
      const controller = new AbortController();
      const pending = subgraphs.fetch(request({ variables: { n: i }, signal: controller.signal }));
      await waitFor(() => server.hits.length === i + 1, 'the subgraph to get the request');
      controller.abort();
      const error = await failure(pending);
      expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'geo' });
      expect(isSubgraphFailure(error)).toBe(false);
      await waitFor(() => server.hits[i]!.cutShort, 'the subgraph to see the request aborted');
    }
    // Not retried either: one physical request per fetch.
    expect(server.hits).toHaveLength(6);
    expect(settled).toHaveLength(6);
    expect(guards.breakers().geo).toBe('closed');
  });

  it('refuses a fetch whose client already gave up without sending it', async () => {
    const server = await serve((hit, res) => answer(res, ping(hit)));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    const error = await failure(subgraphs.fetch(request({ signal: AbortSignal.abort() })));
    expect(isSubgraphFailure(error)).toBe(false);
    expect(server.hits).toHaveLength(0);
  });
});

// ── In-flight de-duplication ───────────────────────────────────────────────────────────────────

describe('De-duplication', () => {
  it('sends 10 concurrent identical queries of one caller once, hooks included', async () => {
    const server = await serve((hit, res) => answer(res, ping(hit), 50));
    let hookCalls = 0;
    const settled: unknown[] = [];
    const observer: GatewayPlugin = {
      name: 'observer',
      onSubgraphFetch: () => {
        hookCalls += 1;
        return { done: (error) => settled.push(error) };
      },
    };
    const { client: subgraphs } = client({ urls: { geo: server.url }, plugins: [observer] });
    const results = await Promise.all(Array.from({ length: 10 }, () => subgraphs.fetch(request())));
    expect(results.every((result) => result.data?.ping === 'pong {"n":1}')).toBe(true);
    expect(server.hits).toHaveLength(1);
    expect(subgraphs.stats()).toEqual({ sent: { geo: 1 }, deduplicated: { geo: 9 } });
    expect(hookCalls).toBe(1);
    expect(settled).toEqual([undefined]);
  });

  it('never shares between callers of different authority, nor between different variables', async () => {
    const server = await serve((hit, res) => answer(res, ping(hit), 50));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    await Promise.all([
      subgraphs.fetch(request({ principal: AGENT })),
      subgraphs.fetch(request({ principal: ANONYMOUS })),
      subgraphs.fetch(request({ principal: OTHER_AGENT })),
      subgraphs.fetch(request({ principal: { ...AGENT, scopes: [] } })),
      subgraphs.fetch(request({ principal: AGENT, variables: { n: 2 } })),
    ]);
    expect(server.hits).toHaveLength(5);
    const subjects = await Promise.all(server.hits.map((hit) => verifyIdentity(identityKey(DEV_GATEWAY_SECRET), hit.headers[IDENTITY_HEADER] as string)));
    expect(subjects.map((caller) => caller?.subject ?? 'anonymous').sort()).toEqual(['agent:AG0001', 'agent:AG0001', 'agent:AG0001', 'agent:AG0002', 'anonymous']);
  });

  it('shares between anonymous callers of different addresses (one authority)', async () => {
    const server = await serve((hit, res) => answer(res, ping(hit), 50));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    const a: Principal = { id: 'ip:10.0.0.1', kind: 'anonymous', scopes: [] };
    const b: Principal = { id: 'ip:10.0.0.2', kind: 'anonymous', scopes: [] };
    await Promise.all([subgraphs.fetch(request({ principal: a })), subgraphs.fetch(request({ principal: b }))]);
    expect(server.hits).toHaveLength(1);
  });

  it('never de-duplicates a mutation', async () => {
    const server = await serve((_hit, res) => answer(res, { data: { poke: 'ok' } }, 20));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    const mutation = request({ query: 'mutation Poke { poke }', operationName: 'Poke', variables: undefined, kind: 'mutation' });
    await Promise.all(Array.from({ length: 10 }, () => subgraphs.fetch(mutation)));
    expect(server.hits).toHaveLength(10);
    expect(subgraphs.stats().deduplicated.geo).toBeUndefined();
  });

  it('a waiter that gives up gets its own abort; the others still get the answer', async () => {
    let release: () => void = () => undefined;
    const server = await serve((hit, res) => (release = () => answer(res, ping(hit))));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    const first = new AbortController();
    const follower = new AbortController();
    const leading = subgraphs.fetch(request({ signal: first.signal }));
    const following = subgraphs.fetch(request({ signal: follower.signal }));
    const third = subgraphs.fetch(request());
    await waitFor(() => server.hits.length === 1, 'the shared request to reach the subgraph');

    follower.abort();
    const error = await failure(following);
    expect(isSubgraphFailure(error)).toBe(false);
    // The first waiter (which started the request) giving up does not stop it for the third either.
    first.abort();
    await failure(leading);
    release();
    expect(await third).toEqual({ data: { ping: 'pong {"n":1}' } });
    expect(server.hits).toHaveLength(1);
    expect(server.hits[0]!.cutShort).toBe(false);
  });

  it('aborts the shared request once every waiter gave up', async () => {
    const server = await serve(() => undefined);
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    const controllers = [new AbortController(), new AbortController()];
    const pending = controllers.map((controller) => subgraphs.fetch(request({ signal: controller.signal })));
    await waitFor(() => server.hits.length === 1, 'the shared request to reach the subgraph');
    for (const controller of controllers) controller.abort();
    for (const each of pending) await failure(each);
    await waitFor(() => server.hits[0]!.cutShort, 'the subgraph to see the request aborted');
    // The next identical fetch starts afresh instead of joining the abandoned one.
    const again = new AbortController();
    const next = subgraphs.fetch(request({ signal: again.signal }));
    await waitFor(() => server.hits.length === 2, 'a new request');
    again.abort();
    await failure(next);
  });

  it('gives each waiter its own object', async () => {
    const server = await serve((_hit, res) => answer(res, { data: { commune: { code: '75056', tags: ['a'] } } }, 50));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    const [one, two, three] = await Promise.all([subgraphs.fetch(request()), subgraphs.fetch(request()), subgraphs.fetch(request())]);
    expect(server.hits).toHaveLength(1);
    const commune = one!.data!.commune as { code: string; tags: string[]; extra?: number };
    commune.code = 'changed';
    commune.tags.push('b');
    commune.extra = 1;
    expect(two).toEqual({ data: { commune: { code: '75056', tags: ['a'] } } });
    expect(three).toEqual({ data: { commune: { code: '75056', tags: ['a'] } } });
    expect(two!.data).not.toBe(three!.data);
  });

  it('gives each waiter the failure too', async () => {
    const server = await serve((_hit, res) => setTimeout(() => res.writeHead(500).end(), 50));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    const errors = await Promise.all([failure(subgraphs.fetch(request())), failure(subgraphs.fetch(request()))]);
    expect(server.hits).toHaveLength(1);
    for (const error of errors) expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'geo', status: 500 });
  });

  it('sends every fetch when de-duplication is off', async () => {
    const server = await serve((hit, res) => answer(res, ping(hit), 50));
    const { client: subgraphs } = client({ urls: { geo: server.url }, dedup: false });
    await Promise.all(Array.from({ length: 10 }, () => subgraphs.fetch(request())));
    expect(server.hits).toHaveLength(10);
    expect(subgraphs.stats()).toEqual({ sent: { geo: 10 }, deduplicated: {} });
  });
});

// ── Connections ────────────────────────────────────────────────────────────────────────────────

describe('Keep-alive', () => {
  it('reuses connections across sequential fetches', async () => {
    const server = await serve((hit, res) => answer(res, ping(hit)));
    const { client: subgraphs } = client({ urls: { geo: server.url } });
    for (let i = 0; i < 30; i++) await subgraphs.fetch(request({ variables: { n: i } }));
    expect(server.hits).toHaveLength(30);
    // undici's pool may open a second connection while the first is being released; never one per fetch.
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it('keeps the connection after an HTTP error status', async () => {
    const server = await serve((hit, res, index) => (index % 2 === 0 ? res.writeHead(500, { 'content-type': 'text/plain' }).end('boom') : answer(res, ping(hit))));
    const { client: subgraphs } = client({ urls: { geo: server.url }, guards: { subgraphRetries: 0 } });
    for (let i = 0; i < 10; i++) await subgraphs.fetch(request({ variables: { n: i } })).catch(() => undefined);
    expect(server.hits).toHaveLength(10);
    expect(server.connections()).toBeLessThanOrEqual(2);
  });
});
