/**
 * From verified claims or an API key record to the principal the rest of the request sees
 * (gateway/pipeline.ts `Principal`):
 * - operator: scope `operator`;
 * - agent: sub `agent:<matricule>` with scope `agent` or claim `kind: "agent"`;
 * - citizen: any other verified person (sub `citizen:*`, `kind` user or citizen, or nothing said);
 * - partner: an API key, id `key:<id>`;
 * - anonymous: no credentials, id `ip:<address>` (rate limits per address use it).
 */
import type { JWTPayload } from 'jose';
import { scopesOf } from '../../common/tokens.ts';
import type { Principal, PrincipalKind } from '../pipeline.ts';
import type { ApiKeyRecord } from './api-keys/index.ts';

const AGENT_SUBJECT = /^agent:[A-Za-z0-9]{1,10}$/;

export function principalOfClaims(payload: JWTPayload & { sub: string; exp: number }, remoteAddress: string | undefined): Principal {
  const scopes = scopesOf(payload);
  return {
    id: payload.sub,
    kind: kindOf(payload.sub, scopes, payload.kind),
    scopes,
    expiresAt: payload.exp * 1000,
    ...(remoteAddress ? { remoteAddress } : {}),
  };
}

function kindOf(subject: string, scopes: string[], kind: unknown): PrincipalKind {
  if (scopes.includes('operator')) return 'operator';
  if (AGENT_SUBJECT.test(subject) && (scopes.includes('agent') || kind === 'agent')) return 'agent';
  return 'citizen';
}

export function principalOfApiKey(record: ApiKeyRecord, remoteAddress: string | undefined): Principal {
  const limits = {
    ...(record.rate !== undefined ? { rate: record.rate } : {}),
    ...(record.dailyQuota !== undefined ? { dailyQuota: record.dailyQuota } : {}),
  };
  return {
    id: `key:${record.id}`,
    kind: 'partner',
    scopes: [...record.scopes],
    ...(remoteAddress ? { remoteAddress } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(record.trustedOperations ? { trustedOperations: new Set(record.trustedOperations) } : {}),
  };
}

export function anonymousPrincipal(remoteAddress: string | undefined): Principal {
  return { id: `ip:${remoteAddress ?? 'unknown'}`, kind: 'anonymous', scopes: [], ...(remoteAddress ? { remoteAddress } : {}) };
}

/**
 * What decides whether two principals may share an upstream socket or a stream: the same
 * authority (kind, id, scopes). Every anonymous caller has the same authority, whatever its address.
 */
export function authorityKey(principal: Principal): string {
  if (principal.kind === 'anonymous') return 'anonymous';
  return JSON.stringify([principal.kind, principal.id, [...principal.scopes].sort()]);
}
