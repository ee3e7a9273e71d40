/**
 * Starts Hive Gateway (`@graphql-hive/gateway`, its CLI with default options) on a supergraph file.
 * It does not speak our launcher's IPC, so the port is picked here and readiness is polled: the
 * gateway is ready when `{ __typename }` answers on /graphql. Options (the heavy scenario) change
 * only what they name, through a `gateway.config.mjs` in a folder of the gateway's own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ROOT } from '../scripts/launcher.ts';
import { IDENTITY_AUDIENCE, IDENTITY_HEADER, IDENTITY_ISSUER, IDENTITY_TTL_S } from '../common/identity.ts';

const HIVE_BIN = resolve(ROOT, 'node_modules/.bin/hive-gateway');
const HOST = '127.0.0.1';

export interface HiveGateway {
  url: string;
  pid: number | undefined;
  /** SIGTERM, then SIGKILL after 5 s. Resolves when the process has exited. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it; the short race with others is accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

export interface HiveGatewayOptions {
  /**
   * In-flight de-duplication of identical subgraph queries (`deduplicateInflightRequests` of its
   * HTTP transport). Default: Hive Gateway's own default, on.
   */
  dedup?: boolean;
  /**
   * Plan and execute with `@graphql-hive/router-runtime` (Hive Router's Rust query planner, a
   * native addon) instead of the default JavaScript runtime. Imported by the config file itself, so
   * a package that cannot load fails the start instead of silently falling back. Default false.
   */
  routerRuntime?: boolean;
  /**
   * Sign every subgraph fetch as an anonymous caller with this GATEWAY_SECRET (header
   * x-passerelle-identity, common/identity.ts), as the region's subgraphs require. Default: unsigned.
   */
  identitySecret?: string;
  /** Default 60 s. */
  readyTimeoutMs?: number;
}

/**
 * Rejects with the process's last output when it exits early or is not ready after
 * `readyTimeoutMs`.
 */
export async function startHiveGateway(supergraphPath: string, options: HiveGatewayOptions = {}): Promise<HiveGateway> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const port = await freePort();
  const configured = options.dedup !== undefined || options.routerRuntime || options.identitySecret !== undefined;
  const folder = configured ? writeConfig(options) : undefined;
  const child = spawn(process.execPath, [HIVE_BIN, 'supergraph', resolve(supergraphPath), '--port', String(port), '--host', HOST], {
    // Hive Gateway loads gateway.config.* from its working directory when there is one: the
    // options' folder, or else the supergraph's temporary folder, which has none (defaults only).
    cwd: folder ?? dirname(supergraphPath),
    // The secret goes by the environment, never into the config file.
    env: options.identitySecret === undefined ? process.env : { ...process.env, GATEWAY_SECRET: options.identitySecret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (folder) child.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  const recent: string[] = [];
  const keep = (data: Buffer) => {
    recent.push(...data.toString('utf8').split('\n').filter(Boolean));
    recent.splice(0, Math.max(0, recent.length - 40));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const url = `http://${HOST}:${port}/graphql`;
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await answers(url))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Hive Gateway exited (${child.signalCode ?? child.exitCode}) before it was ready:\n${recent.join('\n')}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Hive Gateway was not ready after ${readyTimeoutMs} ms:\n${recent.join('\n')}`);
    }
    await new Promise((wait) => setTimeout(wait, 250));
  }
  return { url, pid: child.pid, stop };
}

/**
 * A Hive Gateway plugin adding the anonymous caller's signed identity to every subgraph fetch: the
 * token common/identity.ts `signIdentity` makes (HS256, 60 s), renewed at half its life. Plain
 * JavaScript, since Hive Gateway loads its config file without our TypeScript loader.
 */
const ANONYMOUS_IDENTITY_PLUGIN = `import { createHmac } from 'node:crypto';
const encode = (value) => Buffer.from(value).toString('base64url');
let identity = { token: '', renewAt: 0 };
function anonymousIdentity() {
  const now = Date.now();
  if (identity.renewAt > now) return identity.token;
  const iat = Math.floor(now / 1000);
  const claims = { iss: ${JSON.stringify(IDENTITY_ISSUER)}, aud: ${JSON.stringify(IDENTITY_AUDIENCE)}, sub: 'anonymous', kind: 'anonymous', scope: '', iat, exp: iat + ${IDENTITY_TTL_S} };
  const input = encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) + '.' + encode(JSON.stringify(claims));
  const signature = createHmac('sha256', process.env.GATEWAY_SECRET).update(input).digest('base64url');
  identity = { token: input + '.' + signature, renewAt: now + ${(IDENTITY_TTL_S * 1000) / 2} };
  return identity.token;
}
const signAnonymousIdentity = {
  onFetch({ options, setOptions }) {
    setOptions({ ...options, headers: { ...options.headers, ${JSON.stringify(IDENTITY_HEADER)}: anonymousIdentity() } });
  },
};`;

/** A folder holding only the gateway.config.mjs that sets `options`. */
function writeConfig(options: HiveGatewayOptions): string {
  const folder = mkdtempSync(join(tmpdir(), 'passerelle-hive-'));
  const lines: string[] = [];
  const config: string[] = [];
  if (options.routerRuntime) {
    // From a temporary folder, a bare specifier would not find the project's node_modules.
    const runtime = import.meta.resolve('@graphql-hive/router-runtime');
    lines.push(`import { unifiedGraphHandler } from ${JSON.stringify(runtime)};`);
    config.push('unifiedGraphHandler');
  }
  if (options.dedup !== undefined) {
    config.push(`transportEntries: { '*.http': { options: { deduplicateInflightRequests: ${options.dedup} } } }`);
  }
  if (options.identitySecret !== undefined) {
    lines.push(ANONYMOUS_IDENTITY_PLUGIN);
    config.push('plugins: () => [signAnonymousIdentity]');
  }
  lines.push(`export const gatewayConfig = { ${config.join(', ')} };`);
  writeFileSync(join(folder, 'gateway.config.mjs'), `${lines.join('\n')}\n`);
  return folder;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await response.json()) as { data?: { __typename?: string } };
    return response.ok && body.data?.__typename === 'Query';
  } catch {
    return false;
  }
}
