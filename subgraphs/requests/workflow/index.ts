/**
 * The write side of the requests subgraph: the citizens' intake (`submitRequest`, open to anyone)
 * and the agents' workflow (`updateRequestStatus`, `assignRequest`, `addMessage`, for agents —
 * the gateway-signed identity names `agent:<matricule>` with scope `agent` — on the requests of
 * their own service), plus `Request.estimatedCompletion`.
 *
 * Each agent mutation is one transaction on the locked request (grc-workflow.ts) — the row rule
 * "an agent acts only on their service's requests" is checked inside it, on the locked row — and
 * answers with the request as it now is, read again rather than from this operation's loader
 * cache. Every mutation, whatever its outcome, is one line of the audit log (access/audit.ts).
 */
import type { Logger } from '../../../common/logger.ts';
import { ConfigError } from '../../../common/env.ts';
import { badUserInput, passerelleError } from '../../../common/errors.ts';
import { REQUEST_REFERENCE, expectFormat, tokenKey, type LegacyGuards } from '../../kit/index.ts';
import { audited, type AuditLog } from '../access/audit.ts';
import { Access } from '../access/rules.ts';
import { checkText } from '../intake/input.ts';
import type { GrcConnector, RequestRecord, RequestStatus } from '../connector.ts';
import { createDirectory, type Directory } from '../intake/directory.ts';
import { atDesk } from './grc-workflow.ts';
import { Intake, type SubmitPayload } from '../intake/index.ts';
import type { SubmitRequestInput } from '../intake/input.ts';
import type { Loaders } from '../loaders.ts';
import { checkAgainstGrc, loadRoutingRules } from '../intake/routing-rules.ts';
import { DEFAULT_COMMENT, DONE, NEEDS_COMMENT, assertTransition, closingDateOn } from './state-machine.ts';

export interface WorkflowConfig {
  authSecret: string;
  trackingTokenTtlS: number;
  routingRulesPath: string;
  geoApiUrl: string;
  lyceesApiUrl: string;
  upstreamTimeoutMs: number;
  upstreamRetries: number;
  upstreamConnections: number;
  referenceCacheTtlMs: number;
}

/** What the resolvers get: the process's write services (the caller is the context's `access`). */
export interface RequestWorkflow {
  connector: GrcConnector;
  intake: Intake;
  audit: AuditLog;
}

export interface WorkflowContext {
  loaders: Loaders;
  workflow: RequestWorkflow;
  access: Access;
}

export interface Workflow extends RequestWorkflow {
  close(): Promise<void>;
}

/**
 * Reads the routing rules (ConfigError when the file is malformed, or names codes the GRC does not
 * have), and prepares the directory and the token key. A GRC unreachable at start-up does not stop
 * the subgraph: the codes are then checked when a request is routed. `guards`: the subgraph's
 * legacy guards, which the directory's geo-api and lycees-api clients share (default: their own).
 */
