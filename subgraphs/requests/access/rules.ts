/**
 * The row rules of the requests subgraph: who may see which request, which of its fields, and act
 * on it. Every path that reaches a request — `request`, `requests`, `Lycee.openRequests`,
 * `_entities`, the mutations' answers, `requestUpdated` and `serviceQueue` events — goes through
 * this one class, so each rule below lives here and only here (issue 7, "Row rules").
 *
 * PUBLIC FIELDS. Any caller, anonymous included, may read of any request it can reach: `id`,
 * `reference`, `status`, `service`, `category`, `channel`, `createdAt`, `updatedAt`, `closedAt`,
 * `commune`, `lycee`, `estimatedCompletion`, `cursor`, and the timeline's `at`, `kind`, `status`,
 * `previousStatus` (how a request moves is open data; request counts are public too).
 * PERSONAL FIELDS — what the requester wrote or was told: `subject`, `description` and the
 * timeline's `message` — are readable only with FULL access to the row; otherwise they come back
 * null with a FORBIDDEN error at their path. Contact details are never selected from the GRC.
 *
 * ROWS, per role (access/caller.ts):
 * - anonymous, partner: every request, public fields only.
 * - citizen (`track:<reference>`): their own request(s), in full; no other row at all (`request`
 *   and `_entities` answer null, lists hold only theirs) — a tracking token reaches one request.
 * - agent (`agent:<matricule>`): the requests of their own service (the GRC's `t_agent.id_service`,
 *   looked up through the connector, cached briefly), in full; no other row. `serviceQueue` only
 *   for their service; the workflow mutations only on a request of their service, checked inside
 *   the transaction that locks it (`assertMayAct`).
 * - operator: every request, in full.
 * Rows a caller may not reach are left out of lists by the query itself (`RowRestriction`), so
 * pages and `totalCount` stay consistent.
 */
import { passerelleError } from '../../../common/errors.ts';
import type { GrcConnector, RequestRecord, ServiceRecord } from '../connector.ts';
import type { AuditLog } from './audit.ts';
import type { Viewer } from './caller.ts';

/** Quiet time after which a burst of personal reads is written to the audit log, and its longest wait. */
const AUDIT_BURST_MS = 50;
const AUDIT_MAX_DELAY_MS = 1000;

/** What a caller may see of one request. */
export type RowAccess = 'full' | 'public' | 'none';

/** The rows a list may hold: all when null; else only these services' or these references. */
export type RowRestriction = { serviceIds: readonly number[] } | { references: readonly string[] } | null;

/** The fields of a request that hold what a person wrote. */
export type PersonalField = 'subject' | 'description' | 'timeline.message';

