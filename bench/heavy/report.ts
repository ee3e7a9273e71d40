/**
 * The heavy scenario's output: a table of the load (per gateway and query, ratios to stock Apollo
 * on the same query in the same run), a table of the subgraph calls one request makes, and the
 * section of bench/RESULTS.md between its markers.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BASELINE, latestRunHeading, type Row, type RunDetails } from '../report.ts';
import { HEAVY_SUBGRAPHS } from './schema.ts';
import type { AnswerProfile } from './compare.ts';

export interface HeavyRow extends Row {
  /** Highest VmRSS of the gateway's process sampled during its measured rounds (NaN: unknown). */
  peakRssMiB: number;
  /** Requests the four subgraphs received during the gateway's measured rounds, per request sent. */
  subgraphCallsPerRequest: number;
  /** Request bytes the subgraphs received, per request sent, in KiB. */
  subgraphKiBPerRequest: number;
}

export const HEAVY_BEGIN = '<!-- heavy:latest-run:begin (written by `npm run bench -- --scenarios heavy,trivial --record`) -->';
export const HEAVY_END = '<!-- heavy:latest-run:end -->';

const LOAD_COLUMNS = [
  'gateway',
  'query',
  'responses',
  'req/s',
  'p50 ms',
  'p99 ms',
  'failed',
  'req/s vs stock',
  'p99 vs stock',
  'gateway CPU ms/req',
  'CPU/req vs stock',
  'peak RSS MiB',
  'RSS vs stock',
  'subgraph calls/req',
  'subgraph KiB sent/req',
  'subgraphs CPU ms/req',
];

const PROFILE_COLUMNS = ['gateway', 'query', 'answer bytes', ...HEAVY_SUBGRAPHS.map((name) => `${name} calls`), 'calls', 'KiB sent', 'representations'];

function loadCells(rows: HeavyRow[]): string[][] {
  return rows.map((row) => {
    const baseline = rows.find((other) => other.query === row.query && other.gateway === BASELINE);
    const ratio = (value: number, base: number | undefined) => (base && Number.isFinite(value / base) ? `${(value / base).toFixed(2)}×` : '–');
    const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
    return [
      row.gateway,
      row.query,
      String(row.responses),
      row.requestsPerSecond.toFixed(0),
      fixed(row.p50Ms, 1),
      fixed(row.p99Ms, 1),
      String(row.errors + row.non2xx + row.graphqlErrors),
      ratio(row.requestsPerSecond, baseline?.requestsPerSecond),
      ratio(row.p99Ms, baseline?.p99Ms),
      fixed(row.gatewayCpuMsPerRequest, 2),
      ratio(row.gatewayCpuMsPerRequest, baseline?.gatewayCpuMsPerRequest),
      fixed(row.peakRssMiB, 0),
      ratio(row.peakRssMiB, baseline?.peakRssMiB),
      fixed(row.subgraphCallsPerRequest, 2),
      fixed(row.subgraphKiBPerRequest, 1),
      fixed(row.upstreamCpuMsPerRequest, 2),
    ];
  });
}

function profileCells(profiles: AnswerProfile[]): string[][] {
  return profiles.map((profile) => {
    const stats = profile.subgraphs;
    const sum = (pick: (name: (typeof HEAVY_SUBGRAPHS)[number]) => number) => HEAVY_SUBGRAPHS.reduce((total, name) => total + pick(name), 0);
    return [
      profile.gateway,
      profile.query,
      String(profile.bytes),
      ...HEAVY_SUBGRAPHS.map((name) => (stats ? String(stats[name].requests) : '–')),
      stats ? String(sum((name) => stats[name].requests)) : '–',
      stats ? (sum((name) => stats[name].requestBytes) / 1024).toFixed(1) : '–',
      stats ? String(sum((name) => stats[name].representations)) : '–',
    ];
  });
}

function consoleTable(columns: string[], lines: string[][]): string {
  const widths = columns.map((_, i) => Math.max(...[columns, ...lines].map((line) => line[i]!.length)));
  const format = (line: string[]) => line.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  return [format(columns), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(format)].join('\n');
}

function markdownTable(columns: string[], lines: string[][]): string {
  const align = columns.map((_, i) => (i >= 2 ? '--:' : '---'));
  return [columns, align, ...lines].map((line) => `| ${line.join(' | ')} |`).join('\n');
}

export function heavyConsoleTables(rows: HeavyRow[], profiles: AnswerProfile[]): string {
  return [
    'Subgraph calls for one request alone:',
    consoleTable(PROFILE_COLUMNS, profileCells(profiles)),
    '',
    'Under load:',
    consoleTable(LOAD_COLUMNS, loadCells(rows)),
  ].join('\n');
}

export function heavyResultsMarkdown(rows: HeavyRow[], profiles: AnswerProfile[], run: RunDetails): string {
  return `${HEAVY_BEGIN}
${latestRunHeading(run)}

Subgraph calls for one request alone (counters reset before each; "KiB sent" = request bodies the
subgraphs received; "representations" = entity keys in \`_entities\` fetches, repeats included):

${markdownTable(PROFILE_COLUMNS, profileCells(profiles))}

Under load ("failed" = connection errors + non-2xx + 2xx with \`errors\`; "subgraph calls/req" and
"subgraph KiB sent/req" count what the four subgraphs received during the gateway's measured
rounds, per request sent to the gateway; "peak RSS" is the highest VmRSS sampled every 100 ms during them):

${markdownTable(LOAD_COLUMNS, loadCells(rows))}
${run.notes.length > 0 ? `\n${run.notes.map((note) => `- ${note}`).join('\n')}\n` : ''}${HEAVY_END}`;
}

/** Replaces the heavy section's latest run in `path` (appends a section when it has none). */
export function writeHeavyResults(path: string, latestRun: string): void {
  const previous = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const begin = previous.indexOf(HEAVY_BEGIN);
  const end = previous.indexOf(HEAVY_END);
  const next =
    begin >= 0 && end > begin
      ? previous.slice(0, begin) + latestRun + previous.slice(end + HEAVY_END.length)
      : `${previous.trimEnd()}\n\n${HEAVY_SECTION}\n\n${HEAVY_INTRO}\n\n${latestRun}\n`;
  writeFileSync(path, next);
}

export const HEAVY_SECTION = '# Heavy nested query and trivial query (issue 8)';

const HEAVY_INTRO = `\`npm run bench -- --scenarios heavy,trivial\` (\`bench/heavy/\`) runs, on four small subgraphs of
its own (accounts, inventory, products, reviews: node:http + @apollo/subgraph, one process each, in-memory
data shaped like The Guild's federation gateway benchmark), The Guild's nested query ("heavy": an
answer of about 88 KB, entity fetches into all four subgraphs, inventory's \`shippingEstimate\`
\`@requires(fields: "price weight")\`, a few products reviewed many times, so the same \`upc\` keys
come back again and again) and a one-subgraph query ("trivial": \`{ topProducts { upc name } }\`),
through Passerelle, stock Apollo Server + @apollo/gateway (the baseline), Hive Gateway and Hive
Gateway with \`@graphql-hive/router-runtime\`, each with in-flight de-duplication of subgraph
fetches on and off where the gateway has the switch (Passerelle: \`SUBGRAPH_DEDUP\`; Hive: its HTTP
transport's \`deduplicateInflightRequests\`; stock @apollo/gateway has none). Before the load, every
gateway's \`data\` must equal stock Apollo's byte for byte after \`JSON.stringify\`, or the run stops.
Rounds alternate as in the region's scenario; read the ratios and the CPU per request, as above.`;
