/**
 * The fault-injection benchmark's figures, per phase, from the raw answers, writes, receipts and
 * stream problems (bench/faults.ts), and their place in bench/RESULTS.md.
 *
 * Definitions (also printed under the table):
 * - "p99 elsewhere": p99 latency of the answers whose query kind does not touch the faulty system,
 *   compared with the same kinds in the quiet phase (goal: within 2×);
 * - "recovery": from the fault's removal (the restart, for a killed process) to the end of the last
 *   answer, sent after it, that failed or took over 1 s more than its kind's quiet p99 (0: none);
 * - "lost": changes committed during the phase that their subscriber never received (goal 0);
 *   "duplicated": changes a subscriber received twice, by cursor (goal 0).
 */
import type { Answer } from './faults-load.ts';
import type { Receipt, StreamProblem, Write } from './faults-streams.ts';

export const FAULTS_SECTION = '## Fault injection (`npm run bench:faults`)';
export const FAULTS_BEGIN = '<!-- faults:latest-run:begin (written by `npm run bench:faults -- --record`) -->';
export const FAULTS_END = '<!-- faults:latest-run:end -->';

export interface PhaseMarks {
  name: string;
  /** What was done, in words. */
  fault: string;
  /** Query kinds that go through the faulty system. */
  touches: string[];
  start: number;
  /** End of the measured window; the next phase starts a pause later (answers in flight across its start are left out). */
  end: number;
  /** When the fault was removed (restart done, latency back to 0…); undefined: none (quiet). */
  removedAt?: number;
  notes: string[];
}

export interface PhaseRow {
  name: string;
  fault: string;
  answers: number;
  clean: number;
  errorsByCode: string;
  /** Kinds measured for "p99 elsewhere". */
  elsewhere: string;
  p99ElsewhereMs: number;
  /** p99ElsewhereMs / the quiet phase's, same kinds. */
  ratio: number;
  /** Seconds; NaN: nothing to recover from; Infinity: still failing at the end of the phase. */
  recoverySeconds: number;
  written: number;
  delivered: number;
  lost: number;
  duplicated: number;
  maxDeliveryMs: number;
  streamEndings: string;
  notes: string[];
  /** The answers that count against recovery (sent after the removal, failed or slow), for the log. */
  bad: Answer[];
}

export interface RunData {
  answers: Answer[];
  writes: Write[];
  receipts: Receipt[];
  problems: StreamProblem[];
}

/** An answer this much slower than its kind's quiet p99 has not recovered (the slow fault adds 3 s; CPU noise on 2 shared cores adds far less). */
const SLOW_MS = 1_000;

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
};

const tally = (items: string[]) => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([item, count]) => `${item} ×${count}`).join(', ') || '–';
};

export function summarizePhases(phases: PhaseMarks[], data: RunData, kinds: string[]): PhaseRow[] {
  const inPhase = <T>(items: T[], at: (item: T) => number, phase: PhaseMarks) => items.filter((item) => at(item) >= phase.start && at(item) < phase.end);
  const quiet = phases[0]!;
  const quietAnswers = inPhase(data.answers, (a) => a.startedAt, quiet).filter((a) => a.codes.length === 0 && a.startedAt + a.latencyMs < (phases[1]?.start ?? Infinity));
  const quietP99 = new Map(kinds.map((kind) => [kind, percentile(quietAnswers.filter((a) => a.kind === kind).map((a) => a.latencyMs), 0.99)]));
  const firstReceipt = new Map<string, number>();
  const duplicates = new Map<string, number>();
  for (const receipt of data.receipts) {
    const id = `${receipt.reference}@${receipt.key}`;
    if (receipt.duplicate) duplicates.set(id, (duplicates.get(id) ?? 0) + 1);
    else if (!firstReceipt.has(id)) firstReceipt.set(id, receipt.atMs);
  }

  return phases.map((phase, index) => {
    // An answer still in flight when the next phase's fault began says nothing about this phase's.
    const nextFault = phases[index + 1]?.start ?? Number.POSITIVE_INFINITY;
    const answers = inPhase(data.answers, (a) => a.startedAt, phase).filter((a) => a.startedAt + a.latencyMs < nextFault);
    const elsewhereKinds = kinds.filter((kind) => !phase.touches.includes(kind));
    const elsewhereLatencies = answers.filter((a) => elsewhereKinds.includes(a.kind) && a.codes.length === 0).map((a) => a.latencyMs);
    const p99ElsewhereMs = percentile(elsewhereLatencies, 0.99);
    const quietElsewhere = percentile(quietAnswers.filter((a) => elsewhereKinds.includes(a.kind)).map((a) => a.latencyMs), 0.99);

    let recoverySeconds = Number.NaN;
    let bad: Answer[] = [];
    if (phase.removedAt !== undefined) {
      bad = answers.filter((a) => a.startedAt >= phase.removedAt! && (a.codes.length > 0 || a.latencyMs > (quietP99.get(a.kind) ?? Infinity) + SLOW_MS));
      const lastBadEnd = Math.max(phase.removedAt, ...bad.map((a) => a.startedAt + a.latencyMs));
      const lastStart = Math.max(...answers.map((a) => a.startedAt));
      // Still bad among the last answers of the phase: it had not recovered when the phase ended.
      recoverySeconds = bad.some((a) => a.startedAt >= lastStart - 1_000) ? Number.POSITIVE_INFINITY : (lastBadEnd - phase.removedAt) / 1000;
    }

    const writes = inPhase(data.writes, (w) => w.sentAt, phase);
    let delivered = 0;
    let duplicated = 0;
    let maxDeliveryMs = 0;
    for (const write of writes) {
      const id = `${write.reference}@${write.key}`;
      const at = firstReceipt.get(id);
      if (at !== undefined) {
        delivered += 1;
        maxDeliveryMs = Math.max(maxDeliveryMs, at - write.sentAt);
      }
      duplicated += duplicates.get(id) ?? 0;
    }
    const problems = inPhase(data.problems, (p) => p.atMs, phase);

    return {
      name: phase.name,
      fault: phase.fault,
      answers: answers.length,
      clean: answers.filter((a) => a.codes.length === 0).length,
      errorsByCode: tally(answers.flatMap((a) => a.codes)),
      elsewhere: elsewhereKinds.join(', '),
      p99ElsewhereMs,
      ratio: p99ElsewhereMs / quietElsewhere,
      recoverySeconds,
      written: writes.length,
      delivered,
      lost: writes.length - delivered,
      duplicated,
      maxDeliveryMs,
      streamEndings: tally(problems.map((p) => p.kind)),
      notes: phase.notes,
      bad,
    };
  });
}

