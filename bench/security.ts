/**
 * `npm run bench:security [-- --duration 10 --connections 10 --warmup 3 --rounds 2 --record]`: what
 * the checks of issue 7 (authorisation, demand control, rate limits, CSRF/CORS, trusted documents)
 * cost per request. Two Passerelle gateways run side by side on the same subgraphs and stand-ins:
 * `gateway/main.ts` as `npm start` runs it ("checks on"), and `bench/unchecked-gateway.ts`, the same
 * gateway with only the plugins it had before ("checks off"). Both sign the identity they forward
 * to the subgraphs (the subgraphs refuse unsigned calls), so that cost is in both columns. Rounds
 * alternate the order; the ratio of gateway CPU per request is the figure that carries over.
 * `--record` replaces the "Security checks" section of bench/RESULTS.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launch, ROOT } from '../scripts/launcher.ts';
import { startSystem } from '../scripts/system.ts';
import { agentClaims, signToken, tokenKey } from '../subgraphs/kit/index.ts';
import { cpuSeconds } from './cpu.ts';
import { benchLifecycle } from './lifecycle.ts';
import { emptyTally, runLoad, summarize, type Summary, type Tally } from './load.ts';
import { firstDifference, firstUai, impactQuery, lyceeQuery, type BenchQuery } from './queries.ts';

export const SECURITY_SECTION = '## Security checks: cost per request (`npm run bench:security`)';
const RESULTS = resolve(ROOT, 'bench/RESULTS.md');
/** Limits high enough that the load itself is never refused: the run measures the checks, not refusals. */
const LOAD_ENV = {
  LYCEES_API_LATENCY_MS: '0',
  LOG_LEVEL: 'warn',
  RATE_LIMIT_ANONYMOUS: '100000000',
  RATE_LIMIT_CITIZEN: '100000000',
  RATE_LIMIT_AGENT: '100000000',
  RATE_LIMIT_PARTNER: '100000000',
  COST_BUDGET_ANONYMOUS: '0',
  COST_BUDGET_AGENT: '0',
};

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    record: { type: 'boolean', default: false },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);
for (const [name, value] of Object.entries({ duration, connections, rounds })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
}

const log = (line: string) => console.error(`[bench:security] ${line}`);
const { onStop, interrupted, run } = benchLifecycle(log);

interface Gateway {
  name: string;
  url: string;
  pid: number | undefined;
}
interface Scenario {
  query: BenchQuery;
  caller: string;
  headers: Record<string, string>;
}
type Row = Summary & { gateway: string; scenario: string };

