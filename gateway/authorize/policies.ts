/**
 * Who meets a requirement. `@authenticated`: any caller who is not anonymous. `@requiresScopes`:
 * OR of ANDs of the caller's scopes. `@policy`: named policies the gateway is configured with
 * (POLICIES_PATH, a JSON file), each allowing principal kinds and/or scopes — the schema names the
 * policy, the region's configuration says who it lets in, and the gateway stays generic.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../common/env.ts';
import type { Principal, PrincipalKind } from '../pipeline.ts';
import type { Requirement } from './requirements.ts';

const KINDS: readonly PrincipalKind[] = ['anonymous', 'citizen', 'partner', 'agent', 'operator'];

/** One named policy: met by a caller of one of `kinds`, or holding one of `scopes`. */
export interface Policy {
  kinds?: readonly PrincipalKind[];
  scopes?: readonly string[];
}

export type Policies = Readonly<Record<string, Policy>>;

/** What a requirement is decided on: the caller's kind and scopes (nothing else, so it can key a cache). */
export interface Rights {
  kind: PrincipalKind;
  scopes: ReadonlySet<string>;
  /** kind and sorted scopes: callers with the same key get the same decisions. */
  key: string;
}

export function rightsOf(principal: Principal): Rights {
  const scopes = [...new Set(principal.scopes)].sort();
  return { kind: principal.kind, scopes: new Set(scopes), key: `${principal.kind}:${scopes.join(' ')}` };
}

/** Whether `rights` meet every requirement. A policy that is not configured is met by no one. */
export function meets(requirements: readonly Requirement[], rights: Rights, policies: Policies): boolean {
  return requirements.every((requirement) => {
    switch (requirement.kind) {
      case 'authenticated':
        return rights.kind !== 'anonymous';
      case 'scopes':
        return requirement.anyOf.some((all) => all.every((scope) => rights.scopes.has(scope)));
      case 'policy':
        return requirement.anyOf.some((all) => all.every((name) => allows(policies[name], rights)));
    }
  });
}

function allows(policy: Policy | undefined, rights: Rights): boolean {
  if (!policy) return false;
  return (policy.kinds?.includes(rights.kind) ?? false) || (policy.scopes?.some((scope) => rights.scopes.has(scope)) ?? false);
}

/**
 * Reads the policies file: `{ "<name>": { "kinds": ["citizen", …], "scopes": ["…"], "description": "…" } }`.
 * Throws a ConfigError naming `variable` when the file is missing, not JSON, or names an unknown
 * kind — the gateway does not start on a policy it would misread.
 */
export function readPolicies(path: string, variable = 'POLICIES_PATH'): Policies {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read the policies file ${path}: ${(error as Error).message}`);
  }
  return parsePolicies(raw, `${variable} (${path})`);
}

/** Checks a policies object (see readPolicies); `where` names its origin in errors. */
export function parsePolicies(raw: unknown, where = 'policies'): Policies {
  if (!isRecord(raw)) throw new ConfigError(`${where}: expected an object mapping policy names to { kinds, scopes }.`);
  const policies: Record<string, Policy> = {};
  for (const [name, entry] of Object.entries(raw)) {
    if (!isRecord(entry)) throw new ConfigError(`${where}: policy "${name}" must be an object { kinds, scopes }.`);
    const kinds = entry.kinds ?? [];
    const scopes = entry.scopes ?? [];
    if (!Array.isArray(kinds) || !kinds.every((kind): kind is PrincipalKind => KINDS.includes(kind as PrincipalKind))) {
      throw new ConfigError(`${where}: policy "${name}" has kinds that are not among ${KINDS.join(', ')}.`);
    }
    if (!Array.isArray(scopes) || !scopes.every((scope): scope is string => typeof scope === 'string' && scope !== '')) {
      throw new ConfigError(`${where}: policy "${name}" must list its scopes as non-empty strings.`);
    }
    policies[name] = { kinds, scopes };
  }
  return policies;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
