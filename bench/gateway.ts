/**
 * `npm run bench [-- --scenarios region,heavy,trivial --gateways passerelle,stock,hive,hive-router
 * --dedup on,off --duration 10 --connections 10 --warmup 3 --rounds 2 --supergraph <file> --record]`:
 * Passerelle's gateway against stock Apollo Server + @apollo/gateway and Hive Gateway, on the same
 * supergraph, subgraphs and queries, in one run: the region's queries on the region's system, then
 * (bench/heavy/) The Guild's heavy nested query and a trivial one on four small subgraphs of their
 * own, also with Hive Gateway + @graphql-hive/router-runtime and de-duplication on and off.
 * Prints tables; `--record` also writes bench/RESULTS.md. `--help` lists the options.
 * What is measured and why is explained at the top of that file (see report.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { launch, ROOT } from '../scripts/launcher.ts';
import { startSystem } from '../scripts/system.ts';
import { gatewayEnv } from '../common/config.ts';
import { readEnv } from '../common/env.ts';
import { startHiveGateway } from './hive-gateway.ts';
import { firstDifference, firstUai, impactQuery, lyceeQuery, postGraphql, type BenchQuery } from './queries.ts';
import { BASELINE, consoleTable, resultsMarkdown, type Row } from './report.ts';
import { withSubgraphUrls } from './supergraph.ts';
import { FANOUT_SECTION } from './fanout-report.ts';
import { benchLifecycle } from './lifecycle.ts';
import { measureRounds, type MeasuredGateway } from './rounds.ts';
import { GATEWAY_KINDS } from './heavy/gateways.ts';
import { HEAVY_QUERIES, type HeavyQueryName } from './heavy/queries.ts';
import { heavyConsoleTables, heavyResultsMarkdown, writeHeavyResults } from './heavy/report.ts';
import { runHeavyScenarios } from './heavy/scenario.ts';

const RESULTS = resolve(ROOT, 'bench/RESULTS.md');
const IMPACT_DEPARTEMENT = '93';
const IMPACT_YEAR = 2025;

type Gateway = MeasuredGateway;

const SCENARIOS = ['region', ...(Object.keys(HEAVY_QUERIES) as HeavyQueryName[])] as const;

const HELP = `npm run bench [-- options]

Scenarios (--scenarios, comma-separated; default: all three, in this order):
  region   the region's queries (one lycée; the Impact query for département 93) on the whole
           system (stand-ins, four subgraphs): Passerelle, stock Apollo, Hive Gateway
  heavy    The Guild's nested federation query (~88 KB answer, entity fetches into all four
           subgraphs, repeated keys) on four small subgraphs of its own (bench/heavy/)
  trivial  { topProducts { upc name } } on the same subgraphs: one subgraph, the fixed cost

Options:
  --scenarios <list>     region,heavy,trivial
  --gateways <list>      passerelle,stock,hive,hive-router (default: all). Stock Apollo always
                         runs (the baseline); in "region", Passerelle always runs too and
                         hive-router does not apply
  --dedup <list>         on,off (default: both): in-flight de-duplication of subgraph fetches for
                         the gateways that have the switch, heavy and trivial only (Passerelle:
                         SUBGRAPH_DEDUP; Hive: deduplicateInflightRequests)
  --duration <s>         measured seconds per gateway and query, split over the rounds (10)
  --connections <n>      concurrent connections of the load (10)
  --warmup <s>           unmeasured seconds per gateway and query before the rounds (3)
  --rounds <n>           rounds, the gateways' order alternating (2)
  --supergraph <file>    the region's supergraph (schema/supergraph.graphql)
  --record               write the figures to bench/RESULTS.md
  -h, --help             this text`;

const { values: args } = parseArgs({
  options: {
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    gateways: { type: 'string', default: GATEWAY_KINDS.join(',') },
    dedup: { type: 'string', default: 'on,off' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    supergraph: { type: 'string' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const options = {
  scenarios: list('scenarios', args.scenarios, SCENARIOS),
  gateways: list('gateways', args.gateways, GATEWAY_KINDS),
  dedups: list('dedup', args.dedup, ['on', 'off'] as const).map((value) => value === 'on'),
  /** Measured seconds per gateway and query, split over the rounds. */
  duration: positive('duration', args.duration),
  connections: positive('connections', args.connections),
  /** Seconds of unmeasured load per gateway and query before the rounds. */
  warmup: positive('warmup', args.warmup, true),
  rounds: positive('rounds', args.rounds),
  /** The composed supergraph all three gateways serve (its subgraph URLs are overridden). */
  supergraph: args.supergraph ? resolve(args.supergraph) : resolve(ROOT, 'schema/supergraph.graphql'),
};

