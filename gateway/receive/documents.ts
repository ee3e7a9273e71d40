/**
 * Which document a request runs, settled in the receive stage so that authorisation and cost see
 * the full text: persisted queries (a hash instead of the text) and trusted documents.
 *
 * - Trusted documents: a principal with `trustedOperations` (a partner key restricted to a
 *   manifest) may run only documents whose sha256 is in that set — sent in full, or as the hash
 *   alone (`extensions.persistedQuery.sha256Hash`), resolved from the manifest (TRUSTED_DOCUMENTS_PATH,
 *   Apollo's persisted-query manifest format). Anything else: OPERATION_NOT_TRUSTED (403).
 * - Automatic persisted queries (APQ, Apollo's protocol) for everyone else: a hash alone is
 *   resolved from the manifest, then from the APQ store (Redis when REDIS_URL, shared by every
 *   replica; an in-process LRU otherwise); unknown: PERSISTED_QUERY_NOT_FOUND, and the client sends
 *   the text with the hash, which registers it. One implementation for every transport.
 *
 * A registration is stored only once the text parses, with a TTL in Redis and a size bound in
 * process, so the store cannot be filled with garbage faster than the rate limit lets requests in.
 * When Redis fails, lookups miss (the client resends the text) and registrations are dropped.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { parse } from 'graphql';
import { ConfigError } from '../../common/env.ts';
import { passerelleError } from '../../common/errors.ts';
import type { Principal } from '../pipeline.ts';

export interface DocumentsOptions {
  /** Persisted-query manifest (TRUSTED_DOCUMENTS_PATH); '' or unset: none. Read at start-up; a bad file is a ConfigError. */
  manifestPath?: string;
  /** Redis for the APQ store (REDIS_URL); unset: in-process LRU. */
  redisUrl?: string;
  /** Entries of the in-process LRU (APQ_CACHE_SIZE); 0 disables APQ registration without Redis. */
  cacheSize: number;
  /** TTL of an APQ entry in Redis, in seconds (APQ_TTL_S). */
  ttlS: number;
}

/** The GraphQL request fields this stage looks at (the rest is passed on untouched). */
export interface DocumentRequest {
  query?: unknown;
  extensions?: unknown;
}

