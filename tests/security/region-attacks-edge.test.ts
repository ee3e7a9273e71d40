/**
 * Issue 7's attacks at the edge, thrown at one running region (every process real): amplifying
 * nested lists (1), fragment fan-out over HTTP, graphql-ws and SSE (2), forged tokens (4), CSRF
 * over SSE (7), a partner past its rate (8), an oversized body sent straight to a subgraph (9), and
 * the wrong codes (11). Each attack gets its coded error, stalls the gateway's event loop no more
 * than 100 ms, harms no innocent caller, and leaves every process answering.
 */
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gatewayEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { identityHeaders } from '../harness/identity.ts';
import { signToken, subscribeWs, waitFor, endingCodes, type Recording } from '../harness/streams.ts';
import { innocentAlongside, withoutStall } from './harness.ts';
import { AUTH_SECRET, INNOCENT, SUBMIT, TINY_QUOTA, TINY_RATE, agentBearer, expectAllAlive, requestInput, startRegion, twoServices, type Region } from './region-harness.ts';

let region: Region;
let gateway: string;
const recordings: Recording[] = [];

beforeAll(async () => {
  // A smaller subgraph result backstop than the default keeps attack 1b short.
  region = await startRegion({ SUBGRAPH_MAX_RESULT_OBJECTS: '50000' });
  gateway = region.gateway;
}, 120_000);
afterEach(() => {
  for (const recording of recordings.splice(0)) recording.dispose();
});
afterAll(async () => {
  await region?.stop();
});

/** `attack` with no stall in the gateway and an innocent caller served meanwhile; then everyone still answers. */
async function attack<T>(run: () => Promise<T>): Promise<T> {
  const result = await withoutStall(gateway, () => innocentAlongside(gateway, INNOCENT, run));
  await expectAllAlive(region);
  return result;
}

