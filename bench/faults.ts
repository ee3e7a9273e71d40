/**
 * `npm run bench:faults [-- --phase-seconds 15 --rate 10 --impact-rate 1 --subscribers 10 --write-ms 250
 * --grc postgresql|pglite --record]`: the whole region on loopback, every process supervised as
 * `npm start` does, a steady mixed load through the gateway (one query touching only geo, one only
 * lycées, the Impact query touching everything, and subscribers following requests a writer changes
 * in the GRC), through phases of `--phase-seconds` each:
 *   quiet → the requests subgraph killed (SIGKILL; supervision restarts it) → the Lycées API slow
 *   (3 s, then back to 0 halfway) → the Lycées API failing 50 % (then 0 halfway) → Redis killed and
 *   started again on the same port → the GRC killed (supervision restarts it) → a new supergraph
 *   (a description changed) written to SUPERGRAPH_PATH. Phases are 3 s apart (load on, unmeasured).
 * Prints per phase the answers and errors by code, the p99 of answers that did not touch the faulty
 * system against the quiet phase, the time to recover, and subscription events lost and duplicated
 * (faults-report.ts defines each). `--record` rewrites the "Fault injection" block of bench/RESULTS.md.
 * Bounded: it stops by itself after the phases and a drain of at most 20 s.
 */
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { requestsSubgraphEnv } from '../common/config.ts';
import { readEnv } from '../common/env.ts';
import { ROOT } from '../scripts/launcher.ts';
import { startSystem } from '../scripts/system.ts';
import { signToken, tokenKey, trackingClaims } from '../subgraphs/kit/index.ts';
import { implementations } from '../tests/requests/harness.ts';
import { startPrivateRedis } from '../tests/requests/subscriptions-harness.ts';
import { startLoad, type Answer, type QueryKind } from './faults-load.ts';
import { faultsRecord, markdownTable, summarizePhases, unexpectedReceipts, verdicts, withFaultsRecord, type PhaseMarks, type RunData } from './faults-report.ts';
import { Follower, Writer, type Receipt, type StreamProblem } from './faults-streams.ts';
import { benchLifecycle } from './lifecycle.ts';
import { firstUai, impactQuery } from './queries.ts';

const RESULTS = resolve(ROOT, 'bench/RESULTS.md');
/** Between phases: the load goes on, unmeasured, while the previous phase's answers finish. */
const PAUSE_MS = 3_000;

const { values: args } = parseArgs({
  options: {
    'phase-seconds': { type: 'string', default: '15' },
    rate: { type: 'string', default: '10' },
    'impact-rate': { type: 'string', default: '1' },
    subscribers: { type: 'string', default: '10' },
    'write-ms': { type: 'string', default: '250' },
    grc: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
});

function positive(name: string, text: string, min = Number.MIN_VALUE): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) {
    console.error(`--${name} must be a number ≥ ${min} (got "${text}").`);
    process.exit(2);
  }
  return value;
}

const options = {
  /** Seconds per phase; faults that are removed are removed halfway. */
  phaseSeconds: positive('phase-seconds', args['phase-seconds'], 6),
  /** Requests per second of each light query (geo, lycées). */
  rate: positive('rate', args.rate),
  /** Requests per second of the Impact query (it touches every subgraph and costs ~20× a light one). */
  impactRate: positive('impact-rate', args['impact-rate']),
  subscribers: Math.round(positive('subscribers', args.subscribers, 1)),
  /** One GRC write every this many ms, to the followed requests in turn. */
  writeMs: positive('write-ms', args['write-ms'], 20),
};

const log = (line: string) => console.error(`[bench:faults] ${line}`);
const { onStop, interrupted, run } = benchLifecycle(log);

const sleep = (ms: number) =>
  new Promise<void>((done) => {
    const abort = () => (clearTimeout(timer), done());
    const timer = setTimeout(() => (interrupted.removeEventListener('abort', abort), done()), ms);
    interrupted.addEventListener('abort', abort, { once: true });
  });

