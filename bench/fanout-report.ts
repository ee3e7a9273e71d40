/**
 * The fan-out benchmark's figures: from what was written and what each subscriber received, the
 * deliveries (expected, received, missing, duplicated), their latency from the database write,
 * and the gateway's memory and CPU per subscriber and per delivery; then a console table and the
 * "Subscription fan-out" part of bench/RESULTS.md.
 */
import type { WrittenEvent } from './fanout-writer.ts';

export type Scenario = 'queue' | 'distinct';
/** Where the GRC database lives: the local PostgreSQL server (NOTIFY wakes the capture) or PGlite (polled). */
export type GrcStorage = 'postgresql' | 'pglite';

/** The goal of the issue: 10,000 subscribers on one queue, every event to all of them, p99 < 250 ms. */
export const GOAL = { scenario: 'queue' as Scenario, subscribers: 10_000, p99Ms: 250 };

/** Every event receipt, in three parallel columns (cheap to append while thousands arrive). */
export class Receipts {
  readonly subscriber: number[] = [];
  readonly key: number[] = [];
  readonly atMs: number[] = [];

  add(subscriber: number, key: number, atMs: number): void {
    this.subscriber.push(subscriber);
    this.key.push(key);
    this.atMs.push(atMs);
  }

  get length(): number {
    return this.key.length;
  }
}

export interface RunMeasures {
  grc: GrcStorage;
  scenario: Scenario;
  subscribers: number;
  events: WrittenEvent[];
  receipts: Receipts;
  /** Which subscribers must receive an event (queue: all of them; distinct: the one on its request). */
  recipients: (event: WrittenEvent) => readonly number[] | 'all';
  /** What the probes on the subgraph itself received: the capture's own share of the latency. */
  probeReceipts: Receipts;
  /** Seconds from the first subscriber opened to the gateway counting all of them. */
  rampSeconds: number;
  /** Gateway VmRSS before the subscribers came and once all were settled (KiB). */
  rssBeforeKiB: number | undefined;
  rssAfterKiB: number | undefined;
  /** CPU seconds used from the first write to the end of the drain. */
  gatewayCpuSeconds: number | undefined;
  upstreamCpuSeconds: number | undefined;
  loadGeneratorCpuSeconds: number;
  /** From the first write sent to the last receipt. */
  seconds: number;
  /** Anything else the subscribers got: errors, completions, closes (counted by kind). */
  problems: Map<string, number>;
  /** The same, during the ramp-up and warm-up (not measured, but worth knowing). */
  setupProblems: Map<string, number>;
  /** Share of the measured time the load generator's event loop was busy (0–1). */
  loadGeneratorEventLoop: number;
}

export interface FanoutRow {
  grc: GrcStorage;
  scenario: Scenario;
  subscribers: number;
  events: number;
  expected: number;
  received: number;
  missing: number;
  duplicates: number;
  /** Receipts of events the benchmark did not write in the measured window. */
  unexpected: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Per event, first to last subscriber's receipt; the median over events (the fan-out itself). */
  spreadP50Ms: number;
  /** Write → the subgraph's own graphql-ws output (probes), p50 and p99. */
  captureP50Ms: number;
  captureP99Ms: number;
  rampSeconds: number;
  rssPerSubscriberKiB: number;
  /** Gateway CPU time over the measured wall time (100 % = one core). */
  gatewayCpuPercent: number;
  gatewayCpuUsPerDelivery: number;
  upstreamCpuUsPerDelivery: number;
  loadGeneratorCpuUsPerDelivery: number;
  loadGeneratorEventLoop: number;
  problems: string;
}

