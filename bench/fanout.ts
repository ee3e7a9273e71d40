/**
 * `npm run bench:fanout [-- --scenario queue,distinct --subscribers 1000,10000 --grc postgresql,pglite
 * --rate 2 --duration 20 --batch 500 --poll-ms <CAPTURE_POLL_MS> --redis <url> --profile <dir> --record]`:
 * subscription fan-out through
 * ONE gateway process. Thousands of graphql-ws subscribers (in this process), changes written
 * straight into the GRC database at a steady rate, and for each delivery the latency from that
 * write to the subscriber. Scenarios:
 * - `queue`: every subscriber on `serviceQueue` of the same service, same token and selection: the
 *   gateway shares one upstream subscription, and each event goes to all N subscribers;
 * - `distinct`: subscriber i on `requestUpdated` of its own request: N upstream subscriptions,
 *   and each event goes to exactly one subscriber.
 * Each runs on each GRC storage asked for: `postgresql` (the local server, a fresh database per
 * benchmark: what the region runs, where the capture is woken by NOTIFY) and `pglite` (the embedded
 * default, which never delivers NOTIFY: the capture polls every CAPTURE_POLL_MS).
 * Prints a table per run; `--record` also rewrites the recorded block of bench/RESULTS.md.
 * Goal (the issue): 10,000 subscribers on one queue, each event to all of them, p99 < 250 ms.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { requestsSubgraphEnv } from '../common/config.ts';
import { readEnv } from '../common/env.ts';
import { ROOT } from '../scripts/launcher.ts';
import { startSystem } from '../scripts/system.ts';
import { agentClaims, signToken, tokenKey } from '../subgraphs/kit/index.ts';
import { implementations } from '../tests/requests/harness.ts';
import { startPrivateRedis } from '../tests/requests/subscriptions-harness.ts';
import { fanoutConsoleTable, fanoutRecord, withFanoutRecord, GOAL, verdict, type FanoutRow, type GrcStorage, type Scenario } from './fanout-report.ts';
import { runFanout, type FanoutContext } from './fanout-run.ts';
import { BackOffice } from './fanout-writer.ts';
import { benchLifecycle } from './lifecycle.ts';

const RESULTS = resolve(ROOT, 'bench/RESULTS.md');

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'queue,distinct' },
    grc: { type: 'string', default: 'postgresql,pglite' },
    subscribers: { type: 'string', default: '1000,10000' },
    rate: { type: 'string', default: '2' },
    duration: { type: 'string', default: '20' },
    batch: { type: 'string', default: '500' },
    'poll-ms': { type: 'string' },
    redis: { type: 'string' },
    profile: { type: 'string' },
    seed: { type: 'string', default: '42' },
    record: { type: 'boolean', default: false },
  },
});

function list<T extends string>(name: string, text: string, allowed?: readonly T[]): T[] {
  const items = text.split(',').map((item) => item.trim()).filter(Boolean);
  const wrong = items.filter((item) => (allowed ? !allowed.includes(item as T) : !(Number.isInteger(Number(item)) && Number(item) > 0)));
  if (items.length === 0 || wrong.length > 0) fail(`--${name}: ${allowed ? `one or more of ${allowed.join(',')}` : 'positive integers, comma-separated'} (got "${text}")`);
  return items as T[];
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) fail(`--${name} must be a positive number (got "${text}").`);
  return value;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const options = {
  scenarios: list<Scenario>('scenario', args.scenario, ['queue', 'distinct']),
  grcs: list<GrcStorage>('grc', args.grc, ['postgresql', 'pglite']),
  subscribers: list('subscribers', args.subscribers).map(Number),
  /** Events per second written to the GRC during the measured time. */
  rate: positive('rate', args.rate),
  /** Measured seconds of writes per run. */
  duration: positive('duration', args.duration),
  /** Subscribers connected at once during the ramp-up. */
  batchSize: Math.round(positive('batch', args.batch)),
  /** CAPTURE_POLL_MS of the requests subgraph; unset: its default. */
  pollMs: args['poll-ms'] === undefined ? undefined : String(Math.round(positive('poll-ms', args['poll-ms']))),
  seed: Math.round(positive('seed', args.seed)),
};

const log = (line: string) => console.error(`[bench:fanout] ${line}`);

/** Stops, in reverse order, everything started so far: also on errors and Ctrl-C. */
const { onStop, interrupted, run } = benchLifecycle(log);

