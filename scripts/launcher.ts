/**
 * Starts one Passerelle process (stand-in, subgraph or gateway) as a child with an IPC channel and
 * waits for its `ready` message, which carries the URLs it actually listens on (ports may be 0).
 * Used by `npm start` and by the end-to-end tests, so both start the system the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { ReadyMessage } from '../common/lifecycle.ts';

export const ROOT = resolve(import.meta.dirname, '..');

export interface LaunchOptions {
  /** Display name, used in logs and errors. */
  name: string;
  /** Entry file, relative to the repository root (e.g. `legacy/geo/main.ts`). */
  entry: string;
  env: Record<string, string | undefined>;
  /** Receives each line the process prints. Default: kept only for error reports. */
  onLine?: (line: string) => void;
  /** How long to wait for `ready`. */
  readyTimeoutMs?: number;
}

export interface LaunchedProcess {
  name: string;
  urls: Record<string, string>;
  child: ChildProcess;
  /** The last lines the process printed (for diagnosing a failing test). */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function launch(options: LaunchOptions): Promise<LaunchedProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, options.entry)], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Own process group: Ctrl-C reaches only the launcher, which stops children in order. A child
    // whose launcher dies anyway sees its IPC channel close and stops itself (common/lifecycle.ts).
    detached: true,
  });
  const recent: string[] = [];
  const onData = (data: Buffer) => {
    for (const line of data.toString('utf8').split('\n')) {
      if (!line) continue;
      recent.push(line);
      if (recent.length > 200) recent.shift();
      options.onLine?.(line);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const stop = async (graceMs = 5_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolvePromise, reject) => {
    const timeout = setTimeout(() => {
      void stop(1_000);
      reject(new Error(`${options.name} was not ready after ${options.readyTimeoutMs ?? 60_000} ms:\n${recent.join('\n')}`));
    }, options.readyTimeoutMs ?? 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timeout);
      reject(new Error(`${options.name} exited (${signal ?? code}) before it was ready:\n${recent.join('\n')}`));
    });
    child.on('message', (message: ReadyMessage) => {
      if (message?.type !== 'ready') return;
      clearTimeout(timeout);
      resolvePromise({ name: options.name, urls: message.urls, child, recentOutput: () => recent.join('\n'), stop });
    });
  });
}