/** Receipts that match no committed write (e.g. a write the writer counted as failed but that was committed). */
export function unexpectedReceipts(data: RunData): number {
  const written = new Set(data.writes.map((w) => `${w.reference}@${w.key}`));
  return data.receipts.filter((r) => !r.duplicate && !written.has(`${r.reference}@${r.key}`)).length;
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : '–');
const recovery = (seconds: number) => (Number.isNaN(seconds) ? '–' : seconds === Number.POSITIVE_INFINITY ? 'not within the phase' : `${seconds.toFixed(1)} s`);
const ratio = (row: PhaseRow) => (Number.isFinite(row.ratio) ? `${row.ratio.toFixed(2)}×${row.ratio > 2 ? ' ✗' : ''}` : '–');

const HEADER = ['phase', 'fault', 'answers (clean)', 'errors by code', 'p99 elsewhere ms (kinds)', 'vs quiet', 'recovery', 'events written', 'delivered', 'lost', 'duplicated', 'max delivery ms', 'stream endings seen by clients'];

function cells(row: PhaseRow): string[] {
  return [
    row.name,
    row.fault,
    `${row.answers} (${row.clean})`,
    row.errorsByCode,
    `${ms(row.p99ElsewhereMs)} (${row.elsewhere})`,
    ratio(row),
    recovery(row.recoverySeconds),
    String(row.written),
    String(row.delivered),
    `${row.lost}${row.lost > 0 ? ' ✗' : ''}`,
    `${row.duplicated}${row.duplicated > 0 ? ' ✗' : ''}`,
    ms(row.maxDeliveryMs),
    row.streamEndings,
  ];
}

export function markdownTable(rows: PhaseRow[]): string {
  const line = (values: string[]) => `| ${values.map((value) => value.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map((row) => line(cells(row)))].join('\n');
}

export function verdicts(rows: PhaseRow[]): string[] {
  const slow = rows.filter((row) => row.ratio > 2);
  const lost = rows.reduce((sum, row) => sum + row.lost, 0);
  const duplicated = rows.reduce((sum, row) => sum + row.duplicated, 0);
  return [
    `p99 elsewhere within 2× of quiet: ${slow.length === 0 ? 'met in every phase' : `missed in ${slow.map((row) => `${row.name} (${row.ratio.toFixed(2)}×)`).join(', ')}`}`,
    `subscription events lost: ${lost} (goal 0); duplicated: ${duplicated} (goal 0)`,
  ];
}

export interface FaultsRunDetails {
  date: string;
  command: string;
  machine: string;
  settings: string;
  notes: string[];
}

export function faultsRecord(rows: PhaseRow[], run: FaultsRunDetails): string {
  const phaseNotes = rows.flatMap((row) => row.notes.map((note) => `- ${row.name}: ${note}`));
  return [
    FAULTS_BEGIN,
    DEFINITIONS,
    '',
    `Command: \`${run.command}\`, ${run.date}. Machine: ${run.machine}.`,
    `Settings: ${run.settings}.`,
    '',
    markdownTable(rows),
    '',
    ...verdicts(rows).map((line) => `- ${line}`),
    ...phaseNotes,
    ...run.notes.map((note) => `- ${note}`),
    FAULTS_END,
  ].join('\n');
}

/** RESULTS.md with the recorded block replaced (or the section added at the end); the rest kept. */
export function withFaultsRecord(results: string, record: string): string {
  const begin = results.indexOf(FAULTS_BEGIN);
  const end = results.indexOf(FAULTS_END);
  if (begin >= 0 && end > begin) return results.slice(0, begin) + record + results.slice(end + FAULTS_END.length);
  return `${results.trimEnd()}\n\n${FAULTS_SECTION}\n\n${record}\n`;
}

const DEFINITIONS = [
  'A steady mixed load through one gateway (fixed rates, open model) while faults are injected one',
  'phase at a time (3 s apart; an answer still in flight when the next fault begins is left out), on',
  'loopback, with every process supervised as `npm start` does. "p99 elsewhere":',
  'answers whose query does not touch the faulty system, against the quiet phase (goal ≤ 2×).',
  '"recovery": from the fault\'s removal (for a killed process: its restart) to the end of the last',
  'answer sent after it that failed or took over 1 s more than its kind\'s quiet p99. Subscribers follow',
  'requests a writer changes straight in the GRC; they resubscribe from their last cursor after any',
  'ending, as the README tells clients to; "lost" = committed, never received; "duplicated" = the',
  'same cursor received twice (goals 0).',
].join('\n');