async function main(): Promise<number> {
  const loadBefore = loadavg()[0]!;
  const largestDistinct = options.scenarios.includes('distinct') ? Math.max(...options.subscribers) : 0;
  // Distinct requests need one request per subscriber.
  const seedRequests = Math.max(5_000, largestDistinct + 500);

  let redisUrl = args.redis;
  if (!redisUrl) {
    const redis = await startPrivateRedis();
    onStop(() => redis.stop());
    redisUrl = redis.url;
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  onStop(async () => redis.disconnect());
  const key = tokenKey(readEnv(requestsSubgraphEnv).authSecret);
  const { token } = await signToken(key, agentClaims('AG0001'), new Date(), 4 * 3600);

  const rows: FanoutRow[] = [];
  for (const grc of options.grcs) {
    if (interrupted.aborted) return 130;
    const storage = await createStorage(grc);
    log(`${grc}: starting the stand-ins and subgraphs (GRC seed: ${seedRequests} requests, Redis ${redisUrl})…`);
    // One system per storage, stopped before the next starts: the runs never share the machine.
    const stops: (() => Promise<void>)[] = [() => storage.drop()];
    const stopSystem = once(async () => {
      for (const stop of stops.splice(0).reverse()) await stop();
    });
    onStop(stopSystem);
    const system = await startSystem({
      freePorts: true,
      env: {
        ...storage.env,
        LOG_LEVEL: 'warn',
        LYCEES_API_LATENCY_MS: '0',
        REDIS_URL: redisUrl,
        GRC_SEED_REQUESTS: String(seedRequests),
        ...(options.pollMs ? { CAPTURE_POLL_MS: options.pollMs } : {}),
      },
    });
    stops.push(() => system.stop());
    // Each run starts a gateway of its own (fresh memory baseline); the system's would only idle.
    await system.processes.find((launched) => launched.name === 'gateway')?.stop();
    const backOffice = await BackOffice.connect(system.legacy.grc);
    stops.push(() => backOffice.close());

    const context: FanoutContext = {
      grc,
      system,
      gatewayEnv: {
        PORT: '0',
        LOG_LEVEL: 'warn',
        REDIS_URL: redisUrl,
        SUBGRAPH_URLS: Object.entries(system.subgraphs).map(([name, url]) => `${name}=${url}`).join(','),
        // A V8 CPU profile of each gateway's measured time (bench/cpu-profile.ts; open it in Chrome DevTools).
        ...(args.profile ? { NODE_OPTIONS: `--import tsx --import ${resolve(ROOT, 'bench/cpu-profile.ts')}`, CPU_PROFILE_DIR: resolve(args.profile) } : {}),
      },
      redis,
      backOffice,
      authorization: `Bearer ${token}`,
      queue: await backOffice.busiestService(),
      distinct: largestDistinct > 0 ? await backOffice.requests(largestDistinct) : [],
      rate: options.rate,
      duration: options.duration,
      batchSize: options.batchSize,
      seed: options.seed,
      profiling: args.profile !== undefined,
      signal: interrupted,
      log,
      onStop: (stop) => onStop(stop),
    };
    log(`${grc}: one queue: service ${context.queue.code} (${context.queue.references.length} open requests)`);

    for (const scenario of options.scenarios) {
      for (const subscribers of options.subscribers) {
        if (interrupted.aborted) return 130;
        const row = await runFanout(context, scenario, subscribers);
        rows.push(row);
        console.log(`\n${fanoutConsoleTable([row])}\n${row.problems ? `problems: ${row.problems}\n` : ''}`);
      }
    }
    await stopSystem();
  }

  console.log(`\n${fanoutConsoleTable(rows)}\n`);
  for (const goal of rows.filter((row) => verdict(row) !== '–')) {
    console.log(
      `Goal (${GOAL.subscribers} subscribers on one queue, p99 < ${GOAL.p99Ms} ms, none missing), GRC on ${goal.grc}: ${verdict(goal)} (p99 ${goal.p99Ms.toFixed(1)} ms, ${goal.missing} missing)`,
    );
  }
  if (args.record) {
    const record = fanoutRecord(rows, {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      command: ['npm run bench:fanout', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      machine: describeMachine(loadBefore),
      settings: [
        `${options.rate} events/s for ${options.duration} s per run`,
        `subscribers connected ${options.batchSize} at a time`,
        `one queue = \`serviceQueue\` of the service with the most open requests, distinct = \`requestUpdated(reference: …)\`, selection \`{ reference status cursor updatedAt }\``,
        `GRC seed ${seedRequests} requests, on ${options.grcs.map((grc) => (grc === 'postgresql' ? 'the local PostgreSQL (fresh database)' : 'PGlite')).join(' and on ')}`,
        `CAPTURE_POLL_MS ${options.pollMs ?? 'default (200)'}, private redis-server`,
      ].join('; '),
      notes: [],
    });
    writeFileSync(RESULTS, withFanoutRecord(existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '', record));
    log(`wrote ${RESULTS}`);
  }
  return 0;
}

/** A fresh GRC storage: PGlite in memory, or a new database on the local PostgreSQL (dropped at the end). */
async function createStorage(grc: GrcStorage): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const implementation = implementations.find((candidate) => candidate.name === grc);
  if (!implementation) fail(`--grc ${grc}: no PostgreSQL trusts this user at 127.0.0.1:5432 (use --grc pglite).`);
  return implementation.createStorage();
}

function once(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= work());
}

function describeMachine(loadBefore: number): string {
  const cpu = cpus();
  return [
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform}, Node ${process.versions.node}`,
    'shared by the load generator (subscribers and writer, one process), the gateway, the subgraphs, the stand-ins and Redis',
    `1-minute load average ${loadBefore.toFixed(1)} before the run (other work), ${loadavg()[0]!.toFixed(1)} at its end`,
  ].join('; ');
}

run(main);
