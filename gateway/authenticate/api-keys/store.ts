/**
 * Partners' API keys: the record kept per key, the one small interface its stores implement (a JSON
 * file without Redis, Redis with it — one folder each), and the operations on keys that do not
 * depend on the store (create, rotate, revoke, verify).
 *
 * A key reads `psk_<id>_<secret>`: `id` (12 hex digits) names the record, `secret` is 32 random
 * bytes. Only the sha256 of the whole key is stored — a leaked store gives no working key, and 256
 * random bits need no slow hash. The key itself is shown once, when it is created or rotated.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { passerelleError } from '../../../common/errors.ts';

export interface ApiKeyRecord {
  /** 12 hex digits; the principal is `key:<id>`. */
  id: string;
  /** Who holds it (a partner's name), for people reading `npm run keys -- list`. */
  name: string;
  scopes: string[];
  /** sha256 (hex) of the whole key. */
  hash: string;
  /** Requests allowed per rate-limit window; unset: the configured default for partners. */
  rate?: number;
  /** Requests allowed per UTC day; unset: the configured default for partners. */
  dailyQuota?: number;
  /** Trusted documents: sha256 (hex) of the only operation texts this key may run; unset: any. */
  trustedOperations?: string[];
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, when the secret was last replaced. */
  rotatedAt?: string;
  /** ISO 8601; a revoked key is refused from that instant, on every replica. */
  revokedAt?: string;
}

/** Where records live. Implementations: ./file (API_KEYS_PATH) and ./redis (REDIS_URL). */
export interface ApiKeyStore {
  /** The record of that id, revoked or not; undefined when there is none. */
  get(id: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Creates or replaces a record; every reader (every gateway replica) sees the change at once. */
  put(record: ApiKeyRecord): Promise<void>;
  close(): Promise<void>;
}

export interface NewApiKey {
  name: string;
  scopes: string[];
  rate?: number;
  dailyQuota?: number;
  trustedOperations?: string[];
}

const KEY_FORMAT = /^psk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function newSecret(id: string): string {
  return `psk_${id}_${randomBytes(32).toString('base64url')}`;
}

/** Creates a key; returns its record and the key itself, which nobody can see again. */
export async function createApiKey(store: ApiKeyStore, input: NewApiKey, now = new Date()): Promise<{ record: ApiKeyRecord; key: string }> {
  const id = randomBytes(6).toString('hex');
  const key = newSecret(id);
  const record: ApiKeyRecord = {
    id,
    name: input.name,
    scopes: input.scopes,
    hash: hashApiKey(key),
    ...(input.rate !== undefined ? { rate: input.rate } : {}),
    ...(input.dailyQuota !== undefined ? { dailyQuota: input.dailyQuota } : {}),
    ...(input.trustedOperations !== undefined ? { trustedOperations: input.trustedOperations } : {}),
    createdAt: now.toISOString(),
  };
  await store.put(record);
  return { record, key };
}

/** A new secret for the same id, scopes and limits; the old secret stops working at once. */
export async function rotateApiKey(store: ApiKeyStore, id: string, now = new Date()): Promise<{ record: ApiKeyRecord; key: string }> {
  const record = await store.get(id);
  if (!record) throw new Error(`No API key with id ${id}.`);
  if (record.revokedAt) throw new Error(`API key ${id} is revoked; create a new one.`);
  const key = newSecret(id);
  const rotated: ApiKeyRecord = { ...record, hash: hashApiKey(key), rotatedAt: now.toISOString() };
  await store.put(rotated);
  return { record: rotated, key };
}

export async function revokeApiKey(store: ApiKeyStore, id: string, now = new Date()): Promise<ApiKeyRecord> {
  const record = await store.get(id);
  if (!record) throw new Error(`No API key with id ${id}.`);
  if (record.revokedAt) return record;
  const revoked: ApiKeyRecord = { ...record, revokedAt: now.toISOString() };
  await store.put(revoked);
  return revoked;
}

/** The record of a presented key; UNAUTHENTICATED when it is malformed, unknown, replaced or revoked. */
export async function verifyApiKey(store: ApiKeyStore, presented: string): Promise<ApiKeyRecord> {
  const match = KEY_FORMAT.exec(presented.trim());
  if (!match) throw passerelleError('UNAUTHENTICATED', 'The API key is malformed (expected psk_<id>_<secret>).');
  const record = await store.get(match[1]!);
  const expected = record ? Buffer.from(record.hash, 'hex') : undefined;
  const actual = Buffer.from(hashApiKey(presented.trim()), 'hex');
  if (!record || !expected || expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw passerelleError('UNAUTHENTICATED', 'The API key is not valid.');
  }
  if (record.revokedAt) throw passerelleError('UNAUTHENTICATED', 'The API key has been revoked.');
  return record;
}

/** Checks a record read from a store; a corrupt one is treated as absent rather than trusted. */
export function isApiKeyRecord(value: unknown): value is ApiKeyRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.id === 'string' &&
    typeof record.name === 'string' &&
    typeof record.hash === 'string' &&
    Array.isArray(record.scopes) &&
    record.scopes.every((scope) => typeof scope === 'string') &&
    typeof record.createdAt === 'string'
  );
}
