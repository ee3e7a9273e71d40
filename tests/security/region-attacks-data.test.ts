/**
 * Issue 7's attacks on citizens' requests, thrown at one running region (every process real):
 * personal data as anonymous, citizen, partner and the wrong agent, and the requests subgraph
 * called directly (3); one caller's bad resume cursor next to another's good one (5); subscription
 * floods (6); an agent acting on another service's request (10). Each attack gets its coded error,
 * stalls the gateway's event loop no more than 100 ms, harms no innocent caller, and leaves every
 * process answering.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TOO_MANY_CONNECTIONS } from '../../gateway/stream/protocol.ts';
import { errorCodes, graphql, type GraphQLResult } from '../harness/graphql.ts';
import { identityHeaders } from '../harness/identity.ts';
import { endingCodes, gatewayCounts, subscribeWs, waitFor, wsUrl, type Recording } from '../harness/streams.ts';
import { innocentAlongside, withoutStall } from './harness.ts';
import { INNOCENT, agentBearer, expectAllAlive, fileRequest, startRegion, twoServices, type Region, type Staffed } from './region-harness.ts';

const PER_SOCKET = 4;
const PER_PRINCIPAL = 6;
const SOCKETS = 3;

let region: Region;
let gateway: string;
let a: Staffed;
let b: Staffed;
let agentA: string;
let agentB: string;
const recordings: Recording[] = [];

beforeAll(async () => {
  region = await startRegion({
    MAX_SUBSCRIPTIONS_PER_SOCKET: String(PER_SOCKET),
    MAX_SUBSCRIPTIONS_PER_PRINCIPAL: String(PER_PRINCIPAL),
    MAX_SOCKETS_PER_PRINCIPAL: String(SOCKETS),
  });
  gateway = region.gateway;
  ({ a, b } = await twoServices(region.grc));
  agentA = await agentBearer(a.agent);
  agentB = await agentBearer(b.agent);
}, 120_000);
afterEach(async () => {
  for (const recording of recordings.splice(0)) recording.dispose();
  await waitFor(async () => (await gatewayCounts(gateway)).subscribers === 0, 'every subscriber to be gone');
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

const as = (credentials: Record<string, string>) => (query: string, variables?: Record<string, unknown>) =>
  graphql(gateway, query, variables, { headers: credentials });

/** Every value at a key named `name` anywhere in `value`. */
function valuesAt(value: unknown, name: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuesAt(item, name));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === name ? [inner] : valuesAt(inner, name)));
}

/** No personal text anywhere in the answer, and errors (coded) where it was asked for. */
function expectNoPersonalData(answer: GraphQLResult, allowed = ['UNAUTHORIZED_FIELD_OR_TYPE', 'FORBIDDEN', 'UNAUTHENTICATED']): void {
  for (const field of ['subject', 'description', 'message']) {
    for (const value of valuesAt(answer.body.data, field)) expect(value, field).toBeNull();
  }
  expect(errorCodes(answer).length, JSON.stringify(answer.body)).toBeGreaterThan(0);
  for (const code of errorCodes(answer)) expect(allowed).toContain(code);
}

const PERSONAL = 'subject description timeline { message }';

/** A lycée with open requests about it. */
async function openRequestLycee(): Promise<string> {
  const { rows } = await region.grc.query<{ code_uai: string }>(
    "SELECT code_uai FROM t_demande WHERE code_uai IS NOT NULL AND code_statut IN ('NOU', 'QUA', 'ENC') LIMIT 1",
  );
  return rows[0]!.code_uai;
}

