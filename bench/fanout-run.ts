/**
 * One fan-out run: a fresh gateway process, N subscribers on it, a steady stream of back-office
 * writes, and everything each subscriber received. The phases, in order:
 *   1. start a gateway of its own (so its memory before and after is this run's alone), warm it
 *      with one subscriber, read its RSS;
 *   2. open probes straight on the requests subgraph (what the capture emits, before the gateway);
 *   3. connect the N subscribers in batches (distinct requests: each batch made live by a warm-up
 *      change before the next); wait until the gateway counts them all, the subgraph has joined
 *      every bus channel (Redis PUBSUB) and a warm-up change reached every subscriber — only then
 *      is every stream known to be live end to end; read the RSS again;
 *   4. write at the steady rate for the duration, then wait until every expected delivery arrived
 *      (or nothing arrived for a while), with the CPU time of every process measured around it.
 */
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { launch } from '../scripts/launcher.ts';
import type { RunningSystem } from '../scripts/system.ts';
import { cpuSeconds, totalCpuSeconds } from './cpu.ts';
import { Receipts, summarizeRun, type FanoutRow, type GrcStorage, type Scenario } from './fanout-report.ts';
import { SubscriberPool } from './fanout-subscribers.ts';
import { writeSteadily, type BackOffice } from './fanout-writer.ts';

const SELECTION = '{ reference status cursor updatedAt }';
const QUEUE = `subscription Queue($service: String!, $after: String) { serviceQueue(service: $service, after: $after) ${SELECTION} }`;
const TRACK = `subscription Track($reference: String!, $after: String) { requestUpdated(reference: $reference, after: $after) ${SELECTION} }`;
/** The subgraph's bus channels (subgraphs/requests/capture: namespace + channel). */
const CHANNELS = 'passerelle:requests:';

export interface FanoutContext {
  grc: GrcStorage;
  system: RunningSystem;
  /** Environment of the gateways this benchmark starts. */
  gatewayEnv: Record<string, string>;
  redis: Redis;
  backOffice: BackOffice;
  /** "Bearer …" of an agent: may follow any request and any service queue. */
  authorization: string;
  /** The service of the "one queue" scenario, and its open requests. */
  queue: { code: string; references: string[] };
  /** Requests, one per subscriber of the "distinct" scenario, with their services. */
  distinct: { reference: string; service: string }[];
  rate: number;
  duration: number;
  batchSize: number;
  seed: number;
  /** The gateways preload bench/cpu-profile.ts: ask for a profile before and after the measured time. */
  profiling: boolean;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Stops, run on exit and on Ctrl-C: a run registers what it starts here. */
  onStop: (stop: () => Promise<void>) => void;
}