async function main(): Promise<number> {
  const loadBefore = loadavg()[0]!;
  const postgres = implementations.find((implementation) => implementation.name === 'postgresql');
  const grcChoice = args.grc ?? (postgres ? 'postgresql' : 'pglite');
  const implementation = implementations.find((candidate) => candidate.name === grcChoice);
  if (!implementation) {
    console.error(`--grc ${grcChoice}: not available here (no PostgreSQL trusts this user at 127.0.0.1:5432?).`);
    return 2;
  }
  // PGlite in memory comes back from a restart as freshly seeded: every change since the start,
  // and every cursor, would be gone. The GRC phase needs the GRC's data to outlive its process.
  const grcRestartable = implementation.name === 'postgresql';
  const storage = await implementation.createStorage();
  onStop(() => storage.drop());
  const redis = await startPrivateRedis();
  onStop(() => redis.stop());
  const folder = mkdtempSync(join(tmpdir(), 'passerelle-faults-'));
  onStop(async () => rmSync(folder, { recursive: true, force: true }));
  const supergraphPath = join(folder, 'supergraph.graphql');
  const supergraph = readFileSync(resolve(ROOT, 'schema/supergraph.graphql'), 'utf8');
  writeFileSync(supergraphPath, supergraph);

  const restarts: { name: string; at: number }[] = [];
  /** Every exit supervision saw: one the benchmark did not cause is a finding, noted on its phase. */
  const exits: { name: string; message: string; at: number }[] = [];
  // What the processes print (warnings and errors at LOG_LEVEL=warn), kept for reading after the run.
  const logPath = join(tmpdir(), `passerelle-faults-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const processLog = createWriteStream(logPath);
  onStop(() => new Promise<void>((done) => processLog.end(done)));
  const since = performance.now();
  const stamp = () => `${((performance.now() - since) / 1000).toFixed(1).padStart(6)} s`;
  log(`starting the region (GRC on ${implementation.name}, private Redis ${redis.url}), supervised…`);
  const system = await startSystem({
    freePorts: true,
    supervise: true,
    env: {
      ...storage.env,
      LOG_LEVEL: 'warn',
      LYCEES_API_LATENCY_MS: '0',
      GRC_SEED_REQUESTS: '2000',
      REDIS_URL: redis.url,
      SUPERGRAPH_PATH: supergraphPath,
      // The load comes from one address: per-IP limits would measure refusals, not faults.
      RATE_LIMIT_ANONYMOUS: '0',
      COST_BUDGET_ANONYMOUS: '0',
    },
    onLine: (name, line) => void processLog.write(`${stamp()} ${name}: ${line}\n`),
    onSupervision: (name, message) => {
      log(`supervision: ${message}`);
      processLog.write(`${stamp()} supervision: ${message}\n`);
      if (message.includes(' restarted')) restarts.push({ name, at: performance.now() });
      else if (message.includes(' exited')) exits.push({ name, message, at: performance.now() });
    },
  });
  onStop(() => system.stop());
  const processOf = (name: string) => system.processes.find((launched) => launched.name === name)!;
  const restartOf = async (name: string, since: number) => {
    const deadline = performance.now() + 60_000;
    while (!interrupted.aborted && performance.now() < deadline) {
      const restart = restarts.find((candidate) => candidate.name === name && candidate.at >= since);
      if (restart) return restart.at;
      await sleep(50);
    }
    return undefined;
  };
  const setFaults = (url: string, faults: { latencyMs?: [number, number]; failureRate?: number }) =>
    fetch(`${url}/__admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });

  // The live side: subscribers from the feed's head as it is now, so nothing written later is missed.
  const references = await Writer.pickRequests(system.legacy.grc, options.subscribers);
  const writer = new Writer(system.legacy.grc, references);
  const after = await writer.feedHead();
  // Each subscriber is the citizen who filed its request (a tracking token, one principal each).
  const key = tokenKey(readEnv(requestsSubgraphEnv).authSecret);
  const tokens = await Promise.all(references.map(async (reference) => (await signToken(key, trackingClaims(reference), new Date(), 4 * 3600)).token));
  const data: RunData = { answers: [], writes: writer.writes, receipts: [], problems: [] };
  const followers = references.map(
    (reference, index) =>
      new Follower({
        url: system.gateway,
        authorization: `Bearer ${tokens[index]}`,
        reference,
        after,
        onReceipt: (receipt: Receipt) => void data.receipts.push(receipt),
        onProblem: (problem: StreamProblem) => void data.problems.push(problem),
      }),
  );
  for (const follower of followers) follower.open();
  onStop(async () => followers.forEach((follower) => follower.close()));

  const uai = await firstUai(system.gateway);
  const kinds: QueryKind[] = [
    { name: 'geo', rate: options.rate, body: JSON.stringify({ query: 'query Geo { departement(code: "93") { code name communes { code name population } } }' }) },
    { name: 'lycees', rate: options.rate, body: JSON.stringify({ query: `query Lycee { lycee(uai: ${JSON.stringify(uai)}) { uai name students } }` }) },
    { name: 'impact', rate: options.impactRate, body: impactQuery('93', 2025).body },
  ];
  log('warming up (3 s, not measured)…');
  const stopWarmup = startLoad({ url: system.gateway, kinds, onAnswer: () => undefined });
  await sleep(3_000);
  await stopWarmup();

  writer.start(options.writeMs);
  onStop(() => writer.stop());
  const stopLoad = startLoad({ url: system.gateway, kinds, onAnswer: (answer: Answer) => void data.answers.push(answer) });
  const phaseMs = options.phaseSeconds * 1000;
  const half = () => sleep(phaseMs / 2);

  /** `killed`: the process the phase kills on purpose (its exit is expected). */
  type Fault = { name: string; fault: string; touches: string[]; killed?: string; act: (marks: PhaseMarks) => Promise<void> };
  const faults: Fault[] = [
    { name: 'quiet', fault: 'none', touches: [], act: async () => undefined },
    {
      name: 'subgraph killed',
      fault: 'requests subgraph SIGKILL; supervision restarts it',
      touches: ['impact'],
      killed: 'requests',
      act: async (marks) => {
        const killedAt = performance.now();
        processOf('requests').child.kill('SIGKILL');
        marks.removedAt = await restartOf('requests', killedAt);
        marks.notes.push(marks.removedAt ? `down ${((marks.removedAt - killedAt) / 1000).toFixed(1)} s (kill to restarted)` : 'not restarted within 60 s');
      },
    },
    {
      name: 'Lycées API slow',
      fault: '+3 s per call, removed halfway',
      touches: ['lycees', 'impact'],
      act: async (marks) => {
        await setFaults(system.legacy.lyceesApi, { latencyMs: [3000, 3000] });
        await half();
        await setFaults(system.legacy.lyceesApi, { latencyMs: [0, 0] });
        marks.removedAt = performance.now();
      },
    },
    {
      name: 'Lycées API failing',
      fault: '50 % of calls fail, removed halfway',
      touches: ['lycees', 'impact'],
      act: async (marks) => {
        await setFaults(system.legacy.lyceesApi, { failureRate: 0.5 });
        await half();
        await setFaults(system.legacy.lyceesApi, { failureRate: 0 });
        marks.removedAt = performance.now();
      },
    },
    {
      name: 'Redis restarted',
      fault: 'redis-server SIGKILL, started again 3 s later (empty)',
      touches: [],
      act: async (marks) => {
        await redis.kill();
        await sleep(3_000);
        await redis.start();
        marks.removedAt = performance.now();
      },
    },
    {
      name: 'GRC restarted',
      fault: grcRestartable ? 'GRC process SIGKILL; supervision restarts it' : 'skipped (PGlite in memory would come back empty)',
      touches: grcRestartable ? ['impact'] : [],
      killed: 'grc',
      act: async (marks) => {
        if (!grcRestartable) return;
        const killedAt = performance.now();
        processOf('grc').child.kill('SIGKILL');
        marks.removedAt = await restartOf('grc', killedAt);
        marks.notes.push(
          marks.removedAt ? `down ${((marks.removedAt - killedAt) / 1000).toFixed(1)} s (kill to restarted); the GRC process is the wire proxy in front of PostgreSQL, whose data survives` : 'not restarted within 60 s',
        );
      },
    },
    {
      name: 'new supergraph',
      fault: 'SUPERGRAPH_PATH rewritten (one description changed)',
      touches: [],
      act: async (marks) => {
        const before = await regionsDescription(system.gateway);
        writeFileSync(supergraphPath, supergraph.replace('"""Every région the geodata system serves."""', '"""Every région the geodata system serves (reloaded)."""'));
        marks.removedAt = performance.now();
        const deadline = performance.now() + phaseMs / 2;
        let loaded: number | undefined;
        while (!interrupted.aborted && performance.now() < deadline && loaded === undefined) {
          if ((await regionsDescription(system.gateway)) !== before) loaded = performance.now();
          else await sleep(100);
        }
        marks.notes.push(loaded ? `new supergraph served ${((loaded - marks.removedAt) / 1000).toFixed(1)} s after the write (seen by introspection)` : 'the new description was not seen by introspection within half the phase');
      },
    },
  ];

  const phases: PhaseMarks[] = [];
  for (const fault of faults) {
    if (interrupted.aborted) return 130;
    const marks: PhaseMarks = { name: fault.name, fault: fault.fault, touches: fault.touches, start: performance.now(), end: Number.NaN, notes: [] };
    phases.push(marks);
    log(`phase "${fault.name}" (${options.phaseSeconds} s): ${fault.fault}`);
    processLog.write(`${stamp()} bench: phase "${fault.name}": ${fault.fault}\n`);
    await fault.act(marks);
    await sleep(Math.max(0, marks.start + phaseMs - performance.now()));
    marks.end = performance.now();
    for (const exit of exits.filter((candidate) => candidate.at >= marks.start && candidate.at < marks.end && candidate.name !== fault.killed)) {
      marks.notes.push(`not caused by the benchmark: ${exit.message}`);
    }
    // A pause between phases, not measured, so answers sent at the end of one finish before the next fault.
    await sleep(PAUSE_MS);
    processLog.write(`${stamp()} bench: end of phase "${fault.name}"\n`);
  }
  await stopLoad();
  await writer.stop();
  log('load stopped; waiting for every committed change to reach its subscriber (at most 20 s)…');
  const delivered = () => new Set(data.receipts.map((receipt) => `${receipt.reference}@${receipt.key}`));
  const deadline = performance.now() + 20_000;
  while (!interrupted.aborted && performance.now() < deadline && data.writes.some((write) => !delivered().has(`${write.reference}@${write.key}`))) await sleep(250);
  if (interrupted.aborted) return 130;

  const rows = summarizePhases(phases, data, kinds.map((kind) => kind.name));
  const notes = [
    `writes the writer could not make (database unreachable, not expected by anyone): ${writer.failed}; events received that match no counted write: ${unexpectedReceipts(data)}`,
  ];
  console.log(`\n${markdownTable(rows)}\n`);
  for (const [index, row] of rows.entries()) {
    const removedAt = phases[index]!.removedAt ?? 0;
    for (const answer of row.bad.slice(0, 50)) {
      processLog.write(`bench: "${row.name}": ${answer.kind} sent ${((answer.startedAt - removedAt) / 1000).toFixed(2)} s after the removal, ${answer.latencyMs.toFixed(0)} ms, ${answer.codes.join(',') || 'slow'}\n`);
    }
  }
  log(`the processes' output, with the phases marked: ${logPath}`);
  for (const line of [...verdicts(rows), ...rows.flatMap((row) => row.notes.map((note) => `${row.name}: ${note}`)), ...notes]) console.log(line);
  if (args.record) {
    const record = faultsRecord(rows, {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      command: ['npm run bench:faults', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      machine: describeMachine(loadBefore),
      settings: [
        `${options.phaseSeconds} s per phase`,
        `geo and lycées queries ${options.rate}/s each, Impact ${options.impactRate}/s (fixed rates)`,
        `${options.subscribers} subscribers (\`requestUpdated\`, one request each), one GRC write every ${options.writeMs} ms`,
        `GRC on ${implementation.name === 'postgresql' ? 'the local PostgreSQL (a fresh database, dropped afterwards)' : 'PGlite in memory'}`,
        'private redis-server, every process supervised (`supervise: true`)',
      ].join('; '),
      notes,
    });
    writeFileSync(RESULTS, withFaultsRecord(existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '', record));
    log(`wrote ${RESULTS}`);
  }
  return 0;
}

/** The description of `Query.regions` as the gateway serves it now (changed by the reload phase). */
async function regionsDescription(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __type(name: "Query") { fields { name description } } }' }),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json()) as { data?: { __type?: { fields?: { name: string; description: string | null }[] } } };
    return body.data?.__type?.fields?.find((field) => field.name === 'regions')?.description ?? undefined;
  } catch {
    return undefined;
  }
}

function describeMachine(loadBefore: number): string {
  const cpu = cpus();
  return [
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.versions.node}`,
    'shared by the load, the subscribers, the gateway, the subgraphs, the stand-ins and Redis',
    `1-minute load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`,
  ].join('; ');
}

run(main);
