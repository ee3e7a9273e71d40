/**
 * Supervision (scripts/supervisor.ts, `npm start`): a process that dies is restarted on its port
 * and its clients recover without being restarted; one that keeps crashing backs off; and no child
 * outlives the launcher, even a launcher killed by SIGKILL and a child whose event loop cannot run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '../../scripts/system.ts';
import { graphql } from '../harness/graphql.ts';

const SOON = { timeout: 30_000, interval: 100 };
const events: { process: string; message: string; at: number }[] = [];
let system: RunningSystem;

const find = (name: string) => system.processes.find((p) => p.name === name)!;
const departement = async (code: string) => (await graphql<{ departement: { name: string } | null }>(system.gateway, `{ departement(code: "${code}") { name } }`)).body;

describe('a supervised system (startSystem({ supervise }))', () => {
  beforeAll(async () => {
    system = await startSystem({
      freePorts: true,
      env: { LOG_LEVEL: 'warn', LYCEES_API_LATENCY_MS: '0', GRC_SEED_REQUESTS: '300' },
      supervise: { initialDelayMs: 200, maxDelayMs: 1_600, stableAfterMs: 120_000 },
      onSupervision: (process, message) => events.push({ process, message, at: performance.now() }),
    });
  });
  afterAll(() => system?.stop());

  it('restarts a subgraph killed by SIGKILL on its port; the gateway’s next query to it succeeds', async () => {
    // A first query, so the gateway holds a kept-alive connection to the subgraph that is about to die.
    expect(await departement('93')).toEqual({ data: { departement: { name: 'Seine-Saint-Denis' } } });
    const geo = find('geo');
    const gatewayPid = find('gateway').child.pid;
    const { pid } = geo.child;
    const url = geo.urls.graphql;
    process.kill(pid!, 'SIGKILL');
    await expect.poll(() => geo.child.pid !== pid && geo.child.exitCode === null && geo.urls.graphql === url, SOON).toBe(true);
    expect(await departement('75')).toEqual({ data: { departement: { name: 'Paris' } } });
    expect(find('gateway').child.pid).toBe(gatewayPid);
    expect(events.map((e) => `${e.process}| ${e.message}`)).toEqual([
      'geo| geo exited (SIGKILL); restarting in 0.2 s (attempt 1)',
      'geo| geo restarted (attempt 1), on the same port',
    ]);
  });

  it('restarts a legacy stand-in; the subgraph’s connections to it recover by themselves', async () => {
    const geoApi = find('geo-api');
    const { pid } = geoApi.child;
    const geoPid = find('geo').child.pid;
    process.kill(pid!, 'SIGKILL');
    await expect.poll(() => geoApi.child.pid !== pid && geoApi.child.exitCode === null, SOON).toBe(true);
    // A département not asked for yet, so it cannot come from a cache.
    await expect.poll(() => departement('92'), SOON).toEqual({ data: { departement: { name: 'Hauts-de-Seine' } } });
    expect(find('geo').child.pid).toBe(geoPid);
  });

  it('backs off a process that keeps crashing right after start, then brings it back', async () => {
    const lycees = find('lycees');
    const port = Number(new URL(lycees.urls.graphql!).port);
    const host = new URL(lycees.urls.graphql!).hostname;
    const since = performance.now();
    process.kill(lycees.child.pid!, 'SIGKILL');
    // Someone else takes its port: every restart fails at once (EADDRINUSE) until it is given back.
    const blocker = await occupy(host, port);
    const exits = () => events.filter((e) => e.process === 'lycees' && e.at >= since && e.message.includes('restarting in'));
    await expect.poll(() => exits().length, { timeout: 90_000, interval: 100 }).toBeGreaterThanOrEqual(5);
    const seen = exits().slice(0, 5);
    const delays = seen.map((e) => Number(/restarting in ([\d.]+) s/.exec(e.message)![1]) * 1000);
    // Each attempt waits twice as long as the one before, up to the cap, and really waits it:
    // not a tight loop.
    expect(delays).toEqual([200, 400, 800, 1_600, 1_600]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.at - seen[i - 1]!.at).toBeGreaterThanOrEqual(delays[i - 1]! - 20);
    expect(seen.map((e) => /\(attempt (\d+)\)/.exec(e.message)![1])).toEqual(['1', '2', '3', '4', '5']);
    expect(seen.slice(1).every((e) => / before it was ready; /.test(e.message))).toBe(true);
    await new Promise<void>((done) => blocker.close(() => done()));
    await expect.poll(() => lycees.child.exitCode === null && events.at(-1)?.message.startsWith('lycees restarted'), SOON).toBe(true);
    const answer = await graphql<{ commune: { lycees: unknown[] } }>(system.gateway, '{ commune(code: "93066") { lycees { uai } } }');
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.commune.lycees.length).toBeGreaterThan(0);
  }, 150_000);

  it('does not restart a process stopped on purpose', async () => {
    const insights = find('insights');
    const before = events.length;
    await insights.stop();
    await new Promise((done) => setTimeout(done, 1_000));
    expect(insights.child.exitCode ?? insights.child.signalCode).not.toBeNull();
    expect(events.slice(before)).toEqual([]);
  });
});

/** Listens on host:port as soon as the killed process has let go of it. */
async function occupy(host: string, port: number): Promise<Server> {
  for (let tries = 0; ; tries++) {
    const server = createServer();
    const error = await new Promise<Error | undefined>((done) => {
      server.once('error', done);
      server.listen(port, host, () => done(undefined));
    });
    if (!error) return server;
    if (tries > 100) throw error;
    await new Promise((done) => setTimeout(done, 10));
  }
}