describe('3. Who reads citizens\' requests', () => {
  it('anonymous `requests(first: 100)`: no text of any request', async () => {
    const answer = await attack(() => graphql(gateway, `{ requests(first: 100) { totalCount edges { node { reference ${PERSONAL} } } } }`));
    expectNoPersonalData(answer);
    expect(valuesAt(answer.body.data, 'reference')).toEqual([]);
  });

  it('`requests(filter: { service })`: refused for anonymous; an agent of another service sees none of its rows', async () => {
    const query = `query Q($service: String!) { requests(first: 100, filter: { service: $service }) { totalCount edges { node { reference ${PERSONAL} } } } }`;
    const anonymous = await attack(() => graphql(gateway, query, { service: b.service }));
    expectNoPersonalData(anonymous);
    expect(valuesAt(anonymous.body.data, 'reference')).toEqual([]);

    const wrongAgent = await attack(() => as({ authorization: agentA })(query, { service: b.service }));
    const seen = valuesAt(wrongAgent.body.data, 'reference');
    expect(seen).toEqual([]);
    if (wrongAgent.body.errors === undefined) expect(valuesAt(wrongAgent.body.data, 'totalCount')).toEqual([0]);

    // The control: the agent of that service sees its queue, texts included.
    const rightAgent = await as({ authorization: agentB })(query, { service: b.service });
    expect(rightAgent.body.errors).toBeUndefined();
    expect(valuesAt(rightAgent.body.data, 'reference')).toContain(b.reference);
    expect(valuesAt(rightAgent.body.data, 'description').every((text) => typeof text === 'string')).toBe(true);
  });

  it('`serviceQueue` of another service: FORBIDDEN for an agent', async () => {
    const recording = subscribeWs(gateway, { query: `subscription { serviceQueue(service: "${b.service}") { reference } }`, authorization: agentA });
    recordings.push(recording);
    await attack(() => waitFor(() => recording.error !== undefined || recording.results.length > 0 || recording.completed, 'the refusal'));
    expect(endingCodes(recording)).toEqual(['FORBIDDEN']);
  });

  it('the requests subgraph\'s `_entities` called directly: 401 without a gateway identity or with a forged one', async () => {
    const body = JSON.stringify({
      query: `query E($r: [_Any!]!) { _entities(representations: $r) { ... on Request { ${PERSONAL} } } }`,
      variables: { r: [{ __typename: 'Request', reference: b.reference }] },
    });
    const forged = identityHeaders(undefined, 'not-the-gateway-secret-but-long-enough-0123');
    for (const headers of [{}, forged]) {
      const response = await attack(() => fetch(region.system.subgraphs.requests, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }));
      expect(response.status).toBe(401);
      const answer = (await response.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
      expect(answer.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
      expect(answer.data).toBeUndefined();
    }
  });

  it('anonymous through an entity reference (`Lycee.openRequests`): no text of any request', async () => {
    const uai = await openRequestLycee();
    const answer = await attack(() => graphql(gateway, `{ lycee(uai: "${uai}") { name openRequests(first: 20) { totalCount edges { node { reference ${PERSONAL} } } } } }`));
    expect(answer.status).toBe(200);
    expectNoPersonalData(answer);
  });

  it('the requests subgraph, even with a valid (anonymous) gateway identity, applies its own row rules', async () => {
    const response = await fetch(region.system.subgraphs.requests, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...identityHeaders() },
      body: JSON.stringify({
        query: `query E($r: [_Any!]!) { _entities(representations: $r) { ... on Request { reference ${PERSONAL} } } }`,
        variables: { r: [{ __typename: 'Request', reference: b.reference }] },
      }),
    });
    const answer = { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResult['body'] };
    expect(valuesAt(answer.body.data, 'reference')).toEqual([b.reference]);
    expectNoPersonalData(answer);
    await expectAllAlive(region);
  });

  it('a citizen\'s tracking token reads its own request only', async () => {
    const filed = await fileRequest(gateway, randomUUID());
    const citizen = as({ authorization: filed.bearer });
    const own = await citizen(`{ request(reference: "${filed.reference}") { reference ${PERSONAL} } }`);
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data).toMatchObject({ request: { reference: filed.reference, subject: 'Chauffage en panne' } });

    const other = await attack(() => citizen(`{ request(reference: "${b.reference}") { reference ${PERSONAL} } }`));
    expect(other.body.data).toEqual({ request: null });
    const list = await attack(() => citizen(`{ requests(first: 100) { totalCount edges { node { reference } } } }`));
    expect(list.body.errors).toBeUndefined();
    expect(valuesAt(list.body.data, 'reference')).toEqual([filed.reference]);
    const otherStream = subscribeWs(gateway, { query: `subscription { requestUpdated(reference: "${b.reference}") { reference } }`, authorization: filed.bearer });
    recordings.push(otherStream);
    await waitFor(() => otherStream.error !== undefined || otherStream.results.length > 0, 'the refusal');
    expect(endingCodes(otherStream)).toEqual(['FORBIDDEN']);
  });

  it('a partner key never sees a request\'s subject, description or messages, whichever way it reaches them', async () => {
    const partner = as({ 'x-api-key': region.keys.partner });
    const uai = await openRequestLycee();
    const reads = [
      `{ request(reference: "${a.reference}") { reference ${PERSONAL} } }`,
      `{ requests(first: 20) { edges { node { reference ${PERSONAL} } } } }`,
      `{ lycee(uai: "${uai}") { openRequests(first: 20) { edges { node { reference ${PERSONAL} } } } } }`,
    ];
    for (const query of reads) {
      const answer = await attack(() => partner(query));
      expect(answer.status, query).toBe(200);
      expectNoPersonalData(answer);
    }
  });
});