export function summarizeRun(run: RunMeasures): FanoutRow {
  const byKey = new Map(run.events.map((event, index) => [event.key, index]));
  // seen[event][subscriber]: how many times it arrived (saturating at 255).
  const seen = run.events.map(() => new Uint8Array(run.subscribers));
  const latencies: number[] = [];
  const first = run.events.map(() => Infinity);
  const last = run.events.map(() => -Infinity);
  let unexpected = 0;
  let duplicates = 0;
  for (let i = 0; i < run.receipts.length; i++) {
    const index = byKey.get(run.receipts.key[i]!);
    if (index === undefined) {
      unexpected += 1;
      continue;
    }
    const event = run.events[index]!;
    const subscriber = run.receipts.subscriber[i]!;
    const recipients = run.recipients(event);
    if (recipients !== 'all' && !recipients.includes(subscriber)) {
      unexpected += 1;
      continue;
    }
    const row = seen[index]!;
    if (row[subscriber]! > 0) duplicates += 1;
    else latencies.push(run.receipts.atMs[i]! - event.sentAtMs);
    first[index] = Math.min(first[index]!, run.receipts.atMs[i]!);
    last[index] = Math.max(last[index]!, run.receipts.atMs[i]!);
    row[subscriber] = Math.min(255, row[subscriber]! + 1);
  }
  let expected = 0;
  let missing = 0;
  run.events.forEach((event, index) => {
    const recipients = run.recipients(event);
    const row = seen[index]!;
    if (recipients === 'all') {
      expected += run.subscribers;
      for (const count of row) if (count === 0) missing += 1;
    } else {
      expected += recipients.length;
      for (const subscriber of recipients) if (row[subscriber] === 0) missing += 1;
    }
  });
  const capture = probeLatencies(run);
  const sorted = Float64Array.from(latencies).sort();
  const sortedCapture = Float64Array.from(capture).sort();
  const spreads = Float64Array.from(first.map((at, index) => last[index]! - at).filter(Number.isFinite)).sort();
  const delivered = latencies.length;
  const perDelivery = (seconds: number | undefined) => (seconds === undefined || delivered === 0 ? Number.NaN : (seconds * 1e6) / delivered);
  return {
    grc: run.grc,
    scenario: run.scenario,
    subscribers: run.subscribers,
    events: run.events.length,
    expected,
    received: delivered,
    missing,
    duplicates,
    unexpected,
    deliveriesPerSecond: run.seconds > 0 ? delivered / run.seconds : 0,
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    spreadP50Ms: percentile(spreads, 0.5),
    captureP50Ms: percentile(sortedCapture, 0.5),
    captureP99Ms: percentile(sortedCapture, 0.99),
    rampSeconds: run.rampSeconds,
    rssPerSubscriberKiB:
      run.rssBeforeKiB === undefined || run.rssAfterKiB === undefined ? Number.NaN : (run.rssAfterKiB - run.rssBeforeKiB) / run.subscribers,
    gatewayCpuPercent: run.gatewayCpuSeconds === undefined || run.seconds <= 0 ? Number.NaN : (run.gatewayCpuSeconds / run.seconds) * 100,
    gatewayCpuUsPerDelivery: perDelivery(run.gatewayCpuSeconds),
    upstreamCpuUsPerDelivery: perDelivery(run.upstreamCpuSeconds),
    loadGeneratorCpuUsPerDelivery: perDelivery(run.loadGeneratorCpuSeconds),
    loadGeneratorEventLoop: run.loadGeneratorEventLoop,
    problems: [
      ...[...run.problems].map(([kind, count]) => `${count}× ${kind}`),
      ...[...run.setupProblems].map(([kind, count]) => `during set-up, ${count}× ${kind}`),
    ].join('; '),
  };
}

