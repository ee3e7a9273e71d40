/**
 * Partners' API keys: made, listed, rotated and revoked with `npm run keys`; stored hashed; in
 * Redis a revoked or rotated key stops working at once on every gateway replica; without Redis the
 * CLI and the gateway share a JSON file. A wrong, malformed or revoked key is UNAUTHENTICATED.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileApiKeyStore } from '../../gateway/authenticate/api-keys/index.ts';
import { createAuthenticator } from '../../gateway/authenticate/index.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startRedis, type PrivateRedis } from '../harness/redis.ts';
import { signToken, subscribeWs, waitFor } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

const QUERY = '{ product(id: "1") { name } }';
const KEY_FORMAT = /^psk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/;

/** `npx tsx scripts/keys.ts …` with exactly these variables: stdout, stderr, exit code. */
function keys(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'scripts/keys.ts', ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ stdout: stdout.trim(), stderr, code }));
  });
}

const idOf = (key: string) => key.split('_')[1]!;
const call = (toy: ToyFederation, key: string) => graphql(toy.gatewayUrl, QUERY, undefined, { headers: { 'x-api-key': key } });

describe('Redis store, two gateway replicas', () => {
  let redis: PrivateRedis;
  let replicas: ToyFederation[];
  let env: Record<string, string>;
  beforeAll(async () => {
    redis = await startRedis();
    env = { REDIS_URL: redis.url };
    replicas = await Promise.all([startToyFederation(env), startToyFederation(env)]);
  });
  afterAll(async () => {
    await Promise.allSettled((replicas ?? []).map((toy) => toy.stop()));
    await redis?.stop();
  });

  it('creates a key (printed once, stored hashed), lists it, and both replicas accept it as a partner', async () => {
    const created = await keys(['create', '--name', 'Acme', '--scopes', 'public,stats', '--rate', '600', '--quota', '1000'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(KEY_FORMAT);
    const key = created.stdout;
    const listed = await keys(['list'], env);
    expect(listed.stdout).toContain(idOf(key));
    expect(listed.stdout).toContain('"Acme"');
    expect(listed.stdout).not.toContain(key.split('_').slice(2).join('_'));
    for (const toy of replicas) {
      toy.identities.http.length = 0;
      const result = await call(toy, key);
      expect(result.body).toEqual({ data: { product: { name: 'Table' } } });
      expect(toy.identities.http).toEqual([{ subject: `key:${idOf(key)}`, kind: 'partner', scopes: ['public', 'stats'], expiresAt: null }]);
    }
  });

  it('a revoked key is refused at once by every replica (each had it cached)', async () => {
    const key = (await keys(['create', '--name', 'Doomed', '--scopes', 'public'], env)).stdout;
    for (const toy of replicas) expect((await call(toy, key)).status).toBe(200);
    const revoked = await keys(['revoke', idOf(key)], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    // No waiting: the change was published before the CLI exited.
    for (const toy of replicas) {
      const result = await call(toy, key);
      expect(result.status).toBe(401);
      expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    }
    expect((await keys(['list'], env)).stdout).toMatch(new RegExp(`${idOf(key)}\\s+REVOKED`));
  });

  it('rotation: the new secret works at once on every replica, the old one no longer does', async () => {
    const old = (await keys(['create', '--name', 'Rotating', '--scopes', 'public'], env)).stdout;
    for (const toy of replicas) expect((await call(toy, old)).status).toBe(200);
    const rotated = await keys(['rotate', idOf(old)], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const fresh = rotated.stdout;
    expect(fresh).toMatch(KEY_FORMAT);
    expect(idOf(fresh)).toBe(idOf(old));
    for (const toy of replicas) {
      expect((await call(toy, old)).status).toBe(401);
      expect((await call(toy, fresh)).status).toBe(200);
    }
  });

  it('refuses an unknown, malformed or doubled credential with 401 UNAUTHENTICATED', async () => {
    const key = (await keys(['create', '--name', 'Valid', '--scopes', 'public'], env)).stdout;
    const forged = `${key.slice(0, -4)}AAAA`;
    const token = await signToken('passerelle-dev-secret-change-me-0123456789', { sub: 'citizen:x', scope: 'track:x' });
    const attempts: Record<string, Record<string, string>> = {
      'wrong secret': { 'x-api-key': forged },
      'unknown id': { 'x-api-key': `psk_000000000000_${key.split('_').slice(2).join('_')}` },
      malformed: { 'x-api-key': 'hunter2' },
      'key and token': { 'x-api-key': key, authorization: `Bearer ${token}` },
    };
    for (const [name, headers] of Object.entries(attempts)) {
      const result = await graphql(replicas[0]!.gatewayUrl, QUERY, undefined, { headers });
      expect(result.status, name).toBe(401);
      expect(errorCodes(result), name).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('graphql-ws: the key in connectionParams["x-api-key"]; a key that is not a string closes with 4401', async () => {
    const key = (await keys(['create', '--name', 'Sockets', '--scopes', 'public'], env)).stdout;
    const toy = replicas[0]!;
    const good = subscribeWs(toy.gatewayUrl, { query: 'subscription { reviewAdded(productId: "2") { stars } }', connectionParams: { 'x-api-key': key } });
    await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');
    good.dispose();
    await waitFor(() => toy.upstreamSubscriptions() === 0, 'its end');
    const bad = subscribeWs(toy.gatewayUrl, { query: 'subscription { reviewAdded(productId: "2") { stars } }', connectionParams: { 'x-api-key': 42 } });
    await waitFor(() => bad.closeCode !== undefined, 'the close');
    expect(bad.closeCode).toBe(4401);
    bad.dispose();
  });
});

describe('File store (no Redis)', () => {
  let toy: ToyFederation;
  let env: Record<string, string>;
  let path: string;
  beforeAll(async () => {
    path = join(mkdtempSync(join(tmpdir(), 'passerelle-keys-')), 'api-keys.json');
    env = { API_KEYS_PATH: path };
    toy = await startToyFederation(env);
  });
  afterAll(() => toy?.stop());

  it('the CLI and the gateway share the file: create, use, revoke', async () => {
    const key = (await keys(['create', '--name', 'Local', '--scopes', 'public'], env)).stdout;
    expect(key).toMatch(KEY_FORMAT);
    expect(readFileSync(path, 'utf8')).not.toContain(key);
    expect(readFileSync(path, 'utf8')).toContain(createHash('sha256').update(key).digest('hex'));
    expect((await call(toy, key)).status).toBe(200);
    expect((await keys(['revoke', idOf(key)], env)).code).toBe(0);
    expect((await call(toy, key)).status).toBe(401);
  });

  it("the principal carries the key's limits and trusted operations (a manifest)", async () => {
    const manifest = join(path, '..', 'ops.json');
    writeFileSync(manifest, JSON.stringify({ operations: [{ body: QUERY }] }));
    const key = (await keys(['create', '--name', 'Trusted', '--scopes', 'public', '--rate', '5', '--quota', '50', '--manifest', manifest], env)).stdout;
    const authenticate = createAuthenticator({ authSecret: 'x'.repeat(32), production: true, clockSkewS: 30, apiKeys: fileApiKeyStore(path) });
    const principal = await authenticate({ method: 'POST', path: '/graphql', headers: { 'x-api-key': key }, remoteAddress: '10.1.1.1' });
    expect(principal).toMatchObject({ id: `key:${idOf(key)}`, kind: 'partner', scopes: ['public'], limits: { rate: 5, dailyQuota: 50 }, remoteAddress: '10.1.1.1' });
    expect([...(principal.trustedOperations ?? [])]).toEqual([createHash('sha256').update(QUERY).digest('hex')]);
  });

  it('the CLI refuses bad arguments with a usage message', async () => {
    for (const args of [['create', '--scopes', 'a'], ['create', '--name', 'x', '--scopes', 'a', '--rate', '0'], ['revoke'], ['frobnicate']]) {
      const result = await keys(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('usage:');
    }
    expect((await keys(['revoke', 'ffffffffffff'], env)).code).toBe(1);
  });
});
