/**
 * The life of a request, in one table: which status may follow which. It is the table the GRC's
 * own histories follow (every transition found in the seeded `t_evenement` is here), so the API
 * never writes a history the old back office could not have written.
 *
 * Where it departs from the first sketch (WAITING_FOR_CITIZEN → CLOSED): in the GRC, `CLO` means
 * "resolved, then closed" — statistics count it as resolved and `date_cloture` comes from the
 * resolution — and a citizen who never answers gets `REJ` ("classée sans suite"). So a waiting
 * request is resolved, rejected or resumed, never closed directly.
 */
import { passerelleError } from '../../../common/errors.ts';
import type { RequestStatus } from '../connector.ts';

export const TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  NEW: ['QUALIFIED', 'REJECTED'],
  QUALIFIED: ['IN_PROGRESS', 'REJECTED'],
  IN_PROGRESS: ['WAITING_FOR_CITIZEN', 'RESOLVED', 'REJECTED'],
  WAITING_FOR_CITIZEN: ['IN_PROGRESS', 'RESOLVED', 'REJECTED'],
  // Back to IN_PROGRESS: the citizen says the answer did not settle it (reopened).
  RESOLVED: ['CLOSED', 'IN_PROGRESS'],
  CLOSED: [],
  REJECTED: [],
};

/** Statuses in which processing has ended: no estimate of completion is given any more. */
export const DONE: ReadonlySet<RequestStatus> = new Set(['RESOLVED', 'CLOSED', 'REJECTED']);

/**
 * Statuses whose event must say why to the citizen: a rejection must give its reason and a
 * request put on hold must say what is missing, or the citizen cannot act on it.
 */
export const NEEDS_COMMENT: ReadonlySet<RequestStatus> = new Set(['REJECTED', 'WAITING_FOR_CITIZEN']);

/** What the citizen reads when the agent writes no comment, in the GRC's usual wording. */
export const DEFAULT_COMMENT: Readonly<Record<RequestStatus, string>> = {
  NEW: 'Demande enregistrée.',
  QUALIFIED: 'Votre demande a été prise en compte par le service compétent.',
  IN_PROGRESS: 'Votre demande est en cours de traitement.',
  WAITING_FOR_CITIZEN: 'En attente de précisions de votre part.',
  RESOLVED: 'Une réponse vous a été apportée.',
  CLOSED: 'Demande clôturée après résolution.',
  REJECTED: 'Votre demande a été classée sans suite.',
};

/** How `date_cloture` changes with a transition: set when processing ends, kept on closing, cleared on reopening. */
export type ClosingDate = 'set' | 'keep' | 'clear';

export function closingDateOn(to: RequestStatus): ClosingDate {
  if (to === 'RESOLVED' || to === 'REJECTED') return 'set';
  if (to === 'CLOSED') return 'keep';
  return 'clear';
}

/** Throws INVALID_TRANSITION, with `from`, `to` and the statuses `allowed` from here, unless the table allows it. */
export function assertTransition(from: RequestStatus, to: RequestStatus): void {
  const allowed = TRANSITIONS[from];
  if (allowed.includes(to)) return;
  const why = allowed.length === 0 ? `${from} is final` : `from ${from} it may only become ${allowed.join(', ')}`;
  throw passerelleError('INVALID_TRANSITION', `A request cannot go from ${from} to ${to}: ${why}.`, { from, to, allowed: [...allowed] });
}