/** Write → first receipt of each event by a probe (several probes may see one event: the first counts). */
function probeLatencies(run: RunMeasures): number[] {
  const sentAt = new Map(run.events.map((event) => [event.key, event.sentAtMs]));
  const first = new Map<number, number>();
  for (let i = 0; i < run.probeReceipts.length; i++) {
    const key = run.probeReceipts.key[i]!;
    const sent = sentAt.get(key);
    if (sent === undefined) continue;
    const latency = run.probeReceipts.atMs[i]! - sent;
    first.set(key, Math.min(first.get(key) ?? Infinity, latency));
  }
  return [...first.values()];
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

/** PASS/FAIL for the goal's own case; "–" for the others (they have no target). */
export function verdict(row: FanoutRow): string {
  if (row.scenario !== GOAL.scenario || row.subscribers !== GOAL.subscribers) return '–';
  const pass = row.p99Ms < GOAL.p99Ms && row.missing === 0 && row.duplicates === 0 && row.received > 0;
  return pass ? 'PASS' : 'FAIL';
}

const COLUMNS = [
  'GRC',
  'scenario',
  'subscribers',
  'events',
  'expected',
  'received',
  'missing',
  'dup',
  'deliveries/s',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'max ms',
  'capture p50/p99 ms',
  'spread p50 ms',
  'ramp-up s',
  'gateway RSS KiB/sub',
  'gateway CPU',
  'gateway CPU µs/delivery',
  'subgraphs+legacy CPU µs/delivery',
  'load generator CPU µs/delivery',
  'load generator busy',
  'goal',
];

function cells(rows: FanoutRow[]): string[][] {
  const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
  return rows.map((row) => [
    row.grc === 'postgresql' ? 'PostgreSQL' : 'PGlite',
    row.scenario === 'queue' ? 'one queue' : 'distinct requests',
    String(row.subscribers),
    String(row.events),
    String(row.expected),
    String(row.received),
    String(row.missing),
    String(row.duplicates),
    fixed(row.deliveriesPerSecond, 0),
    fixed(row.p50Ms, 1),
    fixed(row.p95Ms, 1),
    fixed(row.p99Ms, 1),
    fixed(row.maxMs, 1),
    `${fixed(row.captureP50Ms, 1)} / ${fixed(row.captureP99Ms, 1)}`,
    fixed(row.spreadP50Ms, 1),
    fixed(row.rampSeconds, 1),
    fixed(row.rssPerSubscriberKiB, 1),
    `${fixed(row.gatewayCpuPercent, 0)}%`,
    fixed(row.gatewayCpuUsPerDelivery, 1),
    fixed(row.upstreamCpuUsPerDelivery, 1),
    fixed(row.loadGeneratorCpuUsPerDelivery, 1),
    `${fixed(row.loadGeneratorEventLoop * 100, 0)}%`,
    verdict(row),
  ]);
}

export function fanoutConsoleTable(rows: FanoutRow[]): string {
  const lines = [COLUMNS, ...cells(rows)];
  const widths = COLUMNS.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  const format = (line: string[]) => line.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  return [format(COLUMNS), widths.map((width) => '-'.repeat(width)).join('  '), ...cells(rows).map(format)].join('\n');
}

export function fanoutMarkdownTable(rows: FanoutRow[]): string {
  const align = COLUMNS.map((_, i) => (i >= 2 ? '--:' : '---'));
  return [COLUMNS, align, ...cells(rows)].map((line) => `| ${line.join(' | ')} |`).join('\n');
}

/** The heading of this benchmark's part of RESULTS.md (bench/gateway.ts keeps it when it rewrites the rest). */
export const FANOUT_SECTION = '# Subscription fan-out';

/** Markers around the part of RESULTS.md that `--record` rewrites; the text around it is kept. */
export const RECORD_BEGIN = '<!-- fanout:latest-run:begin (written by `npm run bench:fanout -- --record`) -->';
export const RECORD_END = '<!-- fanout:latest-run:end -->';

export interface FanoutRunDetails {
  date: string;
  command: string;
  machine: string;
  settings: string;
  notes: string[];
}

/** The recorded block: run details, the table, notes (problems the subscribers saw). */
export function fanoutRecord(rows: FanoutRow[], run: FanoutRunDetails): string {
  const lines = [
    RECORD_BEGIN,
    '## Latest run',
    '',
    `- Date: ${run.date}`,
    `- Command: \`${run.command}\``,
    `- Machine: ${run.machine}`,
    `- Settings: ${run.settings}`,
    '',
    fanoutMarkdownTable(rows),
    '',
    ...rows.filter((row) => row.problems).map((row) => `- ${row.grc}, ${row.scenario}, ${row.subscribers}: ${row.problems}`),
    ...run.notes.map((note) => `- ${note}`),
    RECORD_END,
  ];
  return lines.join('\n');
}

/** RESULTS.md with its recorded fan-out block replaced (or, the first time, appended). */
export function withFanoutRecord(results: string, record: string): string {
  const begin = results.indexOf(RECORD_BEGIN);
  const end = results.indexOf(RECORD_END);
  if (begin >= 0 && end > begin) return results.slice(0, begin) + record + results.slice(end + RECORD_END.length);
  return `${results.trimEnd()}\n\n${FANOUT_SECTION}\n\n${record}\n`;
}
