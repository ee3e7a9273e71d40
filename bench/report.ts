/**
 * The benchmark's output: a console table, and bench/RESULTS.md (explanation, run details, the
 * same table). Ratios are against stock Apollo on the same query, in the same run.
 */
import type { Summary } from './load.ts';

export const BASELINE = 'stock Apollo';

export interface Row extends Summary {
  gateway: string;
  query: string;
}

const COLUMNS = [
  'gateway',
  'query',
  'responses',
  'req/s',
  'p50 ms',
  'p99 ms',
  'errors',
  'non-2xx',
  'GraphQL errors',
  'req/s vs stock',
  'p99 vs stock',
  'gateway CPU ms/req',
  'CPU/req vs stock',
  'subgraphs+legacy CPU ms/req',
];

function cells(rows: Row[]): string[][] {
  return rows.map((row) => {
    const baseline = rows.find((other) => other.query === row.query && other.gateway === BASELINE);
    const ratio = (value: number, base: number | undefined) => (base && Number.isFinite(value / base) ? `${(value / base).toFixed(2)}×` : '–');
    const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '–');
    return [
      row.gateway,
      row.query,
      String(row.responses),
      row.requestsPerSecond.toFixed(0),
      row.p50Ms.toFixed(1),
      row.p99Ms.toFixed(1),
      String(row.errors),
      String(row.non2xx),
      String(row.graphqlErrors),
      ratio(row.requestsPerSecond, baseline?.requestsPerSecond),
      ratio(row.p99Ms, baseline?.p99Ms),
      ms(row.gatewayCpuMsPerRequest),
      ratio(row.gatewayCpuMsPerRequest, baseline?.gatewayCpuMsPerRequest),
      ms(row.upstreamCpuMsPerRequest),
    ];
  });
}

export function consoleTable(rows: Row[]): string {
  const lines = [COLUMNS, ...cells(rows)];
  const widths = COLUMNS.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  const numeric = (i: number) => i >= 2;
  const format = (line: string[]) => line.map((cell, i) => (numeric(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  return [format(COLUMNS), widths.map((width) => '-'.repeat(width)).join('  '), ...cells(rows).map(format)].join('\n');
}

export function markdownTable(rows: Row[]): string {
  const align = COLUMNS.map((_, i) => (i >= 2 ? '--:' : '---'));
  return [COLUMNS, align, ...cells(rows)].map((line) => `| ${line.join(' | ')} |`).join('\n');
}

export interface RunDetails {
  date: string;
  command: string;
  machine: string;
  settings: string;
  /** Further lines of the run's description (queries, gateways run). */
  details: string[];
  /** Things worth knowing about this run (a gateway that could not run, data checks). */
  notes: string[];
}

/** "## Latest run" and the list that says when, how and where a run was made. */
export function latestRunHeading(run: RunDetails): string {
  return `## Latest run

- Date: ${run.date}
- Command: \`${run.command}\`
- Machine: ${run.machine}
- Settings: ${run.settings}
${run.details.map((line) => `- ${line}`).join('\n')}`;
}

export function resultsMarkdown(rows: Row[], run: RunDetails): string {
  return `# Gateway benchmark

\`npm run bench\` (\`bench/gateway.ts\`) compares, in one run, three federation gateways serving the
same supergraph (\`schema/supergraph.graphql\`, subgraph URLs pointed at the running subgraphs) in
front of the same four subgraphs and legacy stand-ins, with the same queries:

1. **Passerelle** — \`gateway/main.ts\` as \`npm start\` runs it (all default plugins on), twice: with
   the public-data cache on (the default; repeated public fetches answered from it) and off (every
   fetch reaches the subgraphs: the execution engine alone).
2. **stock Apollo** — Apollo Server 5 + \`@apollo/gateway\` with default options
   (\`bench/stock-apollo-gateway.ts\`): the baseline, since Passerelle is built on the same planner.
3. **Hive Gateway** — \`@graphql-hive/gateway\` CLI, \`hive-gateway supergraph <file>\`, default options.

The region's subgraphs answer only calls that carry a gateway-signed identity (\`x-passerelle-identity\`,
\`GATEWAY_SECRET\`): stock Apollo (a \`RemoteGraphQLDataSource\` hook) and Hive Gateway (an \`onFetch\`
plugin in its config file) sign every fetch as the anonymous caller, as Passerelle does.

The stand-ins and subgraphs are started once (\`startSystem\`, free ports, \`LYCEES_API_LATENCY_MS=0\`
so the gateways, not the simulated legacy latency, dominate). Before anything is measured, every
gateway's answer to every query is checked: HTTP 200, no \`errors\`, and \`data\` identical to
Passerelle's; any difference stops the run with a non-zero exit. Then, per query, each gateway is
warmed up, and the measured time is split into rounds whose gateway order alternates (forward, then
reversed) so that drift on the machine does not favour one gateway. During the load, a 2xx response
whose body has \`errors\` counts in "GraphQL errors". Latencies are per response, merged over the
rounds.

**Read the ratios, not the absolute numbers**: the load generator, the three gateways, the four
subgraphs and the four stand-ins all share the same small machine (see below), so absolute
throughput says more about the machine than about any gateway; the ratio to stock Apollo, measured
minutes apart on the same subgraphs, is what carries over. Even ratios move between runs when other
work shares the machine (the load averages below say how busy it was): trust a ratio that holds
over several runs, and prefer the CPU-per-request columns, which depend least on the neighbours.
The Impact query takes half a second to a second per request here, so an 8–10 s run holds only one
or two hundred of its responses per gateway (see "responses"), and each round ends with up to one
request per connection unanswered: its figures are coarse; give it a longer \`--duration\` for finer ones.

**One default differs in kind, not in speed**: Hive Gateway's subgraph transport
(\`@graphql-tools/executor-http\`) de-duplicates identical in-flight subgraph queries
(\`deduplicateInflightRequests\`, on by default): while one fetch with a given URL and body is under
way, the same fetch from another client request waits for it instead of being sent. A benchmark
that sends one query over 10 connections is the best case for it, so part of Hive Gateway's lead
is subgraph work it does not do (compare the "subgraphs+legacy CPU ms/req" column); neither
@apollo/gateway nor Passerelle does this. With varied queries the effect shrinks.

${latestRunHeading(run)}

${markdownTable(rows)}

Ratios: "req/s vs stock" above 1 is more throughput than stock Apollo; "p99 vs stock" below 1 is a
lower tail latency. "gateway CPU ms/req" is the CPU time (user + system, from /proc) the gateway's
process used during its measured rounds divided by the responses it served: the gateway's own cost
per request, which depends less on the rest of the machine than throughput does ("CPU/req vs stock"
below 1 is cheaper than stock Apollo). "subgraphs+legacy CPU ms/req" is the same for the eight
processes behind the gateways; it should be about equal for Passerelle and stock Apollo, which send
the same subgraph requests (Hive Gateway's is lower: see the de-duplication above).
${run.notes.length > 0 ? `\n## Notes\n\n${run.notes.map((note) => `- ${note}`).join('\n')}\n` : ''}`;
}