export class Access {
  private services: Promise<readonly number[]> | undefined;
  /** References this operation filed (submitRequest): its caller may read back what it wrote. */
  private readonly granted = new Set<string>();
  private pendingReads: Map<string, Set<PersonalField>> | null = null;
  private pendingSince = 0;
  private pendingTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly viewer: Viewer,
    private readonly connector: GrcConnector,
    private readonly audit: AuditLog,
  ) {}

  /** The services an agent works for (empty for an agent the GRC does not know, or who left). */
  agentServices(): Promise<readonly number[]> {
    if (this.viewer.matricule === null) return Promise.resolve([]);
    return (this.services ??= this.connector.agentServiceIds(this.viewer.matricule));
  }

  /** The restriction every list of requests applies for this caller. */
  async restriction(): Promise<RowRestriction> {
    switch (this.viewer.role) {
      case 'citizen':
        return { references: [...this.viewer.tracks, ...this.granted] };
      case 'agent':
        return { serviceIds: await this.agentServices() };
      default:
        return null;
    }
  }

  async rowAccess(request: Pick<RequestRecord, 'reference' | 'serviceId'>): Promise<RowAccess> {
    if (this.granted.has(request.reference)) return 'full';
    switch (this.viewer.role) {
      case 'operator':
        return 'full';
      case 'anonymous':
      case 'partner':
        return 'public';
      case 'citizen':
        return this.viewer.tracks.has(request.reference) ? 'full' : 'none';
      case 'agent':
        return (await this.agentServices()).includes(request.serviceId) ? 'full' : 'none';
    }
  }

  /** A request reached by key (`request`, `_entities`): null when the caller may not reach it. */
  async visible<R extends RequestRecord>(request: R | null): Promise<R | null> {
    if (request === null) return null;
    return (await this.rowAccess(request)) === 'none' ? null : request;
  }

  /** May the caller read `field` of `request`? FORBIDDEN when not; audited when so. */
  async personal<T>(request: RequestRecord, field: PersonalField, value: T): Promise<T> {
    if ((await this.rowAccess(request)) !== 'full') {
      throw passerelleError('FORBIDDEN', `${field} of a request is readable only by its requester, the agents of its service and operators.`);
    }
    this.auditRead(request.reference, field);
    return value;
  }

  /** Lets this operation's caller read back the request it just filed. */
  grant(reference: string): void {
    this.granted.add(reference);
  }

  /** `serviceQueue(service)`: agents for their own service, operators for any. */
  async assertMayWatchService(service: ServiceRecord): Promise<void> {
    if (this.viewer.role === 'operator') return;
    if (this.viewer.role !== 'agent') throw passerelleError('FORBIDDEN', 'serviceQueue is for agents (scope "agent") and operators.');
    if (!(await this.agentServices()).includes(service.id)) {
      throw passerelleError('FORBIDDEN', `serviceQueue("${service.code}") is only for the agents of that service.`);
    }
  }

  /**
   * `requestUpdated(reference)`: its citizen, an agent of its service, an operator. `current` is the
   * request as it is now (null when no request has that reference: refused alike, so nobody learns
   * which references exist).
   */
  async assertMayFollow(reference: string, current: RequestRecord | null): Promise<void> {
    const { role } = this.viewer;
    if (role === 'anonymous') throw passerelleError('UNAUTHENTICATED', 'requestUpdated needs a tracking token (scope "track:<reference>") or an agent\'s token.');
    if (role === 'operator') return;
    if (role === 'citizen' && this.viewer.tracks.has(reference)) return;
    if (role === 'agent' && current !== null && (await this.agentServices()).includes(current.serviceId)) return;
    throw passerelleError('FORBIDDEN', `requestUpdated("${reference}") is for its requester (scope "track:${reference}") and the agents of its service.`);
  }

  /** A workflow mutation on a request of `serviceId`, by the agent `actorServiceId` works for (inside the lock). */
  static assertMayAct(action: string, actorServiceId: number, requestServiceId: number): void {
    if (actorServiceId !== requestServiceId) throw passerelleError('FORBIDDEN', `${action} is only for the agents of the request's service.`);
  }

  /**
   * Audit lines for personal reads: one per burst of reads (an operation's fields resolve within
   * milliseconds of each other) rather than one per field — written AUDIT_BURST_MS after the last
   * read, or at most AUDIT_MAX_DELAY_MS after the first.
   */
  private auditRead(reference: string, field: PersonalField): void {
    if (!this.pendingReads) {
      this.pendingReads = new Map();
      this.pendingSince = Date.now();
    }
    const fields = this.pendingReads.get(reference) ?? new Set<PersonalField>();
    fields.add(field);
    this.pendingReads.set(reference, fields);
    clearTimeout(this.pendingTimer);
    const delay = Math.max(0, Math.min(AUDIT_BURST_MS, this.pendingSince + AUDIT_MAX_DELAY_MS - Date.now()));
    this.pendingTimer = setTimeout(() => this.flushReads(), delay).unref();
  }

  private flushReads(): void {
    const reads = this.pendingReads;
    this.pendingReads = null;
    if (!reads) return;
    const fields = [...new Set([...reads.values()].flatMap((set) => [...set]))].sort();
    this.audit.record({ who: this.viewer.who, action: 'read:personal', references: [...reads.keys()], fields, outcome: 'ok' });
  }
}
