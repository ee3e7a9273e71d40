/**
 * Starts one Passerelle process (stand-in, subgraph or gateway) as a child with an IPC channel and
 * waits for its `ready` message, which carries the URLs it actually listens on (ports may be 0).
 * Used by `npm start` and by the end-to-end tests, so both start the system the same way.
 *
 * No child outlives the launcher: each is started through util-linux `setpriv --pdeathsig SIGKILL`,
 * so the kernel kills it when the launcher dies, even by SIGKILL and even if the child's event loop
 * is blocked (it could not notice its IPC channel closing). Without setpriv, the children fall back
 * to that IPC-close watch (common/lifecycle.ts), with a warning.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { ReadyMessage } from '../common/lifecycle.ts';

export const ROOT = resolve(import.meta.dirname, '..');

/** The gateway's V8 options (see NODE_FLAGS below); tests/deploy checks that every command line that starts the gateway carries them. */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=48', '--heap-growing-percent=50'];

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

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchedProcess {
  name: string;
  urls: Record<string, string>;
  child: ChildProcess;
  /** Resolves when the process has exited, however it did. */
  exited: Promise<ProcessExit>;
  /** The last lines the process printed (for diagnosing a failing test). */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** A launch that failed because the process exited before it was ready; `exit` says how. */
export class ExitedBeforeReady extends Error {
  readonly exit: ProcessExit;
  constructor(message: string, exit: ProcessExit) {
    super(message);
    this.exit = exit;
  }
}

let pdeathsig: boolean | undefined;
/**
 * Whether `setpriv --pdeathsig` works here (Linux with util-linux ≥ 2.33), probed once. setpriv
 * sets the signal then execs node, so the child's pid is node's and its IPC channel is kept.
 */
export function parentDeathSignalAvailable(): boolean {
  if (pdeathsig === undefined) {
    pdeathsig = process.platform === 'linux' && spawnSync('setpriv', ['--pdeathsig', 'SIGKILL', '--', 'true'], { stdio: 'ignore' }).status === 0;
    if (!pdeathsig) {
      console.warn('passerelle: `setpriv --pdeathsig` is not available (util-linux); a child whose event loop is blocked may outlive a launcher killed by SIGKILL');
    }
  }
  return pdeathsig;
}

/**
 * Node options of some entries, on their command line (as Dockerfile, docker-compose.yml and
 * deploy/k8s give them). The gateway's V8 heap is tuned for many short requests that each allocate
 * a lot: a young generation three times the default (semi-spaces of 48 MB instead of 16), because
 * what a request allocates early — subgraph answers, the merged tree — lives while the request is
 * in flight, which under load spans several scavenges, so with the default most of it is promoted;
 * and an old generation allowed to grow by half its live size between full collections instead of
 * up to four times, so what is promoted anyway does not pile up. Heavy answers under 50
 * connections cost about a quarter less CPU and use less memory than with V8's defaults
 * (bench/RESULTS.md). A semi-space size in NODE_OPTIONS (`--max-semi-space-size=<MB>`) replaces
 * this one.
 */
const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'gateway/main.ts': GATEWAY_NODE_FLAGS,
};

/** The entry's node options, less those NODE_OPTIONS already sets. */
export function nodeFlagsOf(entry: string, nodeOptions: string | undefined): string[] {
  return (NODE_FLAGS[entry] ?? []).filter((flag) => !(nodeOptions ?? '').includes(flag.split('=')[0]!));
}

export function launch(options: LaunchOptions): Promise<LaunchedProcess> {
  const env = { ...process.env, ...options.env };
  const node = [process.execPath, ...nodeFlagsOf(options.entry, env.NODE_OPTIONS), '--import', 'tsx', resolve(ROOT, options.entry)];
  const [command, ...args] = parentDeathSignalAvailable() ? ['setpriv', '--pdeathsig', 'SIGKILL', '--', ...node] : node;
  const child = spawn(command!, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Own process group: Ctrl-C reaches only the launcher, which stops children in order (gateway
    // first). A launcher that dies anyway takes its children with it (setpriv, above).
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
  const exited = new Promise<ProcessExit>((done) => child.once('exit', (code, signal) => done({ code, signal })));

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
      reject(new ExitedBeforeReady(`${options.name} exited (${signal ?? code}) before it was ready:\n${recent.join('\n')}`, { code, signal }));
    });
    child.on('message', (message: ReadyMessage) => {
      if (message?.type !== 'ready') return;
      clearTimeout(timeout);
      resolvePromise({ name: options.name, urls: message.urls, child, exited, recentOutput: () => recent.join('\n'), stop });
    });
  });
}