export async function runFanout(context: FanoutContext, scenario: Scenario, subscribers: number): Promise<FanoutRow> {
  const { log } = context;
  const label = `${context.grc} ${scenario} ${subscribers}`;
  if (scenario === 'distinct' && context.distinct.length < subscribers) {
    throw new Error(`Only ${context.distinct.length} requests for ${subscribers} distinct subscribers: raise GRC_SEED_REQUESTS.`);
  }
  // Without `after`, a stream starts at the feed's head as the subgraph reads it when setting the
  // stream up — with thousands arriving at once, seconds later, so early events would be "before
  // it started". From the head as it is now, nothing written from now on can be missed.
  const after = await context.backOffice.feedHead();
  const variables =
    scenario === 'queue' ? () => ({ service: context.queue.code, after }) : (index: number) => ({ reference: context.distinct[index]!.reference, after });
  const indexOf = new Map(context.distinct.slice(0, subscribers).map((entry, index) => [entry.reference, index]));
  const query = scenario === 'queue' ? QUEUE : TRACK;
  const references = scenario === 'queue' ? context.queue.references : context.distinct.slice(0, subscribers).map((entry) => entry.reference);

  log(`${label}: starting a fresh gateway`);
  const gateway = await launch({ name: `gateway-${scenario}-${subscribers}`, entry: 'gateway/main.ts', env: context.gatewayEnv });
  context.onStop(() => gateway.stop());
  const gatewayUrl = gateway.urls.graphql!;
  const gatewayPid = gateway.child.pid;
  const upstreamPids = context.system.processes.filter((launched) => launched.name !== 'gateway').map((launched) => launched.child.pid);

  let receipts = new Receipts();
  let probeReceipts = new Receipts();
  const problems = new Map<string, number>();
  const problem = (kind: string) => problems.set(kind, (problems.get(kind) ?? 0) + 1);
  const poolOptions = { authorization: context.authorization, query, variables };

  // 1. Warm the gateway (planner, code paths) with one subscriber, then take its memory baseline.
  const warm = new SubscriberPool({ ...poolOptions, url: gatewayUrl, onEvent: () => {}, onProblem: (_index, kind) => problem(`warm-up: ${kind}`) });
  await warm.open(0, 1);
  await waitFor(async () => (await gatewayCounts(gatewayUrl)).subscribers === 1, 'the warm-up subscriber', 30_000, context.signal);
  await warm.close();
  await waitFor(async () => (await gatewayCounts(gatewayUrl)).subscribers === 0, 'the warm-up subscriber to leave', 30_000, context.signal);
  await pause(1_000);
  const rssBeforeKiB = rssKiB(gatewayPid);

  // 2. Probes on the subgraph itself: one per service involved (each change is on one service's queue).
  const services = scenario === 'queue' ? [context.queue.code] : [...new Set(context.distinct.slice(0, subscribers).map((entry) => entry.service))];
  const probes = new SubscriberPool({
    url: context.system.subgraphs.requests,
    authorization: context.authorization,
    query: QUEUE,
    variables: (index) => ({ service: services[index]!, after }),
    onEvent: (index, key, atMs) => probeReceipts.add(index, key, atMs),
    onProblem: (_index, kind) => problem(`probe: ${kind}`),
  });
  context.onStop(() => probes.close());
  await probes.open(0, services.length);

  // 3. The subscribers, in batches.
  // A subscriber is live once a change reached it: the whole path, gateway to capture, is set up.
  const live = new Uint8Array(subscribers);
  let liveCount = 0;
  const pool = new SubscriberPool({
    ...poolOptions,
    url: gatewayUrl,
    // A stream the subgraph could not set up (e.g. LEGACY_TIMEOUT while thousands start at once)
    // is subscribed again, as clients do; the problems column still counts every failure.
    resubscribe: 5,
    onEvent: (index, key, atMs) => {
      if (live[index] === 0) {
        live[index] = 1;
        liveCount += 1;
      }
      receipts.add(index, key, atMs);
    },
    onProblem: (_index, kind) => problem(kind.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '…')),
  });
  context.onStop(() => pool.close());
  const waitLive = (count: number) =>
    waitFor(
      () => liveCount >= count,
      () => `${count} live subscribers (${liveCount} so far; the probes on the subgraph got ${probeReceipts.length} changes; problems: ${describeProblems(problems)})`,
      120_000,
      context.signal,
    );
  const rampStart = performance.now();
  for (let from = 0; from < subscribers && !context.signal.aborted; from += context.batchSize) {
    const to = Math.min(subscribers, from + context.batchSize);
    await pool.open(from, to);
    // Distinct requests: each stream costs the subgraph journal queries to set up, which the GRC
    // serves one at a time; opening the next batch only once this one is live keeps those queries
    // from piling up past the subgraph's timeout. Warm-up changes, one per request, not measured.
    if (scenario === 'distinct') {
      await context.backOffice.touchAll(references.slice(from, to));
      await waitLive(to);
    }
    if ((from / context.batchSize) % 4 === 3) log(`${label}: ${to} subscribers connected`);
  }
  let counts = { upstream: 0, subscribers: 0 };
  await waitFor(
    async () => (counts = await gatewayCounts(gatewayUrl)).subscribers === subscribers,
    () => `the gateway to count ${subscribers} subscribers (it counts ${counts.subscribers}, ${counts.upstream} upstream; problems: ${describeProblems(problems)})`,
    180_000,
    context.signal,
  );
  const rampSeconds = (performance.now() - rampStart) / 1000;
  log(`${label}: all subscribed in ${rampSeconds.toFixed(1)} s (${counts.upstream} upstream); waiting for the subgraph's bus channels`);
  const channels = scenario === 'queue' ? 1 : new Set(references).size;
  await waitFor(async () => (await busChannels(context.redis, scenario)) >= channels, `${channels} bus channels`, 180_000, context.signal);
  if (scenario === 'queue') {
    // Warm-up, not measured: once a change reached every subscriber, the shared stream is live.
    await context.backOffice.write(references[0]!);
    await waitLive(subscribers);
  }
  await pause(2_000);
  const rssAfterKiB = rssKiB(gatewayPid);
  receipts = new Receipts();
  probeReceipts = new Receipts();
  const setupProblems = new Map(problems);
  problems.clear();

  // 4. The measured stream.
  log(`${label}: writing ${context.rate} events/s for ${context.duration} s`);
  // Profiles: start-up and ramp-up in the first file, the measured stream alone in the second.
  if (context.profiling) gateway.child.kill('SIGUSR2');
  const cpuBefore = { gateway: cpuSeconds(gatewayPid), upstream: totalCpuSeconds(upstreamPids), self: process.cpuUsage() };
  const elu = performance.eventLoopUtilization();
  const events = await writeSteadily({
    backOffice: context.backOffice,
    references,
    rate: context.rate,
    duration: context.duration,
    seed: context.seed,
    signal: context.signal,
  });
  const expected = scenario === 'queue' ? events.length * subscribers : events.length;
  await drain(() => receipts.length, expected, context.signal);
  const cpuAfter = { gateway: cpuSeconds(gatewayPid), upstream: totalCpuSeconds(upstreamPids), self: process.cpuUsage(cpuBefore.self) };
  const loadGeneratorElu = performance.eventLoopUtilization(elu).utilization;
  if (context.profiling) {
    gateway.child.kill('SIGUSR2');
    await pause(2_000);
  }
  let lastReceipt = events[0]?.sentAtMs ?? 0;
  for (const atMs of receipts.atMs) lastReceipt = Math.max(lastReceipt, atMs);

  log(`${label}: closing ${subscribers} subscribers`);
  await pool.close();
  await probes.close();
  await gateway.stop();

  const row = summarizeRun({
    grc: context.grc,
    scenario,
    subscribers,
    events,
    receipts,
    recipients: (event) => (scenario === 'queue' ? 'all' : [indexOf.get(event.reference)!]),
    probeReceipts,
    rampSeconds,
    rssBeforeKiB,
    rssAfterKiB,
    gatewayCpuSeconds: difference(cpuBefore.gateway, cpuAfter.gateway),
    upstreamCpuSeconds: difference(cpuBefore.upstream, cpuAfter.upstream),
    loadGeneratorCpuSeconds: (cpuAfter.self.user + cpuAfter.self.system) / 1e6,
    seconds: events.length > 0 ? (lastReceipt - events[0]!.sentAtMs) / 1000 : 0,
    problems,
    setupProblems,
    loadGeneratorEventLoop: loadGeneratorElu,
  });
  const slowWrites = events.filter((event) => event.writeMs > 50).length;
  log(`${label}: done (load generator event loop ${(loadGeneratorElu * 100).toFixed(0)}% busy${slowWrites ? `, ${slowWrites} writes over 50 ms` : ''})`);
  return row;
}