export interface DocumentResolver {
  /**
   * The query text the request runs (its hash resolved), after the trusted-documents check, or
   * undefined when the request has no query (later stages answer that). Throws catalogue errors.
   */
  resolve(request: DocumentRequest, principal: Principal): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Bytes of query text the in-process LRU keeps at most, whatever APQ_CACHE_SIZE says. */
const LRU_MAX_CHARS = 16_000_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function createDocumentResolver(options: DocumentsOptions): DocumentResolver {
  const manifest = options.manifestPath ? readManifest(options.manifestPath) : new Map<string, string>();
  const store: ApqStore = options.redisUrl ? new RedisApqStore(options.redisUrl, options.ttlS) : new LruApqStore(options.cacheSize);

  return {
    async resolve(request, principal) {
      const hash = persistedQueryHash(request.extensions);
      let query = typeof request.query === 'string' && request.query !== '' ? request.query : undefined;
      if (hash !== undefined) {
        if (query === undefined) {
          query = manifest.get(hash) ?? (await store.get(hash));
          if (query === undefined) throw passerelleError('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound');
        } else {
          if (sha256(query) !== hash) throw passerelleError('BAD_REQUEST', 'The persisted query hash does not match the query (sha256 of its text, in hex).');
          trusted(query, principal);
          if (!manifest.has(hash) && parses(query)) await store.set(hash, query);
          return query;
        }
      }
      if (query !== undefined) trusted(query, principal);
      return query;
    },
    close: () => store.close(),
  };
}

/** The hash of `extensions.persistedQuery` (lower case), undefined without one; BAD_REQUEST when malformed. */
function persistedQueryHash(extensions: unknown): string | undefined {
  if (!isRecord(extensions) || extensions.persistedQuery === undefined) return undefined;
  const persisted = extensions.persistedQuery;
  if (!isRecord(persisted) || persisted.version !== 1 || typeof persisted.sha256Hash !== 'string' || !SHA256_HEX.test(persisted.sha256Hash.toLowerCase())) {
    throw passerelleError('BAD_REQUEST', 'extensions.persistedQuery must be { version: 1, sha256Hash: <64 hex digits> }.');
  }
  return persisted.sha256Hash.toLowerCase();
}

function trusted(query: string, principal: Principal): void {
  if (!principal.trustedOperations || principal.trustedOperations.has(sha256(query))) return;
  throw passerelleError('OPERATION_NOT_TRUSTED', 'This API key may only run the operations registered in its manifest; this document is not one of them.');
}

function parses(query: string): boolean {
  try {
    parse(query, { noLocation: true });
    return true;
  } catch {
    return false;
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Apollo's persisted-query manifest (`{ format: "apollo-persisted-query-manifest", version: 1,
 * operations: [{ id, name, type, body }] }`), or a plain `{ "<sha256>": "<text>" }` object. Each
 * id must be the sha256 of its body: a manifest that says otherwise would let one text pass for another.
 */
export function readManifest(path: string): Map<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`TRUSTED_DOCUMENTS_PATH=${path}: cannot read the manifest (${(error as Error).message}).`);
  }
  const entries: [unknown, unknown][] =
    isRecord(raw) && Array.isArray(raw.operations)
      ? raw.operations.map((operation: unknown) => (isRecord(operation) ? [operation.id, operation.body] : [undefined, undefined]))
      : isRecord(raw)
        ? Object.entries(raw)
        : [];
  const manifest = new Map<string, string>();
  for (const [id, body] of entries) {
    if (typeof id !== 'string' || typeof body !== 'string' || sha256(body) !== id.toLowerCase()) {
      throw new ConfigError(`TRUSTED_DOCUMENTS_PATH=${path}: every operation needs an id that is the sha256 (hex) of its body; ${String(id).slice(0, 80)} is not.`);
    }
    manifest.set(id.toLowerCase(), body);
  }
  return manifest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ApqStore {
  get(hash: string): Promise<string | undefined>;
  set(hash: string, query: string): Promise<void>;
  close(): Promise<void>;
}

/** Least recently used first out, bounded in entries and in characters. */
class LruApqStore implements ApqStore {
  private readonly entries = new Map<string, string>();
  private chars = 0;
  private readonly maxEntries: number;

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  async get(hash: string) {
    const query = this.entries.get(hash);
    if (query !== undefined) {
      this.entries.delete(hash);
      this.entries.set(hash, query);
    }
    return query;
  }

  async set(hash: string, query: string) {
    if (this.maxEntries === 0 || query.length > LRU_MAX_CHARS || this.entries.has(hash)) return;
    this.entries.set(hash, query);
    this.chars += query.length;
    for (const [oldest, text] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.chars <= LRU_MAX_CHARS) break;
      this.entries.delete(oldest);
      this.chars -= text.length;
    }
  }

  async close() {}
}

class RedisApqStore implements ApqStore {
  private readonly redis: Redis;
  private readonly ttlS: number;

  constructor(url: string, ttlS: number) {
    this.redis = new Redis(url, { commandTimeout: 500, maxRetriesPerRequest: 0 });
    this.redis.on('error', () => {});
    this.ttlS = ttlS;
  }

  /**
   * Commands wait for the first connection (start-up), but not for a reconnection: while Redis is
   * down a lookup misses at once, which only costs the client one resend of the text.
   */
  private get usable(): boolean {
    return ['ready', 'connecting', 'connect', 'wait'].includes(this.redis.status);
  }

  async get(hash: string) {
    if (!this.usable) return undefined;
    try {
      return (await this.redis.get(`passerelle:apq:${hash}`)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  async set(hash: string, query: string) {
    if (!this.usable) return;
    try {
      await this.redis.set(`passerelle:apq:${hash}`, query, 'EX', this.ttlS);
    } catch {
      // Not stored: the next hash-only request misses and the client sends the text again.
    }
  }

  async close() {
    this.redis.disconnect();
  }
}

/** A GraphQL-over-HTTP request as the receive stage has it: the URL (GET parameters) and the parsed body (POST). */
export interface HttpGraphQLRequest {
  method: string;
  url: URL;
  body: unknown;
}

/**
 * The same request with its document settled: the query text in place of a hash and
 * `extensions.persistedQuery` removed (nothing after this stage looks up a hash), in the URL for
 * GET and in the body for POST. A batch (JSON array) is left as it is: the HTTP path refuses it.
 */
export async function settleDocument(resolver: DocumentResolver, request: HttpGraphQLRequest, principal: Principal): Promise<HttpGraphQLRequest> {
  if (request.method === 'GET') {
    const params = request.url.searchParams;
    let extensions: unknown;
    const rawExtensions = params.get('extensions');
    if (rawExtensions) {
      try {
        extensions = JSON.parse(rawExtensions);
      } catch {
        throw passerelleError('BAD_REQUEST', 'The extensions parameter is not valid JSON.');
      }
    }
    const query = await resolver.resolve({ query: params.get('query') ?? undefined, extensions }, principal);
    if (query === undefined) return request;
    const url = new URL(request.url);
    url.searchParams.set('query', query);
    const rest = withoutPersistedQuery(extensions);
    if (rest) url.searchParams.set('extensions', JSON.stringify(rest));
    else url.searchParams.delete('extensions');
    return { ...request, url };
  }
  if (!isRecord(request.body)) return request;
  const query = await resolver.resolve(request.body, principal);
  if (query === undefined) return request;
  const { extensions: _extensions, ...body } = request.body;
  const rest = withoutPersistedQuery(request.body.extensions);
  return { ...request, body: { ...body, query, ...(rest ? { extensions: rest } : {}) } };
}

function withoutPersistedQuery(extensions: unknown): Record<string, unknown> | undefined {
  if (!isRecord(extensions)) return undefined;
  const { persistedQuery: _persisted, ...rest } = extensions;
  return Object.keys(rest).length > 0 ? rest : undefined;
}