function positive(name: string, text: string, zeroAllowed = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    console.error(`--${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer (got "${text}").`);
    process.exit(2);
  }
  return value;
}

/** A comma-separated subset of `allowed`, in the order of `allowed`. */
function list<const T extends string>(name: string, text: string, allowed: readonly T[]): T[] {
  const given = text.split(',').map((item) => item.trim()).filter(Boolean);
  const unknown = given.filter((item) => !(allowed as readonly string[]).includes(item));
  if (given.length === 0 || unknown.length > 0) {
    console.error(`--${name} takes a comma-separated list of ${allowed.join(', ')} (got "${text}"). See --help.`);
    process.exit(2);
  }
  return allowed.filter((item) => given.includes(item));
}

const log = (line: string) => console.error(`[bench] ${line}`);

/** Stops, in reverse order, everything started so far: also on errors and Ctrl-C. */
const { onStop: onExit, interrupted, run } = benchLifecycle(log);

async function main(): Promise<number> {
  let code = 0;
  if (options.scenarios.includes('region')) {
    const scope = stopScope();
    code = await region(scope.onStop);
    // The region's ten processes stop before the next scenario is measured.
    await scope.stopAll();
  }
  if (interrupted.aborted) return 130;
  // A scenario whose answers differ measures nothing, but the others still run; the exit code says it.
  const heavyQueries = options.scenarios.filter((scenario): scenario is HeavyQueryName => scenario !== 'region');
  if (heavyQueries.length > 0) code = Math.max(code, await heavy(heavyQueries));
  return interrupted.aborted ? 130 : code;
}

