/**
 * `npx tsx bench/http-path.ts [--duration 10 --connections 10 --warmup 3 --query '{ __typename }' --profile <dir>]`:
 * the gateway's own CPU per request on its HTTP path, nothing else. One gateway process
 * (`gateway/main.ts`, as `npm start` runs it, every check on) serves the committed supergraph; the
 * default query, `{ __typename }`, is planned to no subgraph fetch, so what is measured is the
 * receive → authenticate → admit → parse/validate → hooks → plan → respond path alone: no subgraph,
 * no stand-in runs. The figure is the gateway process's CPU time (/proc) divided by the answers.
 * `--profile <dir>` also writes a V8 CPU profile of the measured seconds there (bench/cpu-profile.ts).
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { launch, ROOT } from '../scripts/launcher.ts';
import { cpuSeconds } from './cpu.ts';
import { benchLifecycle } from './lifecycle.ts';
import { emptyTally, runLoad, summarize } from './load.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    query: { type: 'string', default: '{ __typename }' },
    profile: { type: 'string' },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const warmup = Number(args.warmup);
for (const [name, value] of Object.entries({ duration, connections })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
}
if (!Number.isInteger(warmup) || warmup < 0) throw new Error('--warmup must be a non-negative integer');

const log = (line: string) => console.error(`[bench:http-path] ${line}`);
const { onStop, interrupted, run } = benchLifecycle(log);

async function main(): Promise<number> {
  const gateway = await launch({
    name: 'gateway',
    entry: 'gateway/main.ts',
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SUPERGRAPH_PATH: resolve(ROOT, 'schema/supergraph.graphql'),
      // The load comes from one address: a rate limit would measure refusals, not the path.
      RATE_LIMIT_ANONYMOUS: '0',
      COST_BUDGET_ANONYMOUS: '0',
      ...(args.profile ? { NODE_OPTIONS: `--import tsx --import ${resolve(ROOT, 'bench/cpu-profile.ts')}`, CPU_PROFILE_DIR: resolve(args.profile) } : {}),
    },
  });
  onStop(() => gateway.stop());
  const url = gateway.urls.graphql!;
  const body = JSON.stringify({ query: args.query });

  const probe = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = await probe.text();
  if (probe.status !== 200 || answer.includes('"errors"')) {
    console.error(`The gateway does not answer ${args.query} cleanly (HTTP ${probe.status}): ${answer.slice(0, 400)}`);
    return 1;
  }
  log(`${url} answers ${answer.trim()}`);

  if (warmup > 0) {
    log(`warming up (${warmup} s)`);
    await runLoad(url, body, { duration: warmup, connections, signal: interrupted });
  }
  log(`measuring (${duration} s, ${connections} connections)`);
  const tally = emptyTally();
  // A profile written now holds start-up and warm-up; the one written after the run holds the measured seconds.
  if (args.profile) await writeProfile(gateway.child.pid);
  const before = cpuSeconds(gateway.child.pid);
  await runLoad(url, body, { duration, connections, signal: interrupted }, tally);
  const after = cpuSeconds(gateway.child.pid);
  tally.gatewayCpuSeconds = before === undefined || after === undefined ? undefined : after - before;
  if (interrupted.aborted) return 130;
  if (args.profile) log(`profile of the measured seconds: ${await writeProfile(gateway.child.pid)}`);

  const summary = summarize(tally);
  console.log(
    [
      `query: ${args.query}`,
      `answers: ${summary.responses} (${summary.requestsPerSecond.toFixed(0)}/s), non-2xx ${summary.non2xx}, with errors ${summary.graphqlErrors}, failed ${summary.errors}`,
      `latency: p50 ${summary.p50Ms.toFixed(2)} ms, p99 ${summary.p99Ms.toFixed(2)} ms`,
      `gateway CPU per answer: ${summary.gatewayCpuMsPerRequest.toFixed(3)} ms`,
    ].join('\n'),
  );
  return summary.non2xx > 0 || summary.graphqlErrors > 0 ? 1 : 0;
}

/** Asks the gateway for a profile (SIGUSR2) and waits until the file is there; returns its name. */
async function writeProfile(pid: number | undefined): Promise<string | undefined> {
  if (!pid || !args.profile) return undefined;
  const directory = resolve(args.profile);
  const known = new Set(readdirSync(directory));
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 10_000; waited += 100) {
    await sleep(100);
    const written = readdirSync(directory).find((name) => !known.has(name) && name.endsWith('.cpuprofile'));
    if (written) return resolve(directory, written);
  }
  return undefined;
}

run(main);
