/**
 * Starts Hive Gateway (`@graphql-hive/gateway`, its CLI with default options) on a supergraph file.
 * It does not speak our launcher's IPC, so the port is picked here and readiness is polled: the
 * gateway is ready when `{ __typename }` answers on /graphql.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { ROOT } from '../scripts/launcher.ts';

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

/**
 * Rejects with the process's last output when it exits early or is not ready after
 * `readyTimeoutMs` (default 60 s).
 */
export async function startHiveGateway(supergraphPath: string, readyTimeoutMs = 60_000): Promise<HiveGateway> {
  const port = await freePort();
  const child = spawn(process.execPath, [HIVE_BIN, 'supergraph', supergraphPath, '--port', String(port), '--host', HOST], {
    // Hive Gateway loads gateway.ts/gateway.js from its working directory when there is one; the
    // supergraph's temporary folder has none, so it runs with its defaults only.
    cwd: dirname(supergraphPath),
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
