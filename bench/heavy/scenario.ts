/**
 * The heavy and trivial scenarios of `npm run bench`: starts the four subgraphs and every gateway
 * variant, checks their answers against stock Apollo's, then measures each query in alternating
 * rounds, with the gateway's peak memory and the subgraph calls it made on top of the usual figures.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASELINE } from '../report.ts';
import { measureRounds, type RoundsOptions } from '../rounds.ts';
import { compareAnswers, type AnswerProfile } from './compare.ts';
import { startHeavyFederation, type HeavyFederation, type HeavySubgraphName, type HeavySubgraphStats } from './federation.ts';
import { gatewayVariants, startGatewayVariant, type GatewayKind, type StartedGateway } from './gateways.ts';
import { HEAVY_QUERIES, type HeavyQueryName } from './queries.ts';
import type { HeavyRow } from './report.ts';

/** The rounds' settings (duration, connections, warm-up, rounds, signal, log), and what to run them on. */
export interface HeavyScenarioOptions extends Omit<RoundsOptions<StartedGateway>, 'around'> {
  queries: HeavyQueryName[];
  /** Gateways besides stock Apollo, which always runs (the reference). */
  kinds: GatewayKind[];
  /** De-duplication settings to run, for the gateways that have the switch. */
  dedups: boolean[];
  /** Registers a clean-up (the benchmark's lifecycle). */
  onStop: (stop: () => Promise<void>) => void;
}

export interface HeavyOutcome {
  rows: HeavyRow[];
  profiles: AnswerProfile[];
  /** Answers that differ from stock Apollo's: when not empty, nothing was measured. */
  problems: string[];
  notes: string[];
  gateways: string[];
}

/** Sampling period of the gateways' memory during their measured rounds. */
const RSS_SAMPLE_MS = 100;

export async function runHeavyScenarios(options: HeavyScenarioOptions): Promise<HeavyOutcome> {
  const { log, onStop } = options;
  const notes: string[] = [];
  log('heavy: starting the four subgraphs (accounts, inventory, products, reviews)…');
  const federation = await startHeavyFederation();
  onStop(() => federation.close());
  const folder = mkdtempSync(join(tmpdir(), 'passerelle-bench-heavy-'));
  onStop(async () => rmSync(folder, { recursive: true, force: true }));
  const supergraphPath = join(folder, 'supergraph.graphql');
  writeFileSync(supergraphPath, federation.supergraphSdl);

  const gateways: StartedGateway[] = [];
  for (const variant of gatewayVariants(options.kinds, options.dedups)) {
    if (options.signal.aborted) break;
    log(`heavy: starting ${variant.name}…`);
    try {
      const gateway = await startGatewayVariant(variant, supergraphPath);
      onStop(() => gateway.stop());
      gateways.push(gateway);
    } catch (error) {
      // Only the third-party gateways may be missing from a run: without ours or the baseline there is nothing to compare.
      if (variant.kind === 'passerelle' || variant.kind === 'stock') throw error;
      const reason = (error as Error).message;
      log(`${variant.name} could not run; it is left out of this run:\n${reason}`);
      notes.push(`${variant.name} could not run on this machine (Node ${process.versions.node}), so it has no figures: ${reason.split('\n').slice(0, 6).join(' / ')}`);
    }
  }
  for (const gateway of gateways) log(`  ${gateway.name}: ${gateway.url}`);

  const queries = options.queries.map((name) => HEAVY_QUERIES[name]);
  const { problems, profiles } = await compareAnswers(gateways, queries, BASELINE, federation);
  const names = gateways.map((gateway) => gateway.name);
  if (problems.length > 0) return { rows: [], profiles, problems, notes, gateways: names };
  for (const query of queries) {
    const sizes = profiles.filter((profile) => profile.query === query.name).map((profile) => profile.bytes);
    const range = Math.min(...sizes) === Math.max(...sizes) ? `${sizes[0]} B` : `${Math.min(...sizes)}–${Math.max(...sizes)} B`;
    log(`checked "${query.name}": ${gateways.length} gateways, identical data (bodies ${range})`);
    notes.push(`Before the load, all ${gateways.length} gateways answered "${query.name}" with HTTP 200, no errors and \`data\` identical to ${BASELINE}'s after JSON.stringify (response bodies ${range}).`);
  }

  const rows: HeavyRow[] = [];
  for (const query of queries) {
    if (options.signal.aborted) break;
    const extras = new Map(names.map((name) => [name, { peakRssMiB: Number.NaN, calls: 0, bytes: 0 }]));
    const measured = await measureRounds(gateways, federation.pids, query, {
      ...options,
      around: async (gateway, round) => {
        const extra = extras.get(gateway.name)!;
        // The warm-up's or the previous round's last requests may still be fetching: let them end first.
        const before = await settledStats(federation);
        const sample = () => {
          const rss = rssMiB(gateway.pid);
          if (rss !== undefined && !(rss <= extra.peakRssMiB)) extra.peakRssMiB = rss;
        };
        const timer = setInterval(sample, RSS_SAMPLE_MS);
        try {
          await round();
        } finally {
          clearInterval(timer);
        }
        // Requests cut short by the end of the round still finish their subgraph calls: wait for them,
        // so that they count for this gateway (divided by requests sent, not answered) and not the next.
        const after = await settledStats(federation);
        extra.calls += total(after, 'requests') - total(before, 'requests');
        extra.bytes += total(after, 'requestBytes') - total(before, 'requestBytes');
      },
    });
    for (const row of measured) {
      const extra = extras.get(row.gateway)!;
      rows.push({
        ...row,
        peakRssMiB: extra.peakRssMiB,
        subgraphCallsPerRequest: row.sent > 0 ? extra.calls / row.sent : Number.NaN,
        subgraphKiBPerRequest: row.sent > 0 ? extra.bytes / 1024 / row.sent : Number.NaN,
      });
    }
  }
  return { rows, profiles, problems, notes, gateways: names };
}

/** The subgraphs' counters once they stop moving (read every 100 ms, for 10 s at most). */
async function settledStats(federation: HeavyFederation): Promise<Record<HeavySubgraphName, HeavySubgraphStats>> {
  let previous = await federation.stats();
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    await new Promise((wait) => setTimeout(wait, 100));
    const current = await federation.stats();
    if (total(current, 'requests') === total(previous, 'requests')) return current;
    previous = current;
  }
  return previous;
}

function total(stats: Record<HeavySubgraphName, HeavySubgraphStats>, field: keyof HeavySubgraphStats): number {
  return Object.values(stats).reduce((sum, subgraph) => sum + subgraph[field], 0);
}

/** The process's resident memory now, from /proc (undefined where it cannot be read). */
function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
