/**
 * The agents' workflow on both storages of the GRC stand-in: who may call it, the state machine
 * (every allowed transition, refusals with what is allowed), writes as the old back office makes
 * them, no lost update under concurrency, timeline entries, completion estimates, and the back
 * office's own direct writes seen through the API.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentClaims, trackingClaims } from '../../subgraphs/kit/index.ts';
import { TRANSITIONS } from '../../subgraphs/requests/workflow/state-machine.ts';
import type { RequestStatus } from '../../subgraphs/requests/connector.ts';
import { implementations } from './harness.ts';
import { agentToken, requestInput, startIntakeSystem, submit, token, type IntakeSystem } from './intake-harness.ts';
import { asOperator } from './identity.ts';

const REQUEST_FIELDS = 'reference status closedAt updatedAt service { code } timeline { kind status previousStatus message }';
const UPDATE = `mutation Update($reference: String!, $status: RequestStatus!, $comment: String) {
  updateRequestStatus(reference: $reference, status: $status, comment: $comment) { ${REQUEST_FIELDS} }
}`;
const ASSIGN = `mutation Assign($reference: String!, $agent: String!) { assignRequest(reference: $reference, agent: $agent) { ${REQUEST_FIELDS} } }`;
const MESSAGE = `mutation Message($reference: String!, $body: String!, $visible: Boolean!) {
  addMessage(reference: $reference, body: $body, visibleToCitizen: $visible) { ${REQUEST_FIELDS} }
}`;
const REQUEST = `query Request($reference: String!) {
  request(reference: $reference) { ${REQUEST_FIELDS} createdAt estimatedCompletion { median earliest latest basedOn medianDays } }
}`;

interface RequestView {
  reference: string;
  status: RequestStatus;
  closedAt: string | null;
  updatedAt: string;
  createdAt: string;
  service: { code: string };
  timeline: { kind: string; status: string; previousStatus: string | null; message: string | null }[];
  estimatedCompletion: { median: string; earliest: string; latest: string; basedOn: number; medianDays: number } | null;
}

/** The shortest walk from NEW to `status` through the state machine. */
function pathTo(status: RequestStatus): RequestStatus[] {
  const queue: RequestStatus[][] = [[]];
  while (queue.length > 0) {
    const path = queue.shift()!;
    const at = path.at(-1) ?? 'NEW';
    if (at === status) return path;
    for (const next of TRANSITIONS[at]) if (!path.includes(next)) queue.push([...path, next]);
  }
  throw new Error(`${status} cannot be reached`);
}

