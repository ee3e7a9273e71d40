/**
 * The OpenTelemetry SDK of one process, loaded (dynamically, by `startTracing`) only when traces
 * are on: spans batched and sent over OTLP/HTTP (JSON), the process named by `service.name`, the
 * W3C trace-context propagator, and an AsyncLocalStorage context manager so the active span follows
 * a request through every await.
 */
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler, type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import type { Logger } from '../logger.ts';
import type { TracingConfig } from './index.ts';

/** How often a failing export (an unreachable receiver) is logged: not at every batch. */
const COMPLAINT_INTERVAL_MS = 60_000;

export function startSdk(serviceName: string, config: TracingConfig) {
  let logger: Logger | undefined;
  let lastComplaint = -Infinity;
  const otlp = new OTLPTraceExporter({
    url: tracesUrl(config),
    headers: config.headers,
    timeoutMillis: config.exportTimeoutMs,
  });
  // Failed exports are dropped (traces never hold up requests), and said, at most once a minute.
  // Only ours: a global diag logger would also print what other libraries' OpenTelemetry says.
  const exporter: SpanExporter = {
    export(spans, done) {
      otlp.export(spans, (result) => {
        const now = Date.now();
        if (result.code !== ExportResultCode.SUCCESS && logger && now - lastComplaint >= COMPLAINT_INTERVAL_MS) {
          lastComplaint = now;
          logger.warn({ err: result.error, url: tracesUrl(config), spans: spans.length }, 'could not export traces; dropping them');
        }
        done(result);
      });
    },
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush(),
  };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.namespace': 'passerelle' }),
    sampler: samplerOf(config),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: config.scheduleDelayMs,
        maxQueueSize: config.maxQueueSize,
        maxExportBatchSize: Math.min(512, config.maxQueueSize),
        exportTimeoutMillis: config.exportTimeoutMs,
      }),
    ],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return {
    useLogger(processLogger: Logger) {
      logger = processLogger;
    },
    shutdown: () => provider.shutdown(),
  };
}

function tracesUrl(config: TracingConfig): string {
  if (config.tracesEndpoint) return config.tracesEndpoint;
  const base = config.endpoint ?? 'http://localhost:4318';
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

function samplerOf(config: TracingConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.samplerArg);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