describe('npm start killed by SIGKILL', () => {
  const ROOT = resolve(import.meta.dirname, '../..');
  const PORTS = ['PORT', 'GEO_SUBGRAPH_PORT', 'LYCEES_SUBGRAPH_PORT', 'REQUESTS_SUBGRAPH_PORT', 'INSIGHTS_SUBGRAPH_PORT', 'GEO_API_PORT', 'LYCEES_API_PORT', 'GRC_PORT', 'GRC_ADMIN_PORT', 'OPENDATA_API_PORT'];
  const cacheDir = mkdtempSync(join(tmpdir(), 'passerelle-supervision-'));
  /** Every process a test here started, killed at the end if a failing test left it behind. */
  const tracked = new Set<number>();

  /** Runs `node <args>` (scripts/start.ts in some form) on free ports until it says it is ready. */
  async function startLauncher(args: string[]): Promise<ChildProcess> {
    const launcher = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        CONSOLE: 'off',
        ...Object.fromEntries(PORTS.map((name) => [name, '0'])),
        GRC_SEED_REQUESTS: '300',
        GRC_SEED_CACHE_DIR: cacheDir,
        LYCEES_API_LATENCY_MS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    tracked.add(launcher.pid!);
    let output = '';
    launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    while (!output.includes('Press Ctrl-C to stop.')) {
      if (launcher.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
      await new Promise((done) => setTimeout(done, 100));
    }
    return launcher;
  }

  /** The nine services under `root` (tsx may add its esbuild helper beside them). */
  function services(root: number): number[] {
    const found = descendantsOf(root).filter((pid) => /\/main\.ts$/.test(commandLine(pid)));
    for (const pid of found) tracked.add(pid);
    return found;
  }

  afterAll(() => {
    for (const pid of tracked) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('leaves no child alive, not even one whose event loop is blocked (SIGSTOP)', async () => {
    const launcher = await startLauncher(['--import', 'tsx', 'scripts/start.ts']);
    const children = services(launcher.pid!);
    expect(children).toHaveLength(9);
    // Stopped processes run no JavaScript: they cannot see their IPC channel close.
    for (const pid of children.slice(0, 3)) process.kill(pid, 'SIGSTOP');
    launcher.kill('SIGKILL');
    await expect.poll(() => children.filter(alive), { timeout: 10_000, interval: 100 }).toEqual([]);
  }, 180_000);

  it('stops everything when the tsx in front of it (`npm start` runs tsx) is killed by SIGKILL', async () => {
    const tsx = await startLauncher([resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/start.ts']);
    const everything = services(tsx.pid!);
    expect(everything).toHaveLength(9);
    const launcher = descendantsOf(tsx.pid!).find((pid) => /scripts\/start\.ts$/.test(commandLine(pid)))!;
    tracked.add(launcher);
    tsx.kill('SIGKILL');
    await expect.poll(() => [launcher, ...everything].filter(alive), { timeout: 30_000, interval: 100 }).toEqual([]);
  }, 180_000);
});

/** Every process below `root`, from /proc (Linux, as the parent-death signal is). */
function descendantsOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = stat(Number(entry))?.ppid;
    if (ppid !== undefined) parents.set(Number(entry), ppid);
  }
  const below = (pid: number): number[] => [...parents].filter(([, ppid]) => ppid === pid).flatMap(([child]) => [child, ...below(child)]);
  return below(root);
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Alive and not a zombie (this container's init may not reap orphans at once). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const state = stat(pid)?.state;
  return state !== undefined && state !== 'Z' && state !== 'X';
}

function stat(pid: number): { state: string; ppid: number } | undefined {
  try {
    // "pid (comm) state ppid …"; comm may hold spaces or parentheses, so read from the last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}
