/**
 * Part of the GRC connector: the agents' writes on a request, as the old back office makes them —
 * `t_demande` updated (status, agent, service, `date_maj`, `date_cloture`) and one `t_evenement`
 * row (STA, AFF or MSG) with the agent's matricule as `auteur`, in one transaction.
 *
 * The request's row is locked first (`SELECT … FOR UPDATE`): two agents changing the same request
 * at once are applied one after the other, the second seeing the first's status, so no change is
 * lost and the state machine always judges the current status. The instant written is read after
 * the lock, so event times follow the order the changes were applied in.
 */
import type pg from 'pg';
import { badUserInput, passerelleError } from '../../../common/errors.ts';
import type { GrcConnector, RequestStatus } from '../connector.ts';
import { UnknownCodeError, statusCode, statusOf } from '../grc/codes.ts';
import type { ClosingDate } from './state-machine.ts';

export interface AgentRecord {
  id: number;
  matricule: string;
  firstName: string;
  lastName: string;
  serviceId: number;
  serviceName: string;
}

export interface LockedRequest {
  id: string;
  reference: string;
  status: RequestStatus;
  serviceId: number;
}

interface AgentRow {
  id_agent: number;
  matricule: string;
  prenom: string;
  nom: string;
  id_service: number;
  libelle: string;
}

/** One locked request, the agent acting on it, and the writes they may make. */
export class RequestDesk {
  constructor(
    private readonly tx: pg.PoolClient,
    readonly request: LockedRequest,
    readonly actor: AgentRecord,
    private readonly now: Date,
  ) {}

  /** STA: the new status, with `date_cloture` set, kept or cleared as the state machine says. */
  async setStatus(to: RequestStatus, closing: ClosingDate, comment: string): Promise<void> {
    const closed = { set: '$3', keep: 'coalesce(date_cloture, $3)', clear: 'NULL' }[closing];
    await this.tx.query(
      `/* updateStatus */ UPDATE t_demande SET code_statut = $2, date_maj = $3, date_cloture = ${closed} WHERE id_demande = $1`,
      [this.request.id, statusCode(to), this.now],
    );
    await this.event('STA', to, comment, true, null, null);
  }

  /** AFF: the request goes to `agent`, and to the agent's service when it is another one. */
  async assign(agent: AgentRecord, comment: string): Promise<void> {
    await this.tx.query(
      `/* assignDemande */ UPDATE t_demande SET id_agent = $2, id_service = $3, date_maj = $4 WHERE id_demande = $1`,
      [this.request.id, agent.id, agent.serviceId, this.now],
    );
    await this.event('AFF', this.request.status, comment, true, agent.id, agent.serviceId);
  }

  /** MSG: a message to the citizen, or an internal note when not visible to them. */
  async message(body: string, visibleToCitizen: boolean): Promise<void> {
    await this.tx.query(`/* touchDemande */ UPDATE t_demande SET date_maj = $2 WHERE id_demande = $1`, [this.request.id, this.now]);
    await this.event('MSG', this.request.status, body, visibleToCitizen, null, null);
  }

  /** An active agent by matricule; null when there is none. */
  agent(matricule: string): Promise<AgentRecord | null> {
    return findAgent(this.tx, matricule);
  }

  private async event(type: 'STA' | 'AFF' | 'MSG', after: RequestStatus, comment: string, visible: boolean, agentId: number | null, serviceId: number | null) {
    await this.tx.query(
      `/* insertEvenement */ INSERT INTO t_evenement (id_demande, date_evenement, type_evenement, code_statut_avant, code_statut_apres,
         commentaire, visible_usager, auteur, id_agent, id_service) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [this.request.id, this.now, type, statusCode(this.request.status), statusCode(after), comment, visible, this.actor.matricule, agentId, serviceId],
    );
  }
}

/**
 * Runs `work` on the request `reference`, locked, for the agent `matricule`, in one transaction.
 * FORBIDDEN when the matricule is no active agent of the GRC (a token for someone who left);
 * BAD_USER_INPUT on `reference` when no request has it.
 */
export function atDesk<T>(connector: GrcConnector, reference: string, matricule: string, work: (desk: RequestDesk) => Promise<T>): Promise<T> {
  return connector.transaction(async (tx) => {
    const actor = await findAgent(tx, matricule);
    if (!actor) throw passerelleError('FORBIDDEN', `"${matricule}" is not an active agent of the GRC.`);
    const { rows } = await tx.query<{ id_demande: number; num_demande: string; code_statut: string; id_service: number }>(
      `/* lockDemande */ SELECT id_demande, num_demande, code_statut, id_service FROM t_demande WHERE num_demande = $1 FOR UPDATE`,
      [reference],
    );
    const row = rows[0];
    if (!row) throw badUserInput('reference', `no request has reference "${reference}"`);
    const now = (await tx.query<{ now: Date }>('/* clock */ SELECT clock_timestamp() AS now')).rows[0]!.now;
    const request = { id: String(row.id_demande), reference: row.num_demande, status: knownStatus(row.code_statut), serviceId: row.id_service };
    return work(new RequestDesk(tx, request, actor, now));
  });
}

async function findAgent(tx: pg.PoolClient, matricule: string): Promise<AgentRecord | null> {
  const { rows } = await tx.query<AgentRow>(
    `/* findAgent */ SELECT a.id_agent, a.matricule, a.prenom, a.nom, a.id_service, s.libelle
     FROM t_agent a JOIN t_service s ON s.id_service = a.id_service WHERE a.matricule = $1 AND a.actif`,
    [matricule],
  );
  const row = rows[0];
  return row
    ? { id: row.id_agent, matricule: row.matricule, firstName: row.prenom, lastName: row.nom, serviceId: row.id_service, serviceName: row.libelle }
    : null;
}

function knownStatus(code: string): RequestStatus {
  try {
    return statusOf(code);
  } catch (error) {
    if (error instanceof UnknownCodeError) throw passerelleError('LEGACY_ERROR', `grc returned ${error.message}`, { system: 'grc' });
    throw error;
  }
}