/** Waits for `expected` receipts; gives up when none came for 5 s (what is missing is then counted). */
async function drain(count: () => number, expected: number, signal: AbortSignal): Promise<void> {
  let last = count();
  let lastProgress = performance.now();
  while (count() < expected && !signal.aborted && performance.now() - lastProgress < 5_000) {
    await pause(50);
    if (count() !== last) {
      last = count();
      lastProgress = performance.now();
    }
  }
}

function describeProblems(problems: Map<string, number>): string {
  return [...problems].map(([kind, count]) => `${count}× ${kind.slice(0, 200)}`).join('; ') || 'none';
}

async function gatewayCounts(url: string): Promise<{ upstream: number; subscribers: number }> {
  const response = await fetch(url.replace(/\/graphql$/, '/health'));
  const body = (await response.json()) as { subscriptions?: { upstream: number; subscribers: number } };
  return body.subscriptions ?? { upstream: 0, subscribers: 0 };
}

/** Bus channels the requests subgraph has joined in Redis for this scenario's kind of stream. */
async function busChannels(redis: Redis, scenario: Scenario): Promise<number> {
  const pattern = `${CHANNELS}${scenario === 'queue' ? 'service' : 'request'}:*`;
  const channels = await redis.call('PUBSUB', 'CHANNELS', pattern);
  return Array.isArray(channels) ? channels.length : 0;
}

/** Resident memory of a process, from /proc/<pid>/status; undefined where it cannot be read. */
export function rssKiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** `what` may be a function, so that a timeout reports the state at that moment. */
async function waitFor(condition: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const describe = () => (typeof what === 'string' ? what : what());
  while (!(await condition())) {
    if (signal.aborted) throw new Error(`interrupted while waiting for ${describe()}`);
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${describe()}`);
    await pause(50);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function difference(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after - before;
}
