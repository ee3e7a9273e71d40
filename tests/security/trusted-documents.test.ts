/**
 * Trusted documents: an API key restricted to a manifest runs only the operations whose sha256 is
 * registered for it — sent in full, or as the hash alone resolved from TRUSTED_DOCUMENTS_PATH —
 * on HTTP, SSE and graphql-ws; anything else is OPERATION_NOT_TRUSTED (403).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, sha256 } from '../../gateway/receive/index.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { wsUrl } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { partnerKeys } from './partner-keys.ts';

const TRUSTED = 'query Product { product(id: "1") { name } }';
const OTHER = '{ products { id name priceCents } }';
let toy: ToyFederation;
let restricted: string;
let free: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-manifest-'));
  const manifestPath = join(dir, 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha256(TRUSTED), name: 'Product', type: 'query', body: TRUSTED }] }));
  const keys = await partnerKeys([
    { name: 'Restricted', scopes: [], trustedOperations: [sha256(TRUSTED)] },
    { name: 'Free', scopes: [] },
  ]);
  [restricted, free] = keys.keys as [string, string];
  toy = await startToyFederation({ API_KEYS_PATH: keys.path, TRUSTED_DOCUMENTS_PATH: manifestPath, RATE_LIMIT_PARTNER: '0', RATE_LIMIT_ANONYMOUS: '0' });
});
afterAll(async () => {
  await toy?.stop();
});

const post = (key: string, body: unknown, accept?: string) =>
  fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, ...(accept ? { accept } : {}) }, body: JSON.stringify(body) });
const hashOnly = (query: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } });

describe('A key restricted to its manifest', () => {
  it('runs a registered operation sent in full', async () => {
    const answer = await graphql(toy.gatewayUrl, TRUSTED, undefined, { headers: { 'x-api-key': restricted } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { product: { name: 'Table' } } });
  });

  it('runs a registered operation sent as its hash alone (POST and GET)', async () => {
    const response = await post(restricted, hashOnly(TRUSTED));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { product: { name: 'Table' } } });
    const extensions = encodeURIComponent(JSON.stringify(hashOnly(TRUSTED).extensions));
    const get = await fetch(`${toy.gatewayUrl}?extensions=${extensions}`, { headers: { 'x-api-key': restricted, 'graphql-preflight': '1' } });
    expect(get.status).toBe(200);
  });

  it('is refused any other operation, even one differing by a space: OPERATION_NOT_TRUSTED, 403', async () => {
    for (const query of [OTHER, `${TRUSTED} `]) {
      const answer = await graphql(toy.gatewayUrl, query, undefined, { headers: { 'x-api-key': restricted } });
      expect(answer.status).toBe(403);
      expect(errorCodes(answer)).toEqual(['OPERATION_NOT_TRUSTED']);
    }
  });

  it('is refused over SSE and graphql-ws too', async () => {
    const sse = await post(restricted, { query: OTHER }, 'text/event-stream');
    expect(sse.status).toBe(403);
    const client = createClient({ url: wsUrl(toy.gatewayUrl), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { 'x-api-key': restricted } });
    const run = (query: string) =>
      new Promise<unknown>((resolve) => {
        client.subscribe({ query }, { next: (result) => resolve(result), error: (error) => resolve({ errors: error }), complete: () => {} });
      });
    expect(((await run(OTHER)) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('OPERATION_NOT_TRUSTED');
    expect(await run(TRUSTED)).toEqual({ data: { product: { name: 'Table' } } });
    await client.dispose();
  });
});

describe('Keys and callers without a manifest', () => {
  it('run any operation', async () => {
    expect((await graphql(toy.gatewayUrl, OTHER, undefined, { headers: { 'x-api-key': free } })).status).toBe(200);
    expect((await graphql(toy.gatewayUrl, OTHER)).status).toBe(200);
  });
});

describe('The manifest file', () => {
  it('refuses an operation whose id is not the sha256 of its body', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-manifest-'));
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ operations: [{ id: sha256(OTHER), body: TRUSTED }] }));
    expect(() => readManifest(path)).toThrow(/TRUSTED_DOCUMENTS_PATH/);
  });
});