/** POST with the GraphQL-over-SSE accept header; the whole stream as text. */
async function overSse(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(gateway, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** Runs `query` over graphql-ws until it completes or fails. */
async function overWs(query: string, connectionParams?: Record<string, unknown>): Promise<Recording> {
  const recording = subscribeWs(gateway, { query, connectionParams });
  recordings.push(recording);
  await waitFor(() => recording.completed || recording.error !== undefined, 'the graphql-ws answer');
  return recording;
}

describe('1. Amplifying nested lists', () => {
  // 9 levels, within MAX_DEPTH: each `lycees` multiplies the answer by a commune's lycées.
  const NESTED = '{commune(code:"75056"){lycees{commune{lycees{commune{lycees{commune{lycees{commune{name}}}}}}}}}}';

  it('is refused before any subgraph is called with COST_LIMIT_EXCEEDED, the figure and the limit', async () => {
    expect(NESTED.length).toBeLessThanOrEqual(105);
    await region.system.resetCalls();
    const refused = await attack(() => graphql(gateway, NESTED));
    expect(errorCodes(refused)).toEqual(['COST_LIMIT_EXCEEDED']);
    const { cost, limit } = refused.body.errors![0]!.extensions as { cost: number; limit: number };
    expect(limit).toBe(readEnv({ maxCostAnonymous: gatewayEnv.maxCostAnonymous }, {}).maxCostAnonymous);
    expect(cost).toBeGreaterThan(limit);
    expect(refused.body.data ?? null).toBeNull();
    // The innocent query reached the geo API; the attack reached no Lycées API at all.
    expect((await region.system.calls())['lycees-api']).toBe(0);
  });

  it('one level less, within the cost limit: stopped by a backstop, and a caller of the same subgraph is served', async () => {
    const first = await graphql<{ lycees: { edges: { node: { uai: string; name: string } }[] } }>(gateway, '{ lycees(first: 1) { edges { node { uai name } } } }');
    const lycee = first.body.data!.lycees.edges[0]!.node;
    const innocent = { query: `{ lycee(uai: "${lycee.uai}") { uai name } }`, expected: { lycee } };
    const answer = await withoutStall(gateway, () =>
      innocentAlongside(gateway, innocent, () => graphql(gateway, '{ lycees(first: 90) { edges { node { commune { lycees { commune { lycees { uai } } } } } } } }')),
    );
    // Which backstop answers depends on MAX_COST_ANONYMOUS: the estimate, or the subgraph's result size.
    expect(errorCodes(answer)).toHaveLength(1);
    expect(['COST_LIMIT_EXCEEDED', 'RESPONSE_TOO_LARGE']).toContain(errorCodes(answer)[0]);
    await expectAllAlive(region);
  });

  it('sent straight to the lycees subgraph: 401 without a gateway identity, and with a forged one', async () => {
    const body = JSON.stringify({ query: '{ lycees(first: 100) { edges { node { commune { lycees { commune { lycees { uai } } } } } } } }' });
    const forged = identityHeaders(undefined, 'not-the-gateway-secret-but-long-enough-0123');
    for (const headers of [{}, forged, { 'x-passerelle-identity': 'garbage' }]) {
      const response = await attack(() =>
        fetch(region.system.subgraphs.lycees, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }),
      );
      expect(response.status).toBe(401);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('1b. Amplifying nested lists straight to the lycees subgraph, with a valid gateway identity', () => {
  // Only the gateway holds GATEWAY_SECRET; this is what a gateway bug, or a query the estimate
  // underrates, would send. The subgraph's own backstop (SUBGRAPH_MAX_RESULT_OBJECTS) ends it.
  it('stops at the subgraph\'s own result limit with RESPONSE_TOO_LARGE; the other callers and lycees itself are served', async () => {
    const query = `{ lycees(first: 100) { edges { node { commune { ${'lycees { commune { '.repeat(4)}code${' } }'.repeat(4)} } } } } }`;
    const refused = await attack(async () => {
      const response = await fetch(region.system.subgraphs.lycees, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...identityHeaders() },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    });
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['RESPONSE_TOO_LARGE']);
    expect(refused.data ?? null).toBeNull();
    const lycees = await graphql(gateway, '{ lycees(first: 1) { totalCount } }');
    expect(lycees.body.errors).toBeUndefined();
  });
});

describe('2. Fragment fan-out (1 KB, 27 fragments each spreading the next twice)', () => {
  /** Flat: every fragment on Commune, valid, and a naive walker visits 2^27 spreads. */
  const flat = (() => {
    const fragments = Array.from({ length: 27 }, (_, i) => (i < 26 ? `fragment F${i} on Commune{name ...F${i + 1} ...F${i + 1}}` : `fragment F${i} on Commune{name}`));
    return `{commune(code:"93066"){...F0}}${fragments.join('')}`;
  })();
  /** Deep: Commune → lycees → commune … through the fragments, past MAX_DEPTH. */
  const deep = (() => {
    const fragments = Array.from({ length: 27 }, (_, i) => {
      const [type, field] = i % 2 === 0 ? ['Commune', 'lycees'] : ['Lycee', 'commune'];
      return i < 26 ? `fragment F${i} on ${type}{${field}{...F${i + 1} ...F${i + 1}}}` : `fragment F${i} on ${type}{name}`;
    });
    return `{commune(code:"93066"){...F0}}${fragments.join('')}`;
  })();

  it('is about 1 KB', () => {
    expect(flat.length).toBeLessThan(1300);
    expect(deep.length).toBeLessThan(1300);
  });

  it('over HTTP: the flat one answers, the deep one is refused, neither stalls the gateway', async () => {
    const answered = await attack(() => graphql(gateway, flat));
    expect(answered.body).toEqual({ data: { commune: { name: 'Saint-Denis' } } });
    const refused = await attack(() => graphql(gateway, deep));
    expect(refused.status).toBe(400);
    expect(errorCodes(refused)).toEqual(['MAX_DEPTH_EXCEEDED']);
  });

  it('over graphql-ws', async () => {
    const answered = await attack(() => overWs(flat));
    expect(answered.results[0]?.data).toEqual({ commune: { name: 'Saint-Denis' } });
    const refused = await attack(() => overWs(deep));
    expect(endingCodes(refused)).toEqual(['MAX_DEPTH_EXCEEDED']);
  });

  it('over SSE', async () => {
    const answered = await attack(() => overSse({ query: flat }));
    expect(answered.text).toContain('"name":"Saint-Denis"');
    const refused = await attack(() => overSse({ query: deep }));
    expect(refused.text).toContain('MAX_DEPTH_EXCEEDED');
  });
});

describe('4. Tokens that must not verify', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const unsigned = (claims: Record<string, unknown>) => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
  };
  const tokens = async (): Promise<Record<string, string>> => ({
    'wrong secret': await signToken('an-attacker-secret-long-enough-0123456789', { sub: 'agent:AG0001', scope: 'agent', kind: 'agent' }),
    expired: await signToken(AUTH_SECRET, { sub: 'agent:AG0001', scope: 'agent', kind: 'agent', expiresAt: Date.now() - 3_600_000 }),
    'alg none': unsigned({ sub: 'agent:AG0001', scope: 'agent', kind: 'agent', iss: 'passerelle', exp: now() + 600 }),
    'no exp': await new SignJWT({ scope: 'agent', kind: 'agent' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('agent:AG0001')
      .setIssuer('passerelle')
      .setIssuedAt()
      .sign(new TextEncoder().encode(AUTH_SECRET)),
  });

  it('over HTTP: 401 UNAUTHENTICATED for each', async () => {
    for (const [name, token] of Object.entries(await tokens())) {
      const refused = await attack(() => graphql(gateway, '{ requests(first: 1) { totalCount } }', undefined, { headers: { authorization: `Bearer ${token}` } }));
      expect(refused.status, name).toBe(401);
      expect(errorCodes(refused), name).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('over graphql-ws: the connection is closed with 4401 for each', async () => {
    for (const [name, token] of Object.entries(await tokens())) {
      const refused = await attack(() => overWs('{ services { code } }', { authorization: `Bearer ${token}` }));
      expect(refused.closeCode, name).toBe(4401);
      expect(refused.results, name).toEqual([]);
    }
  });

  it('a valid development agent token works (the control)', async () => {
    const accepted = await graphql(gateway, '{ requests(first: 1) { totalCount } }', undefined, { headers: { authorization: await agentBearer('AG0001') } });
    expect(accepted.status).toBe(200);
    expect(accepted.body.errors).toBeUndefined();
  });
});

describe('7. CSRF over SSE', () => {
  it('a text/plain POST asking for an event stream does not run submitRequest: CSRF_REJECTED, nothing filed', async () => {
    const count = async () => Number((await region.grc.query<{ n: string }>('SELECT count(*) AS n FROM t_demande')).rows[0]!.n);
    const before = await count();
    const body = JSON.stringify({ query: SUBMIT, variables: { key: 'csrf-attack-0001', input: requestInput() } });
    for (const url of [gateway, `${gateway}/stream`]) {
      const response = await attack(() =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain', accept: 'text/event-stream' }, body }),
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('CSRF_REJECTED');
    }
    expect(await count()).toBe(before);
  });
});

describe('8. A partner past its rate', () => {
  it(`passes ${TINY_RATE} requests, refuses the next with 429 RATE_LIMITED and Retry-After, while anonymous callers are served`, async () => {
    const headers = { 'x-api-key': region.keys.tiny };
    for (let i = 1; i <= TINY_RATE; i += 1) {
      const passed = await graphql(gateway, '{ services { code } }', undefined, { headers });
      expect(passed.status, `request ${i}`).toBe(200);
      expect(passed.headers.get('ratelimit-remaining') ?? passed.headers.get('ratelimit')).toBeTruthy();
    }
    const refused = await attack(() =>
      Promise.all(Array.from({ length: 20 }, () => graphql(gateway, '{ services { code } }', undefined, { headers }))),
    );
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(errorCodes(answer)).toEqual(['RATE_LIMITED']);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Another partner is not affected either.
    expect((await graphql(gateway, '{ services { code } }', undefined, { headers: { 'x-api-key': region.keys.partner } })).status).toBe(200);
  });

  it(`passes a key's daily quota (${TINY_QUOTA}) and refuses one more with 429 QUOTA_EXCEEDED`, async () => {
    const headers = { 'x-api-key': region.keys.quota };
    for (let i = 1; i <= TINY_QUOTA; i += 1) expect((await graphql(gateway, '{ services { code } }', undefined, { headers })).status, `request ${i}`).toBe(200);
    const refused = await attack(() => graphql(gateway, '{ services { code } }', undefined, { headers }));
    expect(refused.status).toBe(429);
    expect(errorCodes(refused)).toEqual(['QUOTA_EXCEEDED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('9. A body larger than SUBGRAPH_MAX_BODY_BYTES, straight to geo', () => {
  it('gets 413 PAYLOAD_TOO_LARGE and geo keeps answering', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(3_000_000) } });
    const refused = await attack(async () => {
      const response = await fetch(region.system.subgraphs.geo, { method: 'POST', headers: { 'content-type': 'application/json', ...identityHeaders() }, body });
      return { status: response.status, body: (await response.json()) as { errors: { extensions: { code: string } }[] } };
    });
    expect(refused.status).toBe(413);
    expect(refused.body.errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
    const direct = await fetch(region.system.subgraphs.geo, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...identityHeaders() },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await direct.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('without a gateway identity it is refused with 401 before the body is read', async () => {
    const response = await fetch(region.system.subgraphs.geo, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(3_000_000) } }),
    }).catch((error: Error) => error);
    // The subgraph may close the connection before the upload ends; if an answer arrives, it is 401.
    if (!(response instanceof Error)) expect(response.status).toBe(401);
    await expectAllAlive(region);
  });
});

describe('11. Wrong codes', () => {
  let agent: string;
  let reference: string;
  beforeAll(async () => {
    const { a } = await twoServices(region.grc);
    agent = await agentBearer(a.agent);
    reference = a.reference;
  });
  const asAgent = (query: string, variables?: Record<string, unknown>) => graphql(gateway, query, variables, { headers: { authorization: agent } });
  const cursor = (raw: string) => Buffer.from(raw).toString('base64url');

  it.each([
    ['an invalid DateTime in `since`', '{ requests(filter: { since: "yesterday" }) { totalCount } }'],
    ['year 0000 in `since`', '{ requests(filter: { since: "0000-01-01T00:00:00Z" }) { totalCount } }'],
    ['an out-of-range cursor', `{ requests(first: 5, after: "${cursor('o:99999999999999999999')}") { totalCount } }`],
    ['a cursor past 32 bits', `{ requests(first: 5, after: "${cursor('o:4294967296')}") { totalCount } }`],
  ])('%s: BAD_USER_INPUT', async (_name, query) => {
    const refused = await attack(() => asAgent(query));
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
  });

  it('an invalid DateTime or year 0000 as a variable: BAD_USER_INPUT', async () => {
    const query = 'query Q($since: DateTime) { requests(filter: { since: $since }) { totalCount } }';
    for (const since of ['2026-13-45T99:00:00Z', '0000-06-01T00:00:00Z']) {
      const refused = await attack(() => asAgent(query, { since }));
      expect(errorCodes(refused), since).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('an out-of-range cursor on the lycées list: BAD_USER_INPUT, not a legacy error (the last offset in range answers)', async () => {
    const last = await graphql(gateway, `{ lycees(first: 5, after: "${cursor('o:2147483641')}") { edges { cursor } } }`);
    expect(last.body).toEqual({ data: { lycees: { edges: [] } } });
    const past = await graphql(gateway, `{ lycees(first: 5, after: "${cursor('o:2147483642')}") { edges { cursor } } }`);
    expect(errorCodes(past)).toEqual(['BAD_USER_INPUT']);
    const refused = await attack(() => graphql(gateway, `{ lycees(first: 5, after: "${cursor('o:99999999999999999999')}") { totalCount } }`));
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
  });

  it('a NUL character in a message, or a lone surrogate: BAD_USER_INPUT, the request unchanged', async () => {
    const messages = async () =>
      Number((await region.grc.query<{ n: string }>('SELECT count(*) AS n FROM t_evenement JOIN t_demande USING (id_demande) WHERE num_demande = $1', [reference])).rows[0]!.n);
    const before = await messages();
    const mutation = 'mutation M($reference: String!, $body: String!) { addMessage(reference: $reference, body: $body, visibleToCitizen: true) { reference } }';
    for (const body of ['Bonjour\u0000, votre dossier est complet.', 'Bonjour \ud800, votre dossier est complet.']) {
      const refused = await attack(() => asAgent(mutation, { reference, body }));
      expect(errorCodes(refused), JSON.stringify(body)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await messages()).toBe(before);
  });

  it('a NUL character or a lone surrogate in a new request: BAD_USER_INPUT', async () => {
    for (const [i, description] of ['Le chauffage\u0000 ne marche plus du tout.', 'Le chauffage \udc00 ne marche plus du tout.'].entries()) {
      const refused = await attack(() => graphql(gateway, SUBMIT, { key: `bad-text-${i}-0001`, input: requestInput(description) }));
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('a lone surrogate in an identifier: BAD_USER_INPUT', async () => {
    const refused = await attack(() => graphql(gateway, 'query Q($code: String!) { commune(code: $code) { name } }', { code: '930\ud83d6' }));
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
  });

  it('an unknown operationName: 400 OPERATION_RESOLUTION_FAILURE', async () => {
    const refused = await attack(() => graphql(gateway, 'query A { services { code } } query B { categories { code } }', undefined, { operationName: 'C' }));
    expect(refused.status).toBe(400);
    expect(errorCodes(refused)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
  });

  it('a mutation over GET: 405 METHOD_NOT_ALLOWED', async () => {
    const query = encodeURIComponent('mutation M { addMessage(reference: "IDF-2026-000001", body: "x", visibleToCitizen: false) { reference } }');
    const refused = await attack(() => fetch(`${gateway}?query=${query}`, { headers: { 'apollo-require-preflight': '1' } }));
    expect(refused.status).toBe(405);
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('a non-string connectionParams.authorization: closed with 4401, not made anonymous', async () => {
    for (const authorization of [42, { token: 'x' }, ['Bearer x']]) {
      const refused = await attack(() => overWs('{ services { code } }', { authorization }));
      expect(refused.closeCode, JSON.stringify(authorization)).toBe(4401);
    }
  });

  it('an alias flood: MAX_ALIASES aliases pass, one more is MAX_ALIASES_EXCEEDED', async () => {
    const aliases = (n: number) => `{ commune(code: "93066") { ${Array.from({ length: n }, (_, i) => `a${i}: name`).join(' ')} } }`;
    const passed = await graphql(gateway, aliases(30));
    expect(passed.body.errors).toBeUndefined();
    const refused = await attack(() => graphql(gateway, aliases(31)));
    expect(errorCodes(refused)).toEqual(['MAX_ALIASES_EXCEEDED']);
  });

  it('a directive flood: MAX_TOKENS_EXCEEDED, the parser stops at the limit', async () => {
    const flood = `{ services @skip(if: false)${' @skip(if: false)'.repeat(10_000)} { code } }`;
    const refused = await attack(() => graphql(gateway, flood));
    expect(errorCodes(refused)).toEqual(['MAX_TOKENS_EXCEEDED']);
  });
});