describe('5. A bad resume cursor next to a good one', () => {
  const TRACK = 'subscription T($reference: String!, $after: String) { requestUpdated(reference: $reference, after: $after) { reference status cursor } }';
  const cursor = (raw: string) => Buffer.from(raw).toString('base64url');

  it('the bad one gets BAD_USER_INPUT; every stream resuming at the same moment gets its replay', async () => {
    const [victim, attacker] = await Promise.all([fileRequest(gateway, randomUUID()), fileRequest(gateway, randomUUID())]);
    await region.grc.query("UPDATE t_demande SET code_statut = 'QUA' WHERE num_demande = $1", [victim.reference]);
    const follow = (who: { reference: string; bearer: string }, after: string) => {
      const recording = subscribeWs(gateway, { query: TRACK, variables: { reference: who.reference, after }, authorization: who.bearer });
      recordings.push(recording);
      return recording;
    };
    const qualified = (recording: Recording) =>
      recording.results.some((result) => (result.data?.requestUpdated as { status?: string } | undefined)?.status === 'QUALIFIED');
    // Numbers that pass the format check (20 and 19 digits) but fit no database type (xid8, bigint).
    const bad = [cursor('j:99999999999999999999:1'), cursor('j:1:9999999999999999999')];
    const { good, refused } = await attack(async () => {
      const refused = bad.map((after) => follow(attacker, after));
      const good = [follow(victim, cursor('j:0:0')), follow(victim, cursor('j:0:1'))];
      await waitFor(() => refused.every((r) => r.error !== undefined || r.results.length > 0), 'the bad cursors to be refused');
      await waitFor(() => good.every(qualified), 'the replays');
      return { good, refused };
    });
    for (const recording of refused) expect(endingCodes(recording)).toEqual(['BAD_USER_INPUT']);
    for (const recording of good) {
      expect(recording.error).toBeUndefined();
      expect(recording.results.flatMap((result) => result.errors ?? [])).toEqual([]);
    }
  });
});

/** A bare graphql-ws connection for one caller: subscribe by id, see each id's error and the close. */
class Connection {
  readonly errors = new Map<string, { extensions?: { code?: string } }[]>();
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: string; type: string; payload?: unknown };
      if (message.type === 'error' && message.id) this.errors.set(message.id, message.payload as never);
    });
    socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async open(url: string, authorization: string): Promise<Connection> {
    const connection = new Connection(new WebSocket(wsUrl(url), 'graphql-transport-ws'));
    await new Promise<void>((resolve, reject) => {
      connection.socket.once('open', () => resolve());
      connection.socket.once('error', reject);
    });
    const acknowledged = new Promise<void>((resolve) => {
      connection.socket.on('message', (data) => {
        if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve();
      });
      connection.socket.once('close', () => resolve());
    });
    connection.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization } }));
    await acknowledged;
    return connection;
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  }

  codeOf(id: string): string | undefined {
    return this.errors.get(id)?.[0]?.extensions?.code;
  }
}

