/**
 * The one intake for every request (`submitRequest`): check the input, check that its commune and
 * lycée exist in their own systems, route it, write it to the GRC once per idempotency key, and
 * answer with the request, how it was routed and a tracking token.
 *
 * A lycée must be in the commune given: the commune is what the request is counted under
 * (`Commune.requestStats`), so a mismatch is refused on `input.lycee`, naming the lycée's commune,
 * rather than silently moving the request to another commune than the one the citizen chose.
 */
import { passerelleError } from '../../../common/errors.ts';
import { signToken, trackingClaims } from '../../kit/index.ts';
import type { GrcConnector, RequestRecord, ServiceRecord } from '../connector.ts';
import type { Directory } from './directory.ts';
import { createOnce, findIntake, type IntakeRecord } from './grc-intake.ts';
import { checkIdempotencyKey, checkSubmission, fingerprint, invalidFields, type FieldProblem, type SubmitRequestInput } from './input.ts';
import type { Loaders } from '../loaders.ts';
import type { RoutingRules } from './routing-rules.ts';
import { route, type RoutingRule } from './routing.ts';

export interface IntakeOptions {
  connector: GrcConnector;
  directory: Directory;
  rules: RoutingRules;
  /** HS256 key of AUTH_SECRET, to sign tracking tokens. */
  tokenKey: Uint8Array;
  /** Lifetime of a tracking token (TRACKING_TOKEN_TTL_S). */
  trackingTokenTtlS: number;
}

export interface SubmitPayload {
  request: RequestRecord;
  trackingToken: string;
  trackingTokenExpiresAt: Date;
  routing: { service: ServiceRecord; rule: RoutingRule; matched: string | null };
}

export class Intake {
  constructor(private readonly options: IntakeOptions) {}

  async submit(loaders: Loaders, input: SubmitRequestInput, idempotencyKey: string): Promise<SubmitPayload> {
    const key = checkIdempotencyKey(idempotencyKey);
    const submission = checkSubmission(input);
    const print = fingerprint(submission);
    // A replay needs none of the other systems: answer it from the GRC alone.
    const known = await findIntake(this.options.connector, key);
    if (known) return this.replay(loaders, known, print, key);

    const { directory, rules, connector } = this.options;
    const [commune, lycee, services, categories] = await Promise.all([
      directory.commune(submission.communeCode),
      submission.uai === null ? null : directory.lycee(submission.uai),
      loaders.services.load('all'),
      loaders.categories.load('all'),
    ]);
    const problems: FieldProblem[] = [];
    if (!commune) problems.push({ argument: 'input.commune', reason: `no commune has INSEE code "${submission.communeCode}" (it does not exist)` });
    if (submission.uai !== null && !lycee) problems.push({ argument: 'input.lycee', reason: `no establishment has UAI "${submission.uai}" (it does not exist)` });
    if (commune && lycee && lycee.communeCode !== commune.code) {
      problems.push({ argument: 'input.lycee', reason: `${lycee.name} (${lycee.uai}) is in commune ${lycee.communeCode}, not in ${commune.code} (${commune.name})` });
    }
    const category = submission.categoryCode === null ? null : (categories.find((c) => c.code === submission.categoryCode && c.active) ?? null);
    if (submission.categoryCode !== null && !category) {
      problems.push({ argument: 'input.category', reason: `no category has code "${submission.categoryCode}" (see \`categories\`)` });
    }
    if (problems.length > 0) throw invalidFields(problems);

    const decision = route(
      rules,
      { category, uai: submission.uai, departementCode: commune!.departementCode, subject: submission.subject, description: submission.description },
      { services, categories },
    );
    const { intake, created } = await createOnce(
      connector,
      key,
      print,
      {
        subject: submission.subject, description: submission.description, serviceId: decision.service.id, categoryId: decision.category.id,
        communeCode: submission.communeCode, uai: submission.uai, channel: submission.channel, contact: submission.contact,
      },
      { rule: decision.rule, matched: decision.matched },
    );
    return created ? this.payload(loaders, intake) : this.replay(loaders, intake, print, key);
  }

  private replay(loaders: Loaders, intake: IntakeRecord, print: string, key: string): Promise<SubmitPayload> {
    // Says nothing of the first request: the key may be someone else's, by accident.
    if (intake.fingerprint !== print) {
      throw passerelleError('IDEMPOTENCY_KEY_REUSED', `Idempotency key "${key}" was already used to submit a different request.`, { argument: 'idempotencyKey' });
    }
    return this.payload(loaders, intake);
  }

  /** The same answer for the first call and every replay: the token is signed from the request's creation instant. */
  private async payload(loaders: Loaders, intake: IntakeRecord): Promise<SubmitPayload> {
    loaders.requestById.clear(intake.requestId);
    const [request, service, signed] = await Promise.all([
      loaders.requestById.load(intake.requestId),
      loaders.serviceById.load(intake.serviceId),
      signToken(this.options.tokenKey, trackingClaims(intake.reference), intake.createdAt, this.options.trackingTokenTtlS),
    ]);
    if (!request || !service) throw passerelleError('LEGACY_ERROR', `grc lost request ${intake.reference} after creating it`, { system: 'grc' });
    return {
      request,
      trackingToken: signed.token,
      trackingTokenExpiresAt: signed.expiresAt,
      routing: { service, rule: intake.rule, matched: intake.matched },
    };
  }
}