export async function startWorkflow(config: WorkflowConfig, connector: GrcConnector, audit: AuditLog, logger: Logger, guards?: LegacyGuards): Promise<Workflow> {
  const rules = loadRoutingRules(config.routingRulesPath);
  try {
    const problems = checkAgainstGrc(rules, await connector.services(), await connector.categories());
    if (problems.length > 0) throw new ConfigError(`Routing rules in ${rules.source} do not match the GRC:\n  ${problems.join('\n  ')}`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    logger.warn({ err: error }, 'grc unreachable: routing rules will be checked against it when requests are routed');
  }
  const directory: Directory = createDirectory({
    geoApiUrl: config.geoApiUrl, lyceesApiUrl: config.lyceesApiUrl, timeoutMs: config.upstreamTimeoutMs,
    retries: config.upstreamRetries, connections: config.upstreamConnections, ttlMs: config.referenceCacheTtlMs, guards,
  });
  const key = tokenKey(config.authSecret);
  const intake = new Intake({ connector, directory, rules, tokenKey: key, trackingTokenTtlS: config.trackingTokenTtlS });
  return { connector, intake, audit, close: () => directory.close() };
}

const MATRICULE = /^[A-Za-z0-9]{1,10}$/;
const MAX_TEXT = 5000;

/** The agent's matricule: UNAUTHENTICATED when anonymous, FORBIDDEN for anyone but an agent. */
function asAgent(access: Access, action: string): string {
  const { viewer } = access;
  if (viewer.role === 'anonymous') throw passerelleError('UNAUTHENTICATED', `${action} needs an agent's credentials (scope "agent").`);
  if (viewer.matricule === null) throw passerelleError('FORBIDDEN', `${action} is for agents (sub "agent:<matricule>", scope "agent"), not "${viewer.who.subject}".`);
  return viewer.matricule;
}

function text(argument: string, value: string | null | undefined, required: boolean): string | null {
  const trimmed = checkText(argument, value)?.trim() ?? '';
  if (trimmed === '') {
    if (required) throw badUserInput(argument, 'is required here');
    return null;
  }
  if (trimmed.length > MAX_TEXT) throw badUserInput(argument, `must be at most ${MAX_TEXT} characters long (it has ${trimmed.length})`);
  return trimmed;
}

/** The request as it now is: this operation's loaders may hold it from before the change. */
async function fresh(loaders: Loaders, id: string): Promise<RequestRecord> {
  loaders.requestById.clear(id);
  loaders.timeline.clear(id);
  const request = await loaders.requestById.load(id);
  if (!request) throw passerelleError('LEGACY_ERROR', `grc lost request ${id} while updating it`, { system: 'grc' });
  loaders.requestByReference.clear(request.reference).prime(request.reference, request);
  return request;
}

export const Mutation = {
  submitRequest: async (_: unknown, args: { input: SubmitRequestInput; idempotencyKey: string }, { loaders, workflow, access }: WorkflowContext): Promise<SubmitPayload> => {
    const fields = Object.keys(args.input ?? {}).sort();
    try {
      const payload = await workflow.intake.submit(loaders, args.input, args.idempotencyKey);
      // The submitter may read back what they just wrote, in this answer only.
      access.grant(payload.request.reference);
      workflow.audit.record({ who: access.viewer.who, action: 'submitRequest', references: [payload.request.reference], fields, outcome: 'ok' });
      return payload;
    } catch (error) {
      const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
      workflow.audit.record({ who: access.viewer.who, action: 'submitRequest', references: [], fields, outcome: typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR' });
      throw error;
    }
  },

  updateRequestStatus: (_: unknown, args: { reference: string; status: RequestStatus; comment?: string | null }, { loaders, workflow, access }: WorkflowContext) =>
    audited(workflow.audit, access.viewer.who, 'updateRequestStatus', [args.reference], args.comment != null ? ['status', 'comment'] : ['status'], async () => {
      const matricule = asAgent(access, 'updateRequestStatus');
      const reference = expectFormat('reference', args.reference, REQUEST_REFERENCE);
      const comment = text('comment', args.comment, false);
      const id = await atDesk(workflow.connector, reference, matricule, async (desk) => {
        Access.assertMayAct('updateRequestStatus', desk.actor.serviceId, desk.request.serviceId);
        assertTransition(desk.request.status, args.status);
        if (comment === null && NEEDS_COMMENT.has(args.status)) throw badUserInput('comment', `is required to move a request to ${args.status} (the citizen is told why)`);
        await desk.setStatus(args.status, closingDateOn(args.status), comment ?? DEFAULT_COMMENT[args.status]);
        return desk.request.id;
      });
      return fresh(loaders, id);
    }),

  assignRequest: (_: unknown, args: { reference: string; agent: string }, { loaders, workflow, access }: WorkflowContext) =>
    audited(workflow.audit, access.viewer.who, 'assignRequest', [args.reference], ['agent'], async () => {
      const matricule = asAgent(access, 'assignRequest');
      const reference = expectFormat('reference', args.reference, REQUEST_REFERENCE);
      if (!MATRICULE.test(args.agent)) throw badUserInput('agent', `${JSON.stringify(args.agent.slice(0, 20))} is not a matricule (e.g. "AG0001")`);
      const id = await atDesk(workflow.connector, reference, matricule, async (desk) => {
        Access.assertMayAct('assignRequest', desk.actor.serviceId, desk.request.serviceId);
        const agent = await desk.agent(args.agent);
        if (!agent) throw badUserInput('agent', `no active agent has matricule "${args.agent}"`);
        // Visible to the citizen, as the GRC's re-routings are, but never naming the agent.
        const comment = agent.serviceId === desk.request.serviceId
          ? `Votre demande a été confiée à un agent du service « ${agent.serviceName} ».`
          : `Votre demande a été transmise au service « ${agent.serviceName} », compétent pour y répondre.`;
        await desk.assign(agent, comment);
        return desk.request.id;
      });
      return fresh(loaders, id);
    }),

  addMessage: (_: unknown, args: { reference: string; body: string; visibleToCitizen: boolean }, { loaders, workflow, access }: WorkflowContext) =>
    audited(workflow.audit, access.viewer.who, 'addMessage', [args.reference], ['body', 'visibleToCitizen'], async () => {
      const matricule = asAgent(access, 'addMessage');
      const reference = expectFormat('reference', args.reference, REQUEST_REFERENCE);
      const body = text('body', args.body, true)!;
      const id = await atDesk(workflow.connector, reference, matricule, async (desk) => {
        Access.assertMayAct('addMessage', desk.actor.serviceId, desk.request.serviceId);
        await desk.message(body, args.visibleToCitizen);
        return desk.request.id;
      });
      return fresh(loaders, id);
    }),
};

/** `Request.estimatedCompletion`: null once processing has ended. */
export function estimatedCompletion(request: RequestRecord, _: unknown, { loaders }: WorkflowContext) {
  if (DONE.has(request.status)) return null;
  return loaders.estimate.load({ serviceId: request.serviceId, categoryId: request.categoryId, createdAt: request.createdAt });
}
