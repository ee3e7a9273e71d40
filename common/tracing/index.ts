/**
 * OpenTelemetry traces across every process: gateway → subgraph → legacy system, with the W3C
 * `traceparent` carried on each hop (HTTP headers; a sqlcommenter comment on SQL to the GRC).
 *
 * Off unless configured (common/config.ts `tracingEnv`): then the SDK is never loaded, no context
 * manager is registered, and every helper here is a check of one module variable — the servers keep
 * their own listener (`traceHttpServer` returns it as is) and client calls send nothing more.
 *
 * Spans are made only where a request is being traced: a client span needs an active span to hang
 * under, so background work (the change capture's poll, migrations, health probes) makes none.
 */
import { SpanKind, SpanStatusCode, ROOT_CONTEXT, context, propagation, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { tracingEnv } from '../config.ts';
import type { Parsed } from '../env.ts';
import type { Logger } from '../logger.ts';

export type TracingConfig = Parsed<typeof tracingEnv>;
export type { Span };

/** Set while traces are on in this process. */
let tracer: Tracer | undefined;

export interface Tracing {
  /** Whether this process exports traces. */
  readonly enabled: boolean;
  /** Where failed exports (an unreachable receiver…) are reported, at most once a minute. */
  useLogger(logger: Logger): void;
  /** Sends the spans still buffered, then stops (call last, after the process's own close). */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, useLogger: () => undefined, shutdown: async () => undefined };

/** Whether `config` asks for traces: an endpoint or OTEL_TRACES_EXPORTER=otlp, and nothing saying no. */
export function tracingRequested(config: TracingConfig): boolean {
  if (config.sdkDisabled === 'true' || config.tracesExporter === 'none') return false;
  return config.tracesExporter === 'otlp' || config.endpoint !== undefined || config.tracesEndpoint !== undefined;
}

/**
 * Starts the SDK when `config` asks for it: OTLP/HTTP exporter, batch processor, resource with
 * `service.name`, W3C trace-context propagator, AsyncLocalStorage context manager. Call once per
 * process, before anything is served.
 */
export async function startTracing(serviceName: string, config: TracingConfig): Promise<Tracing> {
  if (!tracingRequested(config)) return OFF;
  // Loaded only when on: a process without traces never loads the SDK.
  const { startSdk } = await import('./sdk.ts');
  const sdk = startSdk(serviceName, config);
  tracer = trace.getTracer('passerelle');
  return {
    enabled: true,
    useLogger: sdk.useLogger,
    async shutdown() {
      tracer = undefined;
      await sdk.shutdown();
    },
  };
}

/** Whether traces are on in this process (one variable read: fine on any hot path). */
export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/** `trace_id` and `span_id` of the active span, for log lines (common/logger.ts; pino merges into the object returned, so a fresh one). */
export function activeTraceIds(): Record<string, string> {
  const span = tracer && trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export interface ServerTracingOptions {
  /** Paths traced without their own name (`POST /graphql` rather than `POST`); other paths are named by method only. */
  routes?: readonly string[];
  /** Paths never traced. Default: probes and scrapes (`/health…`, `/metrics`) and the stand-ins' `/__admin/…`. */
  ignore?: (path: string) => boolean;
}

/**
 * Wraps an HTTP server's request listener in a server span: the caller's `traceparent` (if any) is
 * its parent, the listener runs with it active, and it ends when the response closes, with the
 * status code (5xx: error). Traces off: returns `listener` itself.
 */
export function traceHttpServer(listener: RequestListener, options: ServerTracingOptions = {}): RequestListener {
  if (!tracer) return listener;
  const active = tracer;
  const routes = new Set(options.routes ?? []);
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req.url);
    if ((options.ignore ?? isOperational)(path)) return listener(req, res);
    const method = req.method ?? 'GET';
    const route = routes.has(path) ? path : undefined;
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const attributes: Attributes = { 'http.request.method': method, 'url.path': path, 'url.scheme': 'http' };
    if (route) attributes['http.route'] = route;
    if (req.socket.localPort) attributes['server.port'] = req.socket.localPort;
    const span = active.startSpan(route ? `${method} ${route}` : method, { kind: SpanKind.SERVER, attributes }, parent);
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      else if (!res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the answer was sent' });
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => listener(req, res));
  };
}

/** Names the active server span after the route a request matched (e.g. `GET /communes/:code`). */
export function setHttpRoute(method: string, route: string): void {
  const span = tracer && trace.getActiveSpan();
  if (!span) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute('http.route', route);
}

/** Adds attributes to the active span, if any (undefined values are skipped). */
export function annotateActiveSpan(attributes: Record<string, string | number | boolean | undefined>): void {
  const span = tracer && trace.getActiveSpan();
  if (!span) return;
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) span.setAttribute(key, value);
}

/**
 * A client span under the active span, or undefined when traces are off or nothing is being traced
 * here (background work). End it with `endSpan`.
 */
export function startClientSpan(name: string, attributes: Attributes): Span | undefined {
  if (!tracer) return undefined;
  const parent = context.active();
  if (!trace.getSpan(parent)) return undefined;
  return tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
}

/** The W3C headers (`traceparent`, and `tracestate` when there is one) that make `span` the parent on the other side. */
export function traceHeaders(span: Span): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return carrier;
}

/**
 * Ends a span, as failed when `error` is given; `error.type` is its catalogue code, else its own
 * `code` (a SQLSTATE, ECONNREFUSED…), else its name.
 */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    const failure = error as { extensions?: { code?: unknown }; code?: unknown; name?: unknown } | null;
    const type = [failure?.extensions?.code, failure?.code, failure?.name].find((value) => typeof value === 'string');
    span.setAttribute('error.type', (type as string | undefined) ?? 'Error');
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

/**
 * A server span for work that arrived with a `traceparent` outside HTTP (the GRC's SQL comments),
 * or undefined when traces are off or the work carries none.
 */
export function startRemoteServerSpan(name: string, carrier: Record<string, string> | undefined, attributes: Attributes): Span | undefined {
  if (!tracer || !carrier) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  if (!trace.getSpan(parent)) return undefined;
  return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
}

function isOperational(path: string): boolean {
  return path.startsWith('/health') || path === '/metrics' || path.startsWith('/__admin/');
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