/** The heavy and trivial scenarios: one set of subgraphs and gateways for both (bench/heavy/). */
async function heavy(queries: HeavyQueryName[]): Promise<number> {
  const loadBefore = loadavg()[0]!;
  const outcome = await runHeavyScenarios({
    ...options,
    queries,
    kinds: options.gateways,
    signal: interrupted,
    log,
    onStop: onExit,
  });
  if (outcome.problems.length > 0) {
    console.error(`\n!!!!!!!! THE GATEWAYS DO NOT GIVE THE SAME ANSWER AS ${BASELINE.toUpperCase()} — nothing was measured !!!!!!!!`);
    for (const problem of outcome.problems) console.error(`  ✗ ${problem}`);
    return 1;
  }
  if (interrupted.aborted) return 130;
  console.log(`\n${heavyConsoleTables(outcome.rows, outcome.profiles)}\n`);
  if (args.record) {
    writeHeavyResults(
      RESULTS,
      heavyResultsMarkdown(outcome.rows, outcome.profiles, {
        date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        command: commandLine(),
        machine: describeMachine(loadBefore, `the load generator, the ${outcome.gateways.length} gateways and the four subgraphs`),
        settings: `${options.connections} connections; per gateway and query ${options.warmup} s warm-up, then ${options.duration} s measured in ${options.rounds} round(s) of alternating order`,
        details: [
          `Queries: ${queries.map((name) => `\`${name}\``).join(', ')} (bench/heavy/queries.ts)`,
          `Gateways run: ${outcome.gateways.join('; ')}`,
          `Passerelle measured: ${sourceState()}`,
        ],
        notes: outcome.notes,
      }),
    );
    log(`wrote the heavy section of ${RESULTS}`);
  }
  return 0;
}

function commandLine(): string {
  return ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
}

/** The commit measured, and whether the gateway's files differed from it (work in progress). */
function sourceState(): string {
  try {
    const git = (...gitArgs: string[]) => execFileSync('git', gitArgs, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const changed = git('status', '--porcelain', '--', 'gateway', 'common').split('\n').filter(Boolean).length;
    return changed > 0 ? `commit ${commit} plus ${changed} uncommitted change(s) under gateway/ and common/` : `commit ${commit}, no uncommitted change under gateway/ or common/`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/**
 * Clean-ups of one scenario, run when it ends so that the next is measured on a quiet machine (and
 * at exit, on errors and Ctrl-C, whichever comes first).
 */
function stopScope() {
  const stops: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => log(`while stopping: ${String(error)}`));
    })();
    return stopping;
  };
  onExit(stopAll);
  return { onStop: (stop: () => Promise<void>) => void stops.push(stop), stopAll };
}

async function region(onStop: (stop: () => Promise<void>) => void): Promise<number> {
  const loadBefore = loadavg()[0]!;
  if (!existsSync(options.supergraph)) throw new Error(`${options.supergraph} is missing: run \`npm run compose\` first.`);

  log('starting the stand-ins, the subgraphs and Passerelle…');
  // The load comes from one address: per-IP rate limits and cost budgets would measure refusals, not gateways.
  const unlimited = { RATE_LIMIT_ANONYMOUS: '0', COST_BUDGET_ANONYMOUS: '0' };
  const system = await startSystem({ freePorts: true, env: { LYCEES_API_LATENCY_MS: '0', LOG_LEVEL: 'warn', SUPERGRAPH_PATH: options.supergraph, ...unlimited } });
  onStop(() => system.stop());
  const subgraphUrls = Object.entries(system.subgraphs)
    .map(([name, url]) => `${name}=${url}`)
    .join(',');
  const passerelle = system.processes.find((launched) => launched.name === 'gateway');
  const gateways: Gateway[] = [{ name: 'Passerelle, cache on', url: system.gateway, pid: passerelle?.child.pid }];
  const upstreamPids = system.processes.filter((launched) => launched !== passerelle).map((launched) => launched.child.pid);
  const notes: string[] = [];

  log('starting stock Apollo Server + @apollo/gateway…');
  const stock = await launch({
    name: 'stock-apollo-gateway',
    entry: 'bench/stock-apollo-gateway.ts',
    env: { PORT: '0', SUBGRAPH_URLS: subgraphUrls, SUPERGRAPH_PATH: options.supergraph, LOG_LEVEL: 'warn' },
  });
  onStop(() => stock.stop());
  gateways.push({ name: BASELINE, url: stock.urls.graphql!, pid: stock.child.pid });

  // The system's Passerelle runs with its defaults, the public-data cache on; a second one on the
  // same subgraphs runs without it, so the engine is measured apart from the cache.
  log('starting Passerelle with the public-data cache off…');
  const uncached = await launch({
    name: 'gateway-uncached',
    entry: 'gateway/main.ts',
    env: { PORT: '0', CONSOLE: 'off', SUBGRAPH_URLS: subgraphUrls, SUPERGRAPH_PATH: options.supergraph, LOG_LEVEL: 'warn', PUBLIC_CACHE: 'off', ...unlimited },
  });
  onStop(() => uncached.stop());
  gateways.splice(1, 0, { name: 'Passerelle, cache off', url: uncached.urls.graphql!, pid: uncached.child.pid });

  if (options.gateways.includes('hive')) {
    log('starting Hive Gateway…');
    const folder = mkdtempSync(join(tmpdir(), 'passerelle-bench-'));
    onStop(async () => rmSync(folder, { recursive: true, force: true }));
    const supergraphCopy = join(folder, 'supergraph.graphql');
    writeFileSync(supergraphCopy, withSubgraphUrls(readFileSync(options.supergraph, 'utf8'), system.subgraphs));
    try {
      const hive = await startHiveGateway(supergraphCopy, { identitySecret: readEnv({ gatewaySecret: gatewayEnv.gatewaySecret }).gatewaySecret });
      onStop(() => hive.stop());
      gateways.push({ name: 'Hive Gateway', url: hive.url, pid: hive.pid });
    } catch (error) {
      const reason = (error as Error).message;
      log(`Hive Gateway could not run; it is left out of this run:\n${reason}`);
      notes.push(`Hive Gateway could not run on this machine (Node ${process.versions.node}), so it has no figures: ${reason.split('\n').slice(0, 6).join(' / ')}`);
    }
  }
  for (const gateway of gateways) log(`  ${gateway.name}: ${gateway.url}`);

  const uai = await firstUai(system.gateway);
  const queries = [lyceeQuery(uai), impactQuery(IMPACT_DEPARTEMENT, IMPACT_YEAR)];
  const problems = await checkAnswers(gateways, queries, notes);
  if (problems.length > 0) {
    console.error(`\n!!!!!!!! THE GATEWAYS DO NOT GIVE THE SAME ANSWER — nothing was measured !!!!!!!!`);
    for (const problem of problems) console.error(`  ✗ ${problem}`);
    return 1;
  }

  const rows: Row[] = [];
  for (const query of queries) {
    if (interrupted.aborted) break;
    rows.push(...(await measureRounds(gateways, upstreamPids, query, { ...options, signal: interrupted, log })));
  }
  if (interrupted.aborted) return 130;

  const table = consoleTable(rows);
  console.log(`\n${table}\n`);
  if (args.record) {
    // The file also holds the fan-out benchmark's section (bench/fanout.ts): keep it.
    const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
    const fanout = previous.indexOf(`\n${FANOUT_SECTION}\n`);
    writeFileSync(
      RESULTS,
      resultsMarkdown(rows, {
        date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        command: commandLine(),
        machine: describeMachine(loadBefore),
        settings: `${options.connections} connections; per gateway and query ${options.warmup} s warm-up, then ${options.duration} s measured in ${options.rounds} round(s) of alternating order; supergraph \`${relative(ROOT, options.supergraph)}\``,
        details: [
          `Queries: \`lycee\` = one lycée (uai ${uai}) with its commune; \`impact ${IMPACT_DEPARTEMENT}\` = the batching "Impact" query for département ${IMPACT_DEPARTEMENT}, year ${IMPACT_YEAR}`,
          `Gateways run: ${gateways.map((gateway) => gateway.name).join(', ')}`,
        ],
        notes,
      }) + (fanout >= 0 ? previous.slice(fanout) : ''),
    );
    log(`wrote ${RESULTS}`);
  }
  return 0;
}

/** Every gateway must answer every query with 200, no errors, and Passerelle's data. */
async function checkAnswers(gateways: Gateway[], queries: BenchQuery[], notes: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const query of queries) {
    const answers = await Promise.all(gateways.map((gateway) => postGraphql(gateway.url, query.body)));
    const reference = answers[0]!;
    const sizes: string[] = [];
    gateways.forEach((gateway, i) => {
      const answer = answers[i]!;
      sizes.push(`${gateway.name} ${answer.bytes} B`);
      if (answer.status !== 200) problems.push(`${gateway.name}, ${query.name}: HTTP ${answer.status}`);
      if (answer.errors.length > 0) problems.push(`${gateway.name}, ${query.name}: errors ${JSON.stringify(answer.errors).slice(0, 600)}`);
      if (answer.data === null) problems.push(`${gateway.name}, ${query.name}: no data`);
      const difference = firstDifference(reference.data, answer.data);
      if (difference) problems.push(`${gateway.name}, ${query.name}: data differs from ${gateways[0]!.name}'s at ${difference}`);
    });
    log(`checked "${query.name}": ${sizes.join(', ')}`);
    notes.push(`Before the load, all gateways answered "${query.name}" with HTTP 200, no errors and identical \`data\` (response bodies: ${sizes.join(', ')}).`);
  }
  return problems;
}

function describeMachine(loadBefore: number, sharedBy = 'the load generator, all gateways, subgraphs and stand-ins'): string {
  const cpu = cpus();
  return [
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform}, Node ${process.versions.node}`,
    `shared by ${sharedBy}`,
    `1-minute load average ${loadBefore.toFixed(1)} before the run (other work), ${loadavg()[0]!.toFixed(1)} at its end`,
  ].join('; ');
}

run(main);
