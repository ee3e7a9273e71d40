/**
 * Who is calling the requests subgraph, as the row rules (rules.ts) see it. The gateway verifies
 * the caller's credentials and forwards a gateway-signed identity (common/identity.ts); the kit
 * verifies it and hands the context factory `identity: Caller | null` (null = anonymous). This
 * module turns that into a `Viewer`: the role, and what the role's rules need (the references a
 * citizen tracks, the matricule of an agent). The subgraph never reads an `authorization` header.
 */
import type { Caller } from '../../../common/identity.ts';

export type { Caller } from '../../../common/identity.ts';

export type Role = 'anonymous' | 'citizen' | 'partner' | 'agent' | 'operator';

export interface Viewer {
  role: Role;
  /** The verified identity; null when anonymous. */
  caller: Caller | null;
  /** `principal` of the audit log: subject and kind. */
  who: { subject: string; kind: Role };
  /** Citizens: the references their `track:<reference>` scopes name. */
  tracks: ReadonlySet<string>;
  /** Agents: the matricule their subject names (`agent:AG0001`); null for everyone else. */
  matricule: string | null;
}

const MATRICULE = /^agent:([A-Za-z0-9]{1,10})$/;
const TRACK = /^track:(IDF-\d{4}-\d{6})$/;

/**
 * The viewer a verified identity names. An agent is a caller of kind `agent` whose subject names a
 * matricule and who holds scope `agent`; a citizen holds `track:<reference>` scopes. Anything that
 * does not fit its kind falls back to the least its scopes allow (a partner), never to more.
 */
export function viewerOf(caller: Caller | null): Viewer {
  if (caller === null) return { role: 'anonymous', caller, who: { subject: 'anonymous', kind: 'anonymous' }, tracks: new Set(), matricule: null };
  const tracks = new Set(caller.scopes.map((scope) => TRACK.exec(scope)?.[1]).filter((ref): ref is string => ref !== undefined));
  const matricule = MATRICULE.exec(caller.subject)?.[1] ?? null;
  let role: Role;
  if (caller.kind === 'operator') role = 'operator';
  else if (caller.kind === 'agent' && matricule !== null && caller.scopes.includes('agent')) role = 'agent';
  else if (caller.kind === 'citizen') role = 'citizen';
  else role = 'partner';
  return { role, caller, who: { subject: caller.subject, kind: role }, tracks: role === 'citizen' ? tracks : new Set(), matricule: role === 'agent' ? matricule : null };
}
