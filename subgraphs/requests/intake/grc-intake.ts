/**
 * Part of the GRC connector: how a new request is written, as the old system writes one — a
 * `t_demande` row in status NOU with `date_maj`, and its CRE event in `t_evenement` — plus the two
 * tables of Passerelle's own (migrations/010_intake.sql) that make the intake idempotent and number
 * references safely. Everything happens in one transaction.
 *
 * Idempotency: the key is claimed first, with `INSERT … ON CONFLICT DO NOTHING`. On PostgreSQL a
 * second transaction claiming the same key waits on the unique index until the first commits
 * (then finds its row) or rolls back (then claims it itself); in front of PGlite the stand-in's proxy
 * runs one transaction at a time, so the second simply finds the row. Either way one request.
 */
import type pg from 'pg';
import type { GrcConnector, RequestChannel } from '../connector.ts';
import { channelCode } from '../grc/codes.ts';
import type { RoutingRule } from './routing.ts';

export interface NewRequest {
  subject: string;
  description: string;
  serviceId: number;
  categoryId: number;
  communeCode: string;
  uai: string | null;
  channel: RequestChannel;
  contact: { name: string; email: string; phone: string | null };
}

/** What an idempotency key stands for: the request it created and how it was routed then. */
export interface IntakeRecord {
  fingerprint: string;
  requestId: string;
  reference: string;
  createdAt: Date;
  rule: RoutingRule;
  matched: string | null;
  serviceId: number;
}

interface KeyRow {
  fingerprint: string;
  id_demande: number;
  num_demande: string;
  date_creation: Date;
  routing_rule: RoutingRule;
  routing_matched: string | null;
  id_service: number;
}

const KEY_SQL = `SELECT k.fingerprint, k.id_demande, d.num_demande, d.date_creation, k.routing_rule, k.routing_matched, k.id_service
  FROM passerelle_idempotency_key k JOIN t_demande d ON d.id_demande = k.id_demande WHERE k.idempotency_key = $1`;

/** How the citizen's channel reads in the CRE event, in the GRC's wording. */
const CHANNEL_TEXT: Record<RequestChannel, string> = {
  WEB: 'formulaire en ligne', EMAIL: 'courriel', PHONE: 'téléphone', POST: 'courrier postal', DESK: 'accueil physique',
};

/** The request a key already created, if any (a read outside any transaction: the fast path of a replay). */
export async function findIntake(connector: GrcConnector, key: string): Promise<IntakeRecord | null> {
  const [row] = await connector.query<KeyRow>(`/* findIntake */ ${KEY_SQL}`, [key]);
  return row ? toIntake(row) : null;
}

/**
 * Creates the request unless `key` was claimed already: `created` says which. The caller compares
 * fingerprints of a found key; this function never creates a second request for one key.
 */
export function createOnce(
  connector: GrcConnector,
  key: string,
  fingerprint: string,
  request: NewRequest,
  routing: { rule: RoutingRule; matched: string | null },
): Promise<{ intake: IntakeRecord; created: boolean }> {
  return connector.transaction(async (tx) => {
    const claimed = await tx.query(
      `/* claimIdempotencyKey */ INSERT INTO passerelle_idempotency_key (idempotency_key, fingerprint) VALUES ($1, $2)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
      [key, fingerprint],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await tx.query<KeyRow>(`/* findIntake */ ${KEY_SQL}`, [key]);
      return { intake: toIntake(rows[0]!), created: false };
    }

    // The instant is read after the claim (which may have waited), so events stay in commit order.
    const now = (await tx.query<{ now: Date }>('/* clock */ SELECT clock_timestamp() AS now')).rows[0]!.now;
    const reference = await nextReference(tx, now.getUTCFullYear());
    const { rows } = await tx.query<{ id_demande: number }>(
      `/* insertDemande */ INSERT INTO t_demande (num_demande, objet, description, code_statut, id_service, id_categorie, code_insee, code_uai,
         canal, contact_nom, contact_email, contact_tel, id_agent, date_creation, date_maj, date_cloture)
       VALUES ($1, $2, $3, 'NOU', $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $12, NULL) RETURNING id_demande`,
      [reference, request.subject, request.description, request.serviceId, request.categoryId, request.communeCode, request.uai,
        channelCode(request.channel), request.contact.name, request.contact.email, request.contact.phone, now],
    );
    const id = rows[0]!.id_demande;
    // Cut to the column's size here, so the first answer and every replay say the same.
    const matched = routing.matched?.slice(0, 200) ?? null;
    // As the old intake wrote it: the citizen wrote it themselves online or by e-mail, an agent keyed it in otherwise.
    const author = request.channel === 'WEB' || request.channel === 'EMAIL' ? 'USAGER' : 'SYSTEME';
    await tx.query(
      `/* insertEvenement */ INSERT INTO t_evenement (id_demande, date_evenement, type_evenement, code_statut_avant, code_statut_apres,
         commentaire, visible_usager, auteur, id_agent, id_service)
       VALUES ($1, $2, 'CRE', NULL, 'NOU', $3, true, $4, NULL, NULL)`,
      [id, now, `Demande enregistrée (${CHANNEL_TEXT[request.channel]}). Un accusé de réception vous a été adressé.`, author],
    );
    await tx.query(
      `/* recordIntake */ UPDATE passerelle_idempotency_key SET id_demande = $2, routing_rule = $3, routing_matched = $4, id_service = $5
       WHERE idempotency_key = $1`,
      [key, id, routing.rule, matched, request.serviceId],
    );
    return {
      intake: { fingerprint, requestId: String(id), reference, createdAt: now, rule: routing.rule, matched, serviceId: request.serviceId },
      created: true,
    };
  });
}

/**
 * The next `IDF-<year>-NNNNNN`: one more than both Passerelle's counter and the highest number of
 * the year in `t_demande` (the back office numbers its own requests). The upsert's row lock
 * serialises Passerelle's writers until commit; a clash with a back-office insert in between is a
 * unique violation, and the connector retries the whole transaction.
 */
async function nextReference(tx: pg.PoolClient, year: number): Promise<string> {
  const prefix = `IDF-${year}-`;
  const { rows } = await tx.query<{ last_number: number }>(
    `/* nextReference */ WITH seen AS (
       SELECT coalesce(max(substr(num_demande, 10, 6)::int), 0) AS n FROM t_demande
       WHERE num_demande BETWEEN $2 AND $3 AND num_demande ~ '^IDF-[0-9]{4}-[0-9]{6}$')
     INSERT INTO passerelle_reference_counter AS c (year, last_number) SELECT $1, n + 1 FROM seen
     ON CONFLICT (year) DO UPDATE SET last_number = greatest(c.last_number + 1, EXCLUDED.last_number)
     RETURNING last_number`,
    [year, `${prefix}000000`, `${prefix}999999`],
  );
  return `${prefix}${String(rows[0]!.last_number).padStart(6, '0')}`;
}

function toIntake(row: KeyRow): IntakeRecord {
  return {
    fingerprint: row.fingerprint,
    requestId: String(row.id_demande),
    reference: row.num_demande,
    createdAt: row.date_creation,
    rule: row.routing_rule,
    matched: row.routing_matched,
    serviceId: row.id_service,
  };
}
