/**
 * Row rules of the requests subgraph (issue 7, attacks 3 and 10; subgraphs/requests/access/rules.ts):
 * each caller kind through every path — root fields, lists, `_entities`, mutations, subscriptions.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subgraphSubscribe, waitFor } from '../requests/subscriptions-harness.ts';
import { codesAt, startCast, type Cast, type Errors } from './requests-harness.ts';

const REQUEST = `query One($reference: String!) { request(reference: $reference) { reference status subject description timeline { status message } } }`;
const LIST = `{ requests(first: 50) { totalCount edges { node { reference subject service { code } } } } }`;
const ENTITY = `query E($reps: [_Any!]!) { _entities(representations: $reps) { ... on Request { reference status description } } }`;
const MESSAGE = `mutation M($reference: String!) { addMessage(reference: $reference, body: "Bonjour", visibleToCitizen: false) { reference } }`;
const FOLLOW = `subscription F($reference: String!) { requestUpdated(reference: $reference) { reference } }`;
const QUEUE = `subscription Q($service: String!) { serviceQueue(service: $service) { reference } }`;

type One = { request: { reference: string; subject: string | null; description: string | null; timeline: { message: string | null }[] } | null };
type List = { requests: { totalCount: number; edges: { node: { reference: string; subject: string | null; service: { code: string } } }[] } };

describe('Row rules of the requests subgraph', () => {
  let cast: Cast;
  beforeAll(async () => {
    cast = await startCast();
  }, 60_000);
  afterAll(() => cast?.system.close());

  const one = (credentials: string | { identity: string } | undefined, reference = cast.mine.reference) =>
    cast.system.call<One>(REQUEST, { reference }, credentials);

  describe('`request` (root field)', () => {
    it('anonymous and partner callers get the public fields; the text is null with FORBIDDEN at its path', async () => {
      for (const caller of [cast.anonymous, cast.partner]) {
        const { data, errors } = await one(caller);
        expect(data!.request).toMatchObject({ reference: cast.mine.reference, subject: null, description: null });
        const codes = codesAt(errors as Errors);
        expect(codes).toContainEqual(['FORBIDDEN', 'request.subject']);
        expect(codes).toContainEqual(['FORBIDDEN', 'request.description']);
        expect(codes).toContainEqual(['FORBIDDEN', 'request.timeline.0.message']);
        expect(codes.every(([code]) => code === 'FORBIDDEN')).toBe(true);
        expect(data!.request!.timeline.every((event) => event.message === null)).toBe(true);
      }
    });

    it("a citizen reads their own request in full, and nobody else's", async () => {
      const own = await one(cast.citizen);
      expect(own.errors).toBeUndefined();
      expect(own.data!.request!.subject).toEqual(expect.any(String));
      const other = await one(cast.citizen, cast.theirs.reference);
      expect(other.errors).toBeUndefined();
      expect(other.data!.request).toBeNull();
    });

    it("an agent reads their service's requests in full, and no other service's", async () => {
      const right = await one(cast.agentA);
      expect(right.errors).toBeUndefined();
      expect(right.data!.request!.description).toEqual(expect.any(String));
      const wrong = await one(cast.agentB);
      expect(wrong.data!.request).toBeNull();
    });
  });

  describe('`requests` (list)', () => {
    it('a citizen lists their own request only', async () => {
      const { data, errors } = await cast.system.call<List>(LIST, {}, cast.citizen);
      expect(errors).toBeUndefined();
      expect(data!.requests.totalCount).toBe(1);
      expect(data!.requests.edges.map((e) => e.node.reference)).toEqual([cast.mine.reference]);
    });

    it("an agent lists their service's requests only, whatever the filter says", async () => {
      const { data, errors } = await cast.system.call<List>(LIST, {}, cast.agentA);
      expect(errors).toBeUndefined();
      expect(data!.requests.totalCount).toBeGreaterThan(0);
      expect(new Set(data!.requests.edges.map((e) => e.node.service.code))).toEqual(new Set([cast.mine.service]));
      const other = await cast.system.call<List>(`{ requests(first: 5, filter: { service: "${cast.theirs.service}" }) { totalCount edges { node { reference } } } }`, {}, cast.agentA);
      expect(other.data!.requests).toEqual({ totalCount: 0, edges: [] });
    });

    it('a partner lists every request, never its text', async () => {
      const { data, errors } = await cast.system.call<List>(LIST, {}, cast.partner);
      expect(data!.requests.totalCount).toBeGreaterThan(50);
      expect(data!.requests.edges.every((e) => e.node.subject === null)).toBe(true);
      expect(new Set(codesAt(errors as Errors).map(([code]) => code))).toEqual(new Set(['FORBIDDEN']));
    });
  });

  describe('`_entities` (a reference from another subgraph)', () => {
    const reps = () => [{ __typename: 'Request', reference: cast.mine.reference }];
    type Entities = { _entities: ({ reference: string; description: string | null } | null)[] };

    it('the partner gets the public fields and FORBIDDEN on the text; the wrong citizen and agent get null', async () => {
      const partner = await cast.system.call<Entities>(ENTITY, { reps: reps() }, cast.partner);
      expect(partner.data!._entities).toEqual([{ reference: cast.mine.reference, status: expect.any(String), description: null }]);
      expect(codesAt(partner.errors as Errors)).toEqual([['FORBIDDEN', '_entities.0.description']]);
      for (const stranger of [cast.agentB]) {
        const answer = await cast.system.call<Entities>(ENTITY, { reps: reps() }, stranger);
        expect(answer.data!._entities).toEqual([null]);
      }
      const right = await cast.system.call<Entities>(ENTITY, { reps: reps() }, cast.agentA);
      expect(right.errors).toBeUndefined();
      expect(right.data!._entities[0]!.description).toEqual(expect.any(String));
    });

    it("a citizen's token reaches no other request by reference or id", async () => {
      const [row] = await cast.system.grc.sql<{ id_demande: number }>('SELECT id_demande FROM t_demande WHERE num_demande = $1', [cast.theirs.reference]);
      const answer = await cast.system.call<Entities>(ENTITY, { reps: [{ __typename: 'Request', reference: cast.theirs.reference }, { __typename: 'Request', id: String(row!.id_demande) }] }, cast.citizen);
      expect(answer.data!._entities).toEqual([null, null]);
    });
  });

  describe('mutations', () => {
    it("the wrong agent may not act on another service's request; the right one may", async () => {
      const wrong = await cast.system.call(MESSAGE, { reference: cast.mine.reference }, cast.agentB);
      expect(codesAt(wrong.errors as Errors)).toEqual([['FORBIDDEN', 'addMessage']]);
      const right = await cast.system.call(MESSAGE, { reference: cast.mine.reference }, cast.agentA);
      expect(right.errors).toBeUndefined();
    });

    it('a partner and a citizen may not use the workflow', async () => {
      for (const caller of [cast.partner, cast.citizen]) {
        const answer = await cast.system.call(MESSAGE, { reference: cast.mine.reference }, caller);
        expect(codesAt(answer.errors as Errors)).toEqual([['FORBIDDEN', 'addMessage']]);
      }
    });
  });

  describe('subscriptions', () => {
    const refusal = async (query: string, variables: Record<string, unknown>, credentials?: string) => {
      const recording = subgraphSubscribe(cast.system.subgraph.url, query, variables, credentials);
      await waitFor(() => recording.codes().length > 0 || recording.completed, 'the refusal');
      await recording.dispose();
      return recording.codes();
    };

    it('requestUpdated: UNAUTHENTICATED anonymous, FORBIDDEN for the partner, the other citizen and the wrong agent', async () => {
      expect(await refusal(FOLLOW, { reference: cast.mine.reference })).toEqual(['UNAUTHENTICATED']);
      expect(await refusal(FOLLOW, { reference: cast.mine.reference }, cast.ws.partner)).toEqual(['FORBIDDEN']);
      expect(await refusal(FOLLOW, { reference: cast.theirs.reference }, cast.ws.citizen)).toEqual(['FORBIDDEN']);
      expect(await refusal(FOLLOW, { reference: cast.mine.reference }, cast.ws.agentB)).toEqual(['FORBIDDEN']);
    });

    it("serviceQueue: only for the service's own agents", async () => {
      expect(await refusal(QUEUE, { service: cast.mine.service }, cast.ws.agentB)).toEqual(['FORBIDDEN']);
      expect(await refusal(QUEUE, { service: cast.mine.service }, cast.ws.partner)).toEqual(['FORBIDDEN']);
      expect(await refusal(QUEUE, { service: cast.mine.service }, cast.ws.citizen)).toEqual(['FORBIDDEN']);
    });

    it("the right agent and the request's citizen follow it, and each event carries the text for them", async () => {
      const query = `subscription F($reference: String!) { requestUpdated(reference: $reference) { reference description } }`;
      const agent = subgraphSubscribe(cast.system.subgraph.url, query, { reference: cast.mine.reference }, cast.ws.agentA);
      const citizen = subgraphSubscribe(cast.system.subgraph.url, query, { reference: cast.mine.reference }, cast.ws.citizen);
      try {
        // The stream is live once a change written after it started arrives.
        await waitFor(async () => {
          await cast.system.call(MESSAGE, { reference: cast.mine.reference }, cast.agentA);
          return agent.requests().length > 0 && citizen.requests().length > 0;
        }, 'an event on both streams', 15_000);
        for (const recording of [agent, citizen]) {
          expect(recording.codes()).toEqual([]);
          expect(recording.requests()[0]).toMatchObject({ reference: cast.mine.reference, description: expect.any(String) });
        }
      } finally {
        await agent.dispose();
        await citizen.dispose();
      }
    });

    it('a socket without a gateway-signed identity is closed with 4401', async () => {
      const socket = new WebSocket(cast.system.subgraph.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${cast.agentA}` } })));
      expect(await closed).toBe(4401);
    });
  });
});