describe('6. Subscription floods', () => {
  const open: Connection[] = [];
  afterEach(() => {
    for (const connection of open.splice(0)) connection.socket.close();
  });
  const connect = async (authorization: string) => {
    const connection = await Connection.open(gateway, authorization);
    open.push(connection);
    return connection;
  };
  // Distinct `after` cursors make distinct upstream streams, as the flood of the issue did.
  const TRACK = 'subscription T($reference: String!, $after: String) { requestUpdated(reference: $reference, after: $after) { reference status } }';
  const distinct = (i: number) => Buffer.from(`j:0:${i}`).toString('base64url');

  it(`one socket: ${PER_SOCKET} subscriptions pass, more get TOO_MANY_SUBSCRIPTIONS; the upstream count stays bounded`, async () => {
    const citizen = await fileRequest(gateway, randomUUID());
    const connection = await connect(citizen.bearer);
    // Warm-up: the first subscription of this document plans it; the stall measured is the flood's.
    connection.subscribe('warm-up', TRACK, { reference: citizen.reference });
    await waitFor(async () => (await gatewayCounts(gateway)).subscribers === 1, 'the warm-up subscription');
    connection.socket.send(JSON.stringify({ id: 'warm-up', type: 'complete' }));
    await waitFor(async () => (await gatewayCounts(gateway)).subscribers === 0, 'the warm-up subscription to end');
    const flood = 40;
    await attack(async () => {
      for (let i = 0; i < flood; i += 1) connection.subscribe(String(i), TRACK, { reference: citizen.reference, after: distinct(i) });
      await waitFor(() => connection.errors.size === flood - PER_SOCKET, 'the subscriptions over the cap to be refused');
    });
    for (let i = 0; i < flood; i += 1) expect(connection.codeOf(String(i)), String(i)).toBe(i < PER_SOCKET ? undefined : 'TOO_MANY_SUBSCRIPTIONS');
    const counts = await gatewayCounts(gateway);
    expect(counts.subscribers).toBe(PER_SOCKET);
    expect(counts.upstream).toBeLessThanOrEqual(PER_SOCKET);
    expect(connection.closed).toBeUndefined();
  });

  it(`one caller: ${PER_PRINCIPAL} subscriptions over all its sockets, ${SOCKETS} sockets, one more closed with ${TOO_MANY_CONNECTIONS.closeCode}`, async () => {
    const citizen = await fileRequest(gateway, randomUUID());
    const sockets: Connection[] = [];
    for (let i = 0; i < SOCKETS; i += 1) sockets.push(await connect(citizen.bearer));
    let next = 0;
    for (const connection of sockets) {
      for (let i = 0; i < PER_SOCKET - 1; i += 1, next += 1) connection.subscribe(`s${next}`, TRACK, { reference: citizen.reference, after: distinct(next) });
    }
    // SOCKETS × (PER_SOCKET - 1) = 9 asked; PER_PRINCIPAL pass.
    await waitFor(() => sockets.reduce((refused, c) => refused + c.errors.size, 0) === next - PER_PRINCIPAL, 'the subscriptions over the per-caller cap to be refused');
    for (const connection of sockets) for (const errors of connection.errors.values()) expect(errors[0]?.extensions?.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect((await gatewayCounts(gateway)).subscribers).toBe(PER_PRINCIPAL);

    const extra = await attack(async () => {
      const connection = await connect(citizen.bearer);
      await waitFor(() => connection.closed !== undefined, 'the extra connection to be closed');
      return connection;
    });
    expect(extra.closed).toEqual({ code: TOO_MANY_CONNECTIONS.closeCode, reason: TOO_MANY_CONNECTIONS.reason });
    // Another caller is not counted with this one.
    const other = await fileRequest(gateway, randomUUID());
    const theirs = await connect(other.bearer);
    theirs.subscribe('mine', TRACK, { reference: other.reference });
    await waitFor(async () => (await gatewayCounts(gateway)).subscribers === PER_PRINCIPAL + 1, 'another caller\'s subscription');
    expect(theirs.errors.size).toBe(0);
  });
});

describe('10. An agent acting on another service\'s request', () => {
  it('updateRequestStatus and addMessage: FORBIDDEN, the request unchanged', async () => {
    const state = async () =>
      (
        await region.grc.query<{ code_statut: string; date_maj: Date; events: string }>(
          'SELECT code_statut, date_maj, (SELECT count(*) FROM t_evenement e WHERE e.id_demande = d.id_demande) AS events FROM t_demande d WHERE num_demande = $1',
          [b.reference],
        )
      ).rows[0];
    const before = await state();
    const agent = as({ authorization: agentA });
    const mutations: [string, Record<string, unknown>][] = [
      ['mutation M($r: String!) { updateRequestStatus(reference: $r, status: IN_PROGRESS) { status } }', { r: b.reference }],
      ['mutation M($r: String!) { updateRequestStatus(reference: $r, status: REJECTED, comment: "Hors sujet") { status } }', { r: b.reference }],
      ['mutation M($r: String!) { addMessage(reference: $r, body: "Votre demande est close.", visibleToCitizen: true) { reference } }', { r: b.reference }],
      ['mutation M($r: String!) { assignRequest(reference: $r, agent: "' + a.agent + '") { reference } }', { r: b.reference }],
    ];
    for (const [mutation, variables] of mutations) {
      const refused = await attack(() => agent(mutation, variables));
      expect(errorCodes(refused), mutation).toEqual(['FORBIDDEN']);
      expect(refused.body.data ?? null, mutation).toBeNull();
    }
    expect(await state()).toEqual(before);
  });
});
