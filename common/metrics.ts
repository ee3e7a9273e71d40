/**
 * Prometheus metrics of one process (prom-client). One Registry per process, whose every series
 * carries the process's `service` label (gateway, geo, requests, geo-api, grc…), with the runtime's
 * default metrics (memory, CPU, GC, event-loop lag) and the instruments each module declares where
 * it measures (`counter`, `histogram`, `gauge` below, all named `passerelle_*`). Every process's HTTP
 * server answers `GET /metrics` with `serveMetrics` (the README's "Metrics" lists every series).
 *
 * `runService` (common/service.ts) calls `configureMetrics` with METRICS and METRICS_TOKEN before the
 * process starts; a process started otherwise (a test, a benchmark) counts the same and serves
 * /metrics without a token.
 *
 * Labels are bounded: a value a client chooses (an operation name) goes through a `labelCap`, which
 * keeps the first values it meets and files the rest under `__other__`, so no caller can grow the
 * registry without limit. Nothing is ever labelled by who calls.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';
import { errorCatalogue } from './errors.ts';

export const METRICS_PATH = '/metrics';

/** Latency buckets, in seconds: from a cached answer (5 ms) to a timeout (30 s). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const registry = new Registry();
let settings = { enabled: true, token: '' };
let defaultsStarted = false;

export interface MetricsSettings {
  /** The process's name, the `service` label of every series. */
  service: string;
  /** METRICS=on: /metrics answers and the runtime's metrics are collected; off: /metrics is 404. */
  enabled: boolean;
  /** METRICS_TOKEN: when set, /metrics wants `Authorization: Bearer <token>` (401 otherwise). */
  token: string;
}

export function configureMetrics(options: MetricsSettings): void {
  settings = { enabled: options.enabled, token: options.token };
  registry.setDefaultLabels({ service: options.service });
  if (options.enabled) startDefaultMetrics();
}

/** Memory, CPU, handles, GC and event-loop lag (sampled every 10 ms), from the first scrape or configure on. */
function startDefaultMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
}

/** The process's registry (tests read it; modules declare instruments with the helpers below). */
export function metricsRegistry(): Registry {
  return registry;
}

// Get-or-create: a module evaluated twice in one process (test runners) finds its instruments again.
export function counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
  return (registry.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter({ ...config, registers: [registry] });
}

export function histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
  return (registry.getSingleMetric(config.name) as Histogram<L> | undefined) ?? new Histogram({ buckets: LATENCY_BUCKETS, ...config, registers: [registry] });
}

export function gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
  return (registry.getSingleMetric(config.name) as Gauge<L> | undefined) ?? new Gauge({ ...config, registers: [registry] });
}

/** Seconds since `startedMs` (a `performance.now()` reading), as histograms want them. */
export function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}

export const OTHER = '__other__';
export const UNNAMED = '__anonymous__';

export interface LabelCapOptions {
  /** Distinct values kept; every later new value is `__other__`. */
  max: number;
  /** Longer values are cut to this many characters (default 64). */
  maxLength?: number;
  /** The label of a missing or empty value (default `__anonymous__`). */
  empty?: string;
}

/** A label whose values come from outside: at most `max` distinct ones, each at most `maxLength` long. */
export function labelCap(options: LabelCapOptions): (value: string | null | undefined) => string {
  const maxLength = options.maxLength ?? 64;
  const empty = options.empty ?? UNNAMED;
  const kept = new Set<string>();
  return (value) => {
    if (value === undefined || value === null || value === '') return empty;
    const label = value.length > maxLength ? value.slice(0, maxLength) : value;
    if (kept.has(label)) return label;
    if (kept.size >= options.max) return OTHER;
    kept.add(label);
    return label;
  };
}

const otherCodes = labelCap({ max: 20, maxLength: 40, empty: 'UNKNOWN' });

/** An error code as a label: the catalogue's codes as they are, anything else capped. */
export function codeLabel(code: unknown): string {
  if (typeof code !== 'string') return 'UNKNOWN';
  return code in errorCatalogue ? code : otherCodes(code);
}

/** The catalogue code of an error (`extensions.code`), or UNKNOWN. */
export function codeOf(error: unknown): string {
  return codeLabel((error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code);
}

/** The states of a circuit breaker, one series each (1 for the current one): `…{state="open"} == 1`. */
export const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;

/** Sets a state-set gauge (`passerelle_*_breaker_state`) from each system's current state. */
export function setBreakerStates(target: Gauge<string>, label: string, states: Readonly<Record<string, string>>): void {
  target.reset();
  for (const [system, current] of Object.entries(states)) {
    for (const state of BREAKER_STATES) target.set({ [label]: system, state }, state === current ? 1 : 0);
  }
}

/**
 * Answers a request to /metrics: the exposition text (prom-client's content type), 401 without the
 * token when one is set, 404 when METRICS=off. Every process's HTTP server routes /metrics here.
 */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!settings.enabled) return sendText(res, 404, 'application/json; charset=utf-8', JSON.stringify({ error: 'not_found', message: 'Metrics are off (METRICS=off).' }));
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendText(res, 405, 'application/json; charset=utf-8', JSON.stringify({ error: 'method_not_allowed', message: 'GET /metrics' }), { allow: 'GET, HEAD' });
  }
  if (settings.token && !bearerMatches(req.headers.authorization, settings.token)) {
    return sendText(res, 401, 'application/json; charset=utf-8', JSON.stringify({ error: 'unauthenticated', message: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.' }), {
      'www-authenticate': 'Bearer realm="metrics"',
    });
  }
  startDefaultMetrics();
  sendText(res, 200, registry.contentType, await registry.metrics(), { 'cache-control': 'no-store' });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  // Digests first: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]!.trim()), digest(token));
}

function sendText(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
  // Node sends no body for HEAD itself.
  res.end(body);
}
