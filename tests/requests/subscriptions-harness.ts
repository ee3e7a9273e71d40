/**
 * Helpers of the real-time tracking suites: graphql-ws subscriptions that record what they receive,
 * tokens, a private redis-server (never the machine's own Redis) that a test may kill and restart
 * on the same port, and `waitFor` — the suites wait on conditions, never on the clock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { FormattedExecutionResult } from 'graphql';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { requestsSubgraphEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { agentClaims, signToken, tokenKey, trackingClaims } from '../../subgraphs/kit/index.ts';
import { identityOfToken } from './identity.ts';

/** Generous: delivery takes milliseconds to a poll interval, but the machine is shared. */
export const DELIVERY_TIMEOUT_MS = 10_000;

export async function waitFor(condition: () => boolean | Promise<boolean>, message: string, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const key = tokenKey(readEnv(requestsSubgraphEnv, {}).authSecret);

export async function agentToken(matricule = 'AG0001'): Promise<string> {
  return `Bearer ${(await signToken(key, agentClaims(matricule), new Date(), 3600)).token}`;
}

/** An active agent of the service `code` (agents see and work only their own service's requests). */
export async function agentOf(db: { query: (text: string, values: unknown[]) => Promise<{ rows: { matricule: string }[] }> }, code: string): Promise<string> {
  const { rows } = await db.query(
    'SELECT a.matricule FROM t_agent a JOIN t_service s ON s.id_service = a.id_service WHERE s.code_service = $1 AND a.actif ORDER BY a.id_agent LIMIT 1',
    [code],
  );
  if (!rows[0]) throw new Error(`no active agent in service ${code}`);
  return rows[0].matricule;
}

/** A development operator's token (sees every request). */
export async function operatorToken(): Promise<string> {
  return `Bearer ${(await signToken(key, { sub: 'operator:OP0001', scope: 'operator', kind: 'operator' }, new Date(), 3600)).token}`;
}

export async function trackingToken(reference: string): Promise<string> {
  return `Bearer ${(await signToken(key, trackingClaims(reference), new Date(), 3600)).token}`;
}

export type Result = FormattedExecutionResult<Record<string, unknown>, Record<string, unknown>>;

/** What one subscription received, and how to end it. */
export interface Recording {
  results: Result[];
  /** The requests received (the subscription field's value of each result). */
  requests(): Record<string, unknown>[];
  /** Error codes of every error received (in results or as a graphql-ws error). */
  codes(): unknown[];
  completed: boolean;
  /** Ends the subscription and closes the socket, as a client that goes away. */
  dispose(): Promise<void>;
}

/**
 * A subscription through the gateway (`authorization` as the client sends it), or, with
 * `connectionParams`, straight to a subgraph (see `subgraphSubscribe`).
 */
export function subscribe(httpUrl: string, query: string, variables: Record<string, unknown>, authorization?: string, connectionParams?: () => Promise<Record<string, unknown>>): Recording {
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazyCloseTimeout: 0,
    connectionParams: connectionParams ?? (authorization ? { authorization } : {}),
  });
  const errors: unknown[] = [];
  const recording: Recording = {
    results: [],
    requests: () => recording.results.map((r) => Object.values(r.data ?? {})[0]).filter((v): v is Record<string, unknown> => !!v),
    codes: () => [...recording.results.flatMap((r) => r.errors ?? []), ...errors].map((e) => (e as { extensions?: { code?: unknown } }).extensions?.code),
    completed: false,
    dispose: async () => {
      stop();
      await client.dispose();
    },
  };
  const stop = client.subscribe<Record<string, unknown>, Record<string, unknown>>(
    { query, variables },
    {
      next: (result) => void recording.results.push(result),
      error: (error) => void errors.push(...(Array.isArray(error) ? error : [error])),
      complete: () => void (recording.completed = true),
    },
  );
  return recording;
}

/** A port nobody listens on right now (redis-server cannot be asked for port 0 and told it back). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A redis-server of our own, on a free port, without persistence: a restart loses everything. */
export interface PrivateRedis {
  url: string;
  /** Kills it (SIGKILL, like a crash) and waits for the process to be gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      proc.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.slice(-500)}`)));
    });
  };
  const kill = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, kill, start, stop: kill };
}

/** `requestUpdated` with the fields the suites compare. */
export const REQUEST_UPDATED = `subscription Track($reference: String!, $after: String) {
  requestUpdated(reference: $reference, after: $after) { reference status updatedAt cursor service { code } timeline { status } }
}`;

export const SERVICE_QUEUE = `subscription Queue($service: String!, $after: String) {
  serviceQueue(service: $service, after: $after) { reference status cursor service { code } }
}`;

/** A subscription straight to the requests subgraph: the token becomes a gateway-signed identity, as the gateway does. */
export function subgraphSubscribe(httpUrl: string, query: string, variables: Record<string, unknown>, authorization?: string): Recording {
  return subscribe(httpUrl, query, variables, undefined, async () => ({ identity: await identityOfToken(authorization) }));
}