async function main(): Promise<number> {
  const loadBefore = loadavg()[0]!;
  log('starting the stand-ins, the subgraphs and Passerelle (checks on)…');
  const system = await startSystem({ freePorts: true, env: LOAD_ENV });
  onStop(() => system.stop());
  const checked = system.processes.find((launched) => launched.name === 'gateway');
  log('starting Passerelle with the checks off…');
  const unchecked = await launch({
    name: 'unchecked-gateway',
    entry: 'bench/unchecked-gateway.ts',
    env: { ...LOAD_ENV, PORT: '0', SUBGRAPH_URLS: Object.entries(system.subgraphs).map(([name, url]) => `${name}=${url}`).join(',') },
  });
  onStop(() => unchecked.stop());
  const gateways: Gateway[] = [
    { name: 'checks on', url: system.gateway, pid: checked?.child.pid },
    { name: 'checks off', url: unchecked.urls.graphql!, pid: unchecked.child.pid },
  ];

  const uai = await firstUai(system.gateway);
  // A development agent token (HS256, AUTH_SECRET's development default), as `npm run token` makes.
  const agent = (await signToken(tokenKey(process.env.AUTH_SECRET ?? 'passerelle-dev-secret-change-me-0123456789'), agentClaims('AG0001'), new Date(), 3600)).token;
  const scenarios: Scenario[] = [
    { query: lyceeQuery(uai), caller: 'anonymous', headers: {} },
    { query: lyceeQuery(uai), caller: 'agent', headers: { authorization: `Bearer ${agent}` } },
    { query: impactQuery('93', 2025), caller: 'anonymous', headers: {} },
  ];
  for (const scenario of scenarios) {
    const answers = await Promise.all(gateways.map((gateway) => postWith(gateway.url, scenario)));
    const difference = firstDifference(answers[0]!.data, answers[1]!.data);
    const broken = answers.find((answer) => answer.status !== 200 || answer.errors.length > 0);
    if (difference || broken) {
      console.error(`${scenario.query.name} as ${scenario.caller}: the two gateways do not give the same clean answer (${difference ?? JSON.stringify(broken).slice(0, 400)}); nothing measured.`);
      return 1;
    }
  }

  const rows: Row[] = [];
  for (const scenario of scenarios) {
    const name = `${scenario.query.name} (${scenario.caller})`;
    const tallies = new Map<string, Tally>(gateways.map((gateway) => [gateway.name, emptyTally()]));
    for (const gateway of gateways) {
      if (warmup > 0) await runLoad(gateway.url, scenario.query.body, { duration: warmup, connections, signal: interrupted, headers: scenario.headers });
    }
    for (let round = 0; round < rounds; round++) {
      for (const gateway of round % 2 === 0 ? gateways : [...gateways].reverse()) {
        if (interrupted.aborted) return 130;
        log(`${name}: round ${round + 1}/${rounds}, ${gateway.name}`);
        const tally = tallies.get(gateway.name)!;
        const before = cpuSeconds(gateway.pid);
        await runLoad(gateway.url, scenario.query.body, { duration: duration / rounds, connections, signal: interrupted, headers: scenario.headers }, tally);
        const after = cpuSeconds(gateway.pid);
        tally.gatewayCpuSeconds = before === undefined || after === undefined ? undefined : tally.gatewayCpuSeconds! + (after - before);
      }
    }
    for (const gateway of gateways) rows.push({ gateway: gateway.name, scenario: name, ...summarize(tallies.get(gateway.name)!) });
  }

  const table = markdownTable(rows);
  console.log(`\n${table}\n`);
  if (args.record) {
    const command = ['npm run bench:security', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
    const section = [
      SECURITY_SECTION,
      '',
      `Command: \`${command}\`, ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}; ${connections} connections, ${warmup} s warm-up, ${duration} s measured in ${rounds} alternating rounds; 1-minute load ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after.`,
      '"checks on" is `gateway/main.ts`; "checks off" is `bench/unchecked-gateway.ts`, the same gateway with only the plugins it had before issue 7. Both answered every scenario identically before the load.',
      '',
      table,
      '',
    ].join('\n');
    const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
    const start = previous.indexOf(SECURITY_SECTION);
    const end = start < 0 ? -1 : previous.indexOf('\n## ', start + SECURITY_SECTION.length);
    const next = start < 0 ? `${previous.trimEnd()}\n\n${section}` : `${previous.slice(0, start)}${section}${end < 0 ? '' : previous.slice(end + 1)}`;
    writeFileSync(RESULTS, next);
    log(`wrote ${RESULTS}`);
  }
  return 0;
}

async function postWith(url: string, scenario: Scenario) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...scenario.headers },
    body: scenario.query.body,
    signal: AbortSignal.timeout(30_000),
  });
  const parsed = (await response.json()) as { data?: unknown; errors?: unknown[] };
  return { status: response.status, data: parsed.data ?? null, errors: parsed.errors ?? [] };
}

function markdownTable(rows: Row[]): string {
  const lines = ['| scenario | gateway | responses | req/s | p50 ms | p99 ms | errors + non-2xx | gateway CPU ms/req | CPU/req vs checks off |', '|---|---|---|---|---|---|---|---|---|'];
  for (const row of rows) {
    const off = rows.find((other) => other.scenario === row.scenario && other.gateway === 'checks off');
    const ratio = off && Number.isFinite(row.gatewayCpuMsPerRequest / off.gatewayCpuMsPerRequest) ? `${(row.gatewayCpuMsPerRequest / off.gatewayCpuMsPerRequest).toFixed(2)}×` : '–';
    lines.push(
      `| ${row.scenario} | ${row.gateway} | ${row.responses} | ${row.requestsPerSecond.toFixed(0)} | ${row.p50Ms.toFixed(1)} | ${row.p99Ms.toFixed(1)} | ${row.errors + row.non2xx + row.graphqlErrors} | ${row.gatewayCpuMsPerRequest.toFixed(3)} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}

run(main);