describe.each(implementations)('agents’ workflow on $name', (implementation) => {
  let system: IntakeSystem;
  let agent: string;

  const update = (reference: string, status: RequestStatus, comment: string | null = `Passage en ${status}.`, bearer = agent) =>
    system.call<{ updateRequestStatus: RequestView }>(UPDATE, { reference, status, comment }, bearer);
  const move = async (reference: string, status: RequestStatus) => {
    const response = await update(reference, status);
    expect(response.errors).toBeUndefined();
    return response.data!.updateRequestStatus;
  };
  // Read back as an operator: the row rules (tests/security/) are not what these tests are about.
  const view = async (reference: string) => (await system.call<{ request: RequestView }>(REQUEST, { reference }, asOperator())).data!.request;
  const newRequest = async (overrides: Record<string, unknown> = {}) => (await submit(system, requestInput(overrides))).request.reference;

  beforeAll(async () => {
    system = await startIntakeSystem(implementation);
    agent = await agentToken('AG0001');
  });
  afterAll(async () => {
    await system?.close();
  });

  describe('Who may call', () => {
    it('UNAUTHENTICATED without a token, or with an invalid or expired one', async () => {
      const reference = await newRequest();
      const expired = await token(agentClaims('AG0001'), -60);
      for (const bearer of [undefined, 'not-a-jwt', expired]) {
        const response = await system.call(UPDATE, { reference, status: 'QUALIFIED' }, bearer);
        expect(response.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
      }
      const message = await system.call(MESSAGE, { reference, body: 'Bonjour', visible: true });
      expect(message.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
      const assign = await system.call(ASSIGN, { reference, agent: 'AG0002' });
      expect(assign.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    });

    it('FORBIDDEN with a token without the agent scope, or for a matricule that is no active agent', async () => {
      const reference = await newRequest();
      const citizen = await token(trackingClaims(reference));
      const response = await update(reference, 'QUALIFIED', null, citizen);
      expect(response.errors![0]!.extensions!.code).toBe('FORBIDDEN');
      const stranger = await update(reference, 'QUALIFIED', null, await agentToken('AG9999'));
      expect(stranger.errors![0]!.extensions!.code).toBe('FORBIDDEN');
      expect((await view(reference)).status).toBe('NEW');
    });

    it('reads need no credentials; an identity the gateway did not sign is UNAUTHENTICATED', async () => {
      const response = await system.call<{ services: unknown[] }>('{ services { code } }', {});
      expect(response.errors).toBeUndefined();
      expect(response.data!.services.length).toBeGreaterThan(0);
      const forged = await system.call<{ services: unknown[] }>('{ services { code } }', {}, 'not-a-jwt');
      expect(forged.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('State machine', () => {
    const allowed = Object.entries(TRANSITIONS).flatMap(([from, targets]) => targets.map((to) => [from as RequestStatus, to] as const));

    it.each(allowed)('%s → %s is allowed and written as the back office does', async (from, to) => {
      const reference = await newRequest();
      for (const step of pathTo(from)) await move(reference, step);
      const before = await view(reference);
      const after = await move(reference, to);
      expect(after.status).toBe(to);
      expect(after.timeline.at(-1)).toMatchObject({ kind: 'STATUS_CHANGED', status: to, previousStatus: from, message: `Passage en ${to}.` });
      if (to === 'RESOLVED' || to === 'REJECTED') expect(after.closedAt).not.toBeNull();
      else if (to === 'CLOSED') expect(after.closedAt).toBe(before.closedAt);
      else expect(after.closedAt).toBeNull();
      const [event] = await system.grc.sql<{ type_evenement: string; auteur: string; code_statut_avant: string; date_maj_matches: boolean }>(
        `SELECT e.type_evenement, e.auteur, e.code_statut_avant, e.date_evenement = d.date_maj AS date_maj_matches
         FROM t_evenement e JOIN t_demande d USING (id_demande) WHERE d.num_demande = $1 ORDER BY e.id_evenement DESC LIMIT 1`,
        [reference],
      );
      expect(event).toMatchObject({ type_evenement: 'STA', auteur: 'AG0001', date_maj_matches: true });
    });

    it('a forbidden transition is INVALID_TRANSITION with from, to and what is allowed', async () => {
      const reference = await newRequest();
      const response = await update(reference, 'RESOLVED');
      expect(response.errors![0]!.extensions).toMatchObject({ code: 'INVALID_TRANSITION', from: 'NEW', to: 'RESOLVED', allowed: ['QUALIFIED', 'REJECTED'] });
      await move(reference, 'REJECTED');
      const final = await update(reference, 'IN_PROGRESS');
      expect(final.errors![0]!.extensions).toMatchObject({ code: 'INVALID_TRANSITION', from: 'REJECTED', to: 'IN_PROGRESS', allowed: [] });
    });

    it('rejecting, or waiting for the citizen, needs a comment telling them why', async () => {
      const reference = await newRequest();
      const response = await update(reference, 'REJECTED', null);
      expect(response.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'comment' });
      expect((await view(reference)).status).toBe('NEW');
    });

    it('concurrent changes of one request are applied one after the other, none lost', async () => {
      const reference = await newRequest();
      const racing = await Promise.all([update(reference, 'QUALIFIED'), update(reference, 'QUALIFIED')]);
      const failures = racing.filter((r) => r.errors);
      expect(failures).toHaveLength(1);
      expect(failures[0]!.errors![0]!.extensions).toMatchObject({ code: 'INVALID_TRANSITION', from: 'QUALIFIED' });

      await Promise.all([update(reference, 'IN_PROGRESS'), update(reference, 'REJECTED', 'Hors compétence.')]);
      const messages = await Promise.all(
        Array.from({ length: 8 }, (_, i) => system.call(MESSAGE, { reference, body: `Note ${i}`, visible: false }, agent)),
      );
      for (const response of messages) expect(response.errors).toBeUndefined();
      const events = await system.grc.sql<{ type_evenement: string; code_statut_avant: string | null; code_statut_apres: string }>(
        `SELECT e.type_evenement, e.code_statut_avant, e.code_statut_apres FROM t_evenement e JOIN t_demande d USING (id_demande)
         WHERE d.num_demande = $1 ORDER BY e.date_evenement, e.id_evenement`,
        [reference],
      );
      expect(events.filter((e) => e.type_evenement === 'MSG')).toHaveLength(8);
      // Each event starts from the status the previous one left: the history is one consistent chain.
      for (let i = 1; i < events.length; i++) expect(events[i]!.code_statut_avant).toBe(events[i - 1]!.code_statut_apres);
      const [row] = await system.grc.sql<{ code_statut: string }>('SELECT code_statut FROM t_demande WHERE num_demande = $1', [reference]);
      expect(row!.code_statut).toBe(events.at(-1)!.code_statut_apres);
    });
  });

  describe('Assignments and messages', () => {
    it("assigns to an agent, moving the request to the agent's service, shown in the timeline without the agent's name", async () => {
      const reference = await newRequest({ category: 'TRA-ABO' });
      const [other] = await system.grc.sql<{ matricule: string; id_agent: number; nom: string; code_service: string }>(
        `SELECT a.matricule, a.id_agent, a.nom, s.code_service FROM t_agent a JOIN t_service s USING (id_service)
         WHERE s.code_service = 'CULTURE' AND a.actif ORDER BY a.matricule LIMIT 1`,
      );
      const response = await system.call<{ assignRequest: RequestView }>(ASSIGN, { reference, agent: other!.matricule }, agent);
      // The request left AG0001's service: its messages are no longer theirs to read (row rules).
      expect(response.errors?.map((e) => [e.extensions!.code, e.path!.at(-1)])).toEqual([['FORBIDDEN', 'message'], ['FORBIDDEN', 'message']]);
      expect(response.data!.assignRequest.service.code).toBe('CULTURE');
      const request = await view(reference);
      const assigned = request.timeline.at(-1)!;
      expect(assigned).toMatchObject({ kind: 'ASSIGNED', status: 'NEW', previousStatus: 'NEW' });
      expect(assigned.message).not.toContain(other!.nom);
      const [row] = await system.grc.sql<{ id_agent: number; auteur: string; event_agent: number }>(
        `SELECT d.id_agent, e.auteur, e.id_agent AS event_agent FROM t_demande d JOIN t_evenement e USING (id_demande)
         WHERE d.num_demande = $1 AND e.type_evenement = 'AFF'`,
        [reference],
      );
      expect(row).toEqual({ id_agent: other!.id_agent, auteur: 'AG0001', event_agent: other!.id_agent });
    });

    it('refuses an unknown agent', async () => {
      const reference = await newRequest();
      const response = await system.call(ASSIGN, { reference, agent: 'ZZ9999' }, agent);
      expect(response.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'agent' });
    });

    it('shows messages to the citizen only when flagged visible', async () => {
      const reference = await newRequest();
      const visible = `Pouvez-vous préciser l'adresse ? ${randomUUID().slice(0, 6)}`;
      const internal = `Note interne ${randomUUID().slice(0, 6)}`;
      await system.call(MESSAGE, { reference, body: visible, visible: true }, agent);
      const response = await system.call<{ addMessage: RequestView }>(MESSAGE, { reference, body: internal, visible: false }, agent);
      const messages = response.data!.addMessage.timeline.filter((e) => e.kind === 'MESSAGE').map((e) => e.message);
      expect(messages).toEqual([visible]);
      const rows = await system.grc.sql<{ commentaire: string; visible_usager: boolean; auteur: string }>(
        `SELECT e.commentaire, e.visible_usager, e.auteur FROM t_evenement e JOIN t_demande d USING (id_demande)
         WHERE d.num_demande = $1 AND e.type_evenement = 'MSG' ORDER BY e.id_evenement`,
        [reference],
      );
      expect(rows).toEqual([
        { commentaire: visible, visible_usager: true, auteur: 'AG0001' },
        { commentaire: internal, visible_usager: false, auteur: 'AG0001' },
      ]);
    });
  });

  describe('Completion estimate', () => {
    it('is given for an open request, from resolved ones, and null once resolved', async () => {
      const reference = await newRequest({ category: 'TRA-ABO' });
      const open = await view(reference);
      const estimate = open.estimatedCompletion!;
      expect(estimate.basedOn).toBeGreaterThan(0);
      expect(estimate.medianDays).toBeGreaterThan(0);
      const [created, earliest, median, latest] = [open.createdAt, estimate.earliest, estimate.median, estimate.latest].map((d) => new Date(d).getTime());
      expect(created).toBeLessThan(earliest!);
      expect(earliest).toBeLessThanOrEqual(median!);
      expect(median).toBeLessThanOrEqual(latest!);
      for (const status of pathTo('RESOLVED')) await move(reference, status);
      expect((await view(reference)).estimatedCompletion).toBeNull();
    });

    it('points to the future for old open requests, with one SQL query for a whole page', async () => {
      const [{ now }] = (await system.grc.sql<{ now: Date }>('SELECT now() AS now')) as [{ now: Date }];
      await system.grc.resetCalls();
      const response = await system.call<{ requests: { edges: { node: { estimatedCompletion: { median: string } | null } }[] } }>(
        `{ requests(filter: { status: IN_PROGRESS }, first: 50) { edges { node { estimatedCompletion { median } } } } }`,
      );
      expect(response.errors).toBeUndefined();
      expect((await system.grc.calls()).byRoute.completionEstimates).toBe(1);
      const medians = response.data!.requests.edges.flatMap((e) => (e.node.estimatedCompletion ? [new Date(e.node.estimatedCompletion.median)] : []));
      expect(medians.length).toBeGreaterThan(0);
      for (const median of medians) expect(median.getTime()).toBeGreaterThan(now.getTime());
    });
  });

  describe('The old back office', () => {
    it('a change written straight in SQL is seen through the API, and the workflow goes on from it', async () => {
      const reference = await newRequest();
      await system.grc.sql(
        `WITH d AS (UPDATE t_demande SET code_statut = 'QUA' WHERE num_demande = $1 RETURNING id_demande)
         INSERT INTO t_evenement (id_demande, date_evenement, type_evenement, code_statut_avant, code_statut_apres, commentaire, visible_usager, auteur)
         SELECT id_demande, now(), 'STA', 'NOU', 'QUA', 'Qualifiée au guichet.', true, 'AG0003' FROM d`,
        [reference],
      );
      const seen = await view(reference);
      expect(seen.status).toBe('QUALIFIED');
      expect(seen.timeline.at(-1)).toMatchObject({ kind: 'STATUS_CHANGED', status: 'QUALIFIED', message: 'Qualifiée au guichet.' });
      expect((await move(reference, 'IN_PROGRESS')).status).toBe('IN_PROGRESS');
      const again = await update(reference, 'QUALIFIED');
      expect(again.errors![0]!.extensions).toMatchObject({ code: 'INVALID_TRANSITION', from: 'IN_PROGRESS' });
    });
  });
});
