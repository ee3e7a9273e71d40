/**
 * The measuring loop every `npm run bench` scenario shares: per query, each gateway is warmed up,
 * then the measured time is split into rounds whose gateway order alternates (forward, then
 * reversed) so that drift on the machine does not favour one gateway. The CPU time of the gateway
 * and of the processes behind it is read from /proc around each of its rounds.
 */
import { cpuSeconds, totalCpuSeconds } from './cpu.ts';
import { emptyTally, runLoad, summarize, type Tally } from './load.ts';
import type { BenchQuery } from './queries.ts';
import type { Row } from './report.ts';

export interface MeasuredGateway {
  name: string;
  url: string;
  /** The gateway's process, whose CPU time is measured. */
  pid: number | undefined;
}

export interface RoundsOptions<G extends MeasuredGateway> {
  /** Measured seconds per gateway and query, split over the rounds. */
  duration: number;
  connections: number;
  /** Seconds of unmeasured load per gateway and query before the rounds. */
  warmup: number;
  rounds: number;
  /** Aborted: stop at once and return no rows. */
  signal: AbortSignal;
  log: (line: string) => void;
  /** Wraps each measured round of one gateway (e.g. to sample its memory or count subgraph calls meanwhile). */
  around?: (gateway: G, round: () => Promise<void>) => Promise<void>;
}

export async function measureRounds<G extends MeasuredGateway>(
  gateways: G[],
  upstreamPids: (number | undefined)[],
  query: BenchQuery,
  options: RoundsOptions<G>,
): Promise<Row[]> {
  const { log, signal } = options;
  const tallies = new Map<string, Tally>(gateways.map((gateway) => [gateway.name, emptyTally()]));
  if (options.warmup > 0) {
    for (const gateway of gateways) {
      if (signal.aborted) return [];
      log(`${query.name}: warming up ${gateway.name} (${options.warmup} s)`);
      await runLoad(gateway.url, query.body, { duration: options.warmup, connections: options.connections, signal });
    }
  }
  const roundSeconds = options.duration / options.rounds;
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? gateways : [...gateways].reverse();
    for (const gateway of order) {
      if (signal.aborted) return [];
      log(`${query.name}: round ${round + 1}/${options.rounds}, ${gateway.name} (${roundSeconds} s)`);
      const load = { duration: roundSeconds, connections: options.connections, signal };
      const tally = tallies.get(gateway.name)!;
      const measured = async () => {
        const before = { gateway: cpuSeconds(gateway.pid), upstream: totalCpuSeconds(upstreamPids) };
        await runLoad(gateway.url, query.body, load, tally);
        tally.gatewayCpuSeconds = addCpu(tally.gatewayCpuSeconds, before.gateway, cpuSeconds(gateway.pid));
        tally.upstreamCpuSeconds = addCpu(tally.upstreamCpuSeconds, before.upstream, totalCpuSeconds(upstreamPids));
      };
      await (options.around ? options.around(gateway, measured) : measured());
    }
  }
  if (signal.aborted) return [];
  return gateways.map((gateway) => ({ gateway: gateway.name, query: query.name, ...summarize(tallies.get(gateway.name)!) }));
}

function addCpu(sum: number | undefined, before: number | undefined, after: number | undefined): number | undefined {
  return sum === undefined || before === undefined || after === undefined ? undefined : sum + (after - before);
}
