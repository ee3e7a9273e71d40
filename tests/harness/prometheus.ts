/**
 * A real Prometheus server (Debian's `prometheus` package, /usr/bin/prometheus) for the telemetry
 * tests: a generated configuration scraping the given targets every second, on a free loopback port
 * and a temporary storage folder, queried through its HTTP API, removed on `stop`. CI installs the
 * package (.ci/run); a missing binary fails the test that needs it, saying how to install it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentDeathSignalAvailable } from '../../scripts/launcher.ts';

export interface ScrapeTarget {
  /** The job label Prometheus gives the target's series. */
  job: string;
  /** host:port of the process's HTTP server (/metrics is scraped). */
  address: string;
  /** Sent as `Authorization: Bearer …` (METRICS_TOKEN). */
  bearerToken?: string;
}

export interface RunningPrometheus {
  url: string;
  /** An instant query's result (`/api/v1/query`): one sample per series. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

export function prometheusBinary(): string {
  if (existsSync('/usr/bin/prometheus')) return '/usr/bin/prometheus';
  const found = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  throw new Error('The prometheus binary is missing: this test scrapes with a real Prometheus server. Install it with `apt-get install -y prometheus` (.ci/run does).');
}

export async function startPrometheus(targets: readonly ScrapeTarget[]): Promise<RunningPrometheus> {
  const binary = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  // JSON is YAML: no YAML writer needed.
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      scrape_configs: targets.map((target) => ({
        job_name: target.job,
        metrics_path: '/metrics',
        static_configs: [{ targets: [target.address] }],
        ...(target.bearerToken ? { authorization: { type: 'Bearer', credentials: target.bearerToken } } : {}),
      })),
    }),
  );
  const port = await freePort();
  const args = [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'];
  // As the launcher does for Passerelle's processes: the server dies with the test runner.
  const [command, ...rest] = parentDeathSignalAvailable() ? ['setpriv', '--pdeathsig', 'SIGKILL', '--', binary, ...args] : [binary, ...args];
  const child = spawn(command!, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
  const output: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    await terminate(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(async () => (await fetch(`${url}/-/ready`)).ok, 30_000, () => `Prometheus did not get ready:\n${output.join('')}`, child);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error}`);
      return body.data!.result.map((sample) => ({ metric: sample.metric, value: Number(sample.value[1]) }));
    },
    stop,
  };
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` (errors count as "not yet") until it holds or `timeoutMs` passes. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, describe: () => string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`exited (${child.exitCode}): ${describe()}`);
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
