/**
 * `npm run bench [-- --duration 10 --connections 10 --warmup 3 --rounds 2 --supergraph <file> --record]`: Passerelle's
 * gateway against stock Apollo Server + @apollo/gateway and Hive Gateway, on the same supergraph,
 * subgraphs and queries, in one run. Prints a table; `--record` also writes bench/RESULTS.md.
 * What is measured and why is explained at the top of that file (see report.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launch, ROOT } from '../scripts/launcher.ts';
import { startSystem } from '../scripts/system.ts';
import { startHiveGateway } from './hive-gateway.ts';
import { cpuSeconds, totalCpuSeconds } from './cpu.ts';
import { emptyTally, runLoad, summarize, type Tally } from './load.ts';
import { firstDifference, firstUai, impactQuery, lyceeQuery, postGraphql, type BenchQuery } from './queries.ts';
import { BASELINE, consoleTable, resultsMarkdown, type Row } from './report.ts';
import { withSubgraphUrls } from './supergraph.ts';
import { FANOUT_SECTION } from './fanout-report.ts';
import { benchLifecycle } from './lifecycle.ts';

const RESULTS = resolve(ROOT, 'bench/RESULTS.md');
const IMPACT_DEPARTEMENT = '93';
const IMPACT_YEAR = 2025;

interface Gateway {
  name: string;
  url: string;
  /** The gateway's process, whose CPU time is measured. */
  pid: number | undefined;
}

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    supergraph: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
});
const options = {
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

const log = (line: string) => console.error(`[bench] ${line}`);

/** Stops, in reverse order, everything started so far: also on errors and Ctrl-C. */
const { onStop, interrupted, run } = benchLifecycle(log);

async function main(): Promise<number> {
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
  const gateways: Gateway[] = [{ name: 'Passerelle', url: system.gateway, pid: passerelle?.child.pid }];
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

  log('starting Hive Gateway…');
  const folder = mkdtempSync(join(tmpdir(), 'passerelle-bench-'));
  onStop(async () => rmSync(folder, { recursive: true, force: true }));
  const supergraphCopy = join(folder, 'supergraph.graphql');
  writeFileSync(supergraphCopy, withSubgraphUrls(readFileSync(options.supergraph, 'utf8'), system.subgraphs));
  try {
    const hive = await startHiveGateway(supergraphCopy);
    onStop(() => hive.stop());
    gateways.push({ name: 'Hive Gateway', url: hive.url, pid: hive.pid });
  } catch (error) {
    const reason = (error as Error).message;
    log(`Hive Gateway could not run; it is left out of this run:\n${reason}`);
    notes.push(`Hive Gateway could not run on this machine (Node ${process.versions.node}), so it has no figures: ${reason.split('\n').slice(0, 6).join(' / ')}`);
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
    rows.push(...(await measure(gateways, upstreamPids, query)));
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
        command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
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

/** Warms every gateway up, then runs the rounds, alternating the order of the gateways. */
async function measure(gateways: Gateway[], upstreamPids: (number | undefined)[], query: BenchQuery): Promise<Row[]> {
  const tallies = new Map<string, Tally>(gateways.map((gateway) => [gateway.name, emptyTally()]));
  if (options.warmup > 0) {
    for (const gateway of gateways) {
      log(`${query.name}: warming up ${gateway.name} (${options.warmup} s)`);
      await runLoad(gateway.url, query.body, { duration: options.warmup, connections: options.connections, signal: interrupted });
    }
  }
  const roundSeconds = options.duration / options.rounds;
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? gateways : [...gateways].reverse();
    for (const gateway of order) {
      if (interrupted.aborted) return [];
      log(`${query.name}: round ${round + 1}/${options.rounds}, ${gateway.name} (${roundSeconds} s)`);
      const load = { duration: roundSeconds, connections: options.connections, signal: interrupted };
      const tally = tallies.get(gateway.name)!;
      const before = { gateway: cpuSeconds(gateway.pid), upstream: totalCpuSeconds(upstreamPids) };
      await runLoad(gateway.url, query.body, load, tally);
      tally.gatewayCpuSeconds = addCpu(tally.gatewayCpuSeconds, before.gateway, cpuSeconds(gateway.pid));
      tally.upstreamCpuSeconds = addCpu(tally.upstreamCpuSeconds, before.upstream, totalCpuSeconds(upstreamPids));
    }
  }
  return gateways.map((gateway) => ({ gateway: gateway.name, query: query.name, ...summarize(tallies.get(gateway.name)!) }));
}

function describeMachine(loadBefore: number): string {
  const cpu = cpus();
  return [
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform}, Node ${process.versions.node}`,
    'shared by the load generator, all gateways, subgraphs and stand-ins',
    `1-minute load average ${loadBefore.toFixed(1)} before the run (other work), ${loadavg()[0]!.toFixed(1)} at its end`,
  ].join('; ');
}

function addCpu(sum: number | undefined, before: number | undefined, after: number | undefined): number | undefined {
  return sum === undefined || before === undefined || after === undefined ? undefined : sum + (after - before);
}

run(main);
