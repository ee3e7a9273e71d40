/**
 * The fault-injection benchmark's query load: a few kinds of query, each sent at a fixed rate
 * (open model: a request is due at start + i / rate whatever the previous ones did), so a slow
 * system cannot slow the load down and hide itself, as a closed loop like autocannon's would.
 * Every answer is kept with when it started, how long it took and its error codes, so the report
 * can cut them by phase and by whether they touched the faulty system.
 */
import { performance } from 'node:perf_hooks';

export interface QueryKind {
  /** Short name, e.g. "geo", used in the report. */
  name: string;
  /** The JSON request body. */
  body: string;
  /** Requests per second. */
  rate: number;
}

export interface Answer {
  kind: string;
  /** `performance.now()` when the request was sent. */
  startedAt: number;
  latencyMs: number;
  /** Error codes of the answer: `extensions.code` of each GraphQL error, `HTTP 503`, `TIMEOUT`, `NETWORK`… Empty: a clean answer. */
  codes: string[];
}

export interface LoadOptions {
  url: string;
  kinds: QueryKind[];
  /** Requests in flight at once, over all kinds; a request due past it is not sent but counted (`CLIENT_CAP`). Default 200. */
  maxInFlight?: number;
  /** Per request. Default 15 s. */
  timeoutMs?: number;
  onAnswer: (answer: Answer) => void;
}

/** Starts the load; the returned function stops it and resolves once every request in flight has ended. */
export function startLoad(options: LoadOptions): () => Promise<void> {
  const maxInFlight = options.maxInFlight ?? 200;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const timers = new Map<string, NodeJS.Timeout>();

  const send = (kind: QueryKind) => {
    const startedAt = performance.now();
    if (inFlight.size >= maxInFlight) {
      options.onAnswer({ kind: kind.name, startedAt, latencyMs: 0, codes: ['CLIENT_CAP'] });
      return;
    }
    const request = ask(options.url, kind.body, timeoutMs).then((codes) => {
      options.onAnswer({ kind: kind.name, startedAt, latencyMs: performance.now() - startedAt, codes });
    });
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  };

  for (const kind of options.kinds) {
    const periodMs = 1000 / kind.rate;
    const start = performance.now();
    let sent = 0;
    const tick = () => {
      if (stopped) return;
      // Catch up on every request that fell due (a busy load generator must not lower the rate).
      while (start + sent * periodMs <= performance.now()) {
        sent += 1;
        send(kind);
      }
      timers.set(kind.name, setTimeout(tick, Math.max(0, start + sent * periodMs - performance.now())));
    };
    tick();
  }

  return async () => {
    stopped = true;
    for (const timer of timers.values()) clearTimeout(timer);
    await Promise.all(inFlight);
  };
}

/** One POST; never throws: failures come back as codes. */
async function ask(url: string, body: string, timeoutMs: number): Promise<string[]> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    return [(error as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK'];
  }
  let parsed: { errors?: { extensions?: { code?: unknown } }[] };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return [`HTTP ${response.status} (not JSON)`];
  }
  const codes = (parsed.errors ?? []).map((error) => String(error.extensions?.code ?? 'NO_CODE'));
  if (response.status !== 200 && codes.length === 0) codes.push(`HTTP ${response.status}`);
  // One answer, one count per distinct code (a list of 50 lycées failing the same way is one failure).
  return [...new Set(codes)];
}
