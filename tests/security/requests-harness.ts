/**
 * The requests subgraph as the row-rule, audit and input tests reach it: started on the PGlite GRC
 * stand-in with its neighbours (tests/requests/intake-harness.ts), and one caller of each kind.
 * Calls go straight to the subgraph with gateway-signed identities, as the gateway sends them.
 */
import { agentClaims, trackingClaims } from '../../subgraphs/kit/index.ts';
import { implementations } from '../requests/harness.ts';
import { signedIdentity } from '../requests/identity.ts';
import { startIntakeSystem, token, type IntakeSystem } from '../requests/intake-harness.ts';

export interface Cast {
  system: IntakeSystem;
  /** A request of service A, and another of service B. */
  mine: { reference: string; service: string };
  theirs: { reference: string; service: string };
  /** Credentials for `system.call` (undefined: anonymous). */
  anonymous: undefined;
  citizen: string;
  partner: { identity: string };
  agentA: string;
  agentB: string;
  /** The same, in the form `subgraphSubscribe` takes. */
  ws: { citizen: string; partner: string; agentA: string; agentB: string };
}

/** Starts the system and picks two requests of two services that each have an active agent. */
export async function startCast(env: Record<string, string> = {}): Promise<Cast> {
  const system = await startIntakeSystem(implementations[0]!, env);
  const rows = await system.grc.sql<{ num_demande: string; code_service: string; matricule: string }>(
    `SELECT DISTINCT ON (s.code_service) d.num_demande, s.code_service, a.matricule
     FROM t_demande d JOIN t_service s USING (id_service) JOIN t_agent a ON a.id_service = s.id_service AND a.actif
     WHERE d.code_statut IN ('NOU', 'QUA', 'ENC') ORDER BY s.code_service, d.num_demande, a.matricule LIMIT 2`,
  );
  const [a, b] = rows;
  if (!a || !b) throw new Error('the seeded GRC has no two services with agents and open requests');
  const citizen = await token(trackingClaims(a.num_demande));
  const agentA = await token(agentClaims(a.matricule));
  const agentB = await token(agentClaims(b.matricule));
  const partnerIdentity = signedIdentity({ subject: 'key:partner-test', kind: 'partner', scopes: ['requests:read'] });
  return {
    system,
    mine: { reference: a.num_demande, service: a.code_service },
    theirs: { reference: b.num_demande, service: b.code_service },
    anonymous: undefined,
    citizen,
    partner: { identity: partnerIdentity },
    agentA,
    agentB,
    ws: { citizen, partner: `identity:${partnerIdentity}`, agentA, agentB },
  };
}

export type Errors = { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] | undefined;

/** `[code, path]` of each error, to compare whole answers at once. */
export const codesAt = (errors: Errors) => (errors ?? []).map((e) => [e.extensions?.code, (e.path ?? []).join('.')]);
