/**
 * One autocannon run against one gateway, and the tally that several runs (rounds) add into.
 * Latencies are kept per response rather than taken from autocannon's per-run percentiles, so
 * rounds can be merged into exact percentiles.
 */
import autocannon from 'autocannon';

export interface LoadOptions {
  /** Seconds. */
  duration: number;
  connections: number;
  /** Aborting stops the run early (Ctrl-C); the run then resolves with what it measured. */
  signal?: AbortSignal;
  /** Extra request headers (e.g. a bearer token). */
  headers?: Record<string, string>;
}

export interface Tally {
  responses: number;
  /** Requests sent, including those still unanswered when a run ended. */
  sent: number;
  /** Seconds actually measured, summed over runs. */
  seconds: number;
  latenciesMs: number[];
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  /** 2xx responses whose body carries GraphQL `errors`. */
  graphqlErrors: number;
  /** CPU seconds the gateway process used while measured; undefined where it cannot be read. */
  gatewayCpuSeconds: number | undefined;
  /** CPU seconds the subgraphs and stand-ins used while measured. */
  upstreamCpuSeconds: number | undefined;
}

export function emptyTally(): Tally {
  return { responses: 0, sent: 0, seconds: 0, latenciesMs: [], errors: 0, non2xx: 0, graphqlErrors: 0, gatewayCpuSeconds: 0, upstreamCpuSeconds: 0 };
}

/** Runs `body` against `url`; with `tally`, adds the run's figures to it. */
export function runLoad(url: string, body: string, options: LoadOptions, tally?: Tally): Promise<void> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
        body,
        duration: options.duration,
        connections: options.connections,
        // Only checked when tallied: reading every body costs the load generator, which shares the cores.
        verifyBody: tally ? (text) => !text.includes('"errors"') : undefined,
      },
      (error, result) => {
        options.signal?.removeEventListener('abort', stop);
        if (error) return reject(error);
        if (tally) {
          tally.seconds += result.duration;
          tally.sent += result.requests.sent;
          tally.errors += result.errors;
          tally.non2xx += result.non2xx;
          tally.graphqlErrors += result.mismatches;
        }
        resolve();
      },
    );
    const stop = () => instance.stop();
    options.signal?.addEventListener('abort', stop);
    if (tally) {
      instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
        tally.responses += 1;
        tally.latenciesMs.push(responseTimeMs);
      });
    }
  });
}

export interface Summary {
  responses: number;
  /** Requests sent, answered or not. */
  sent: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  graphqlErrors: number;
  /** NaN where CPU time could not be read. */
  gatewayCpuMsPerRequest: number;
  upstreamCpuMsPerRequest: number;
}

export function summarize(tally: Tally): Summary {
  const sorted = Float64Array.from(tally.latenciesMs).sort();
  const percentile = (p: number) => (sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!);
  return {
    responses: tally.responses,
    sent: tally.sent,
    requestsPerSecond: tally.seconds > 0 ? tally.responses / tally.seconds : 0,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    errors: tally.errors,
    non2xx: tally.non2xx,
    graphqlErrors: tally.graphqlErrors,
    gatewayCpuMsPerRequest: perRequestMs(tally.gatewayCpuSeconds, tally.responses),
    upstreamCpuMsPerRequest: perRequestMs(tally.upstreamCpuSeconds, tally.responses),
  };
}

function perRequestMs(cpuSeconds: number | undefined, responses: number): number {
  return cpuSeconds === undefined || responses === 0 ? Number.NaN : (cpuSeconds * 1000) / responses;
}
