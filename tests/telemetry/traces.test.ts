/**
 * OpenTelemetry traces (common/tracing/): one query yields one trace with spans from every process
 * it touched — gateway → lycees subgraph → Lycées API stand-in, and gateway → requests subgraph →
 * GRC over SQL (the trace context in a sqlcommenter comment) — linked parent to child, and the
 * gateway's log lines carry the trace id. Off unless configured: then nothing is exported and no
 * `traceparent` leaves the gateway.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, type LaunchedProcess } from '../../scripts/launcher.ts';
import { tracingEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { tracingRequested } from '../../common/tracing/index.ts';
import { sqlSummary, traceCarrierOf } from '../../common/tracing/sql.ts';
import { graphql } from '../harness/graphql.ts';
import { KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../harness/otlp-receiver.ts';

const SOON = { timeout: 20_000, interval: 100 };
const QUERY = 'query TracedLycees { lycees(first: 2) { edges { node { uai name openRequests { totalCount } } } } }';

describe('Configuration', () => {
  const requested = (env: Record<string, string>) => tracingRequested(readEnv(tracingEnv, env));

  it('is off unless an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp is set', () => {
    expect(requested({})).toBe(false);
    expect(requested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(requested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(requested({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  });

  it('stays off when told so, endpoint or not', () => {
    expect(requested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(requested({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('refuses an exporter it does not have, and malformed headers without echoing them', () => {
    expect(() => readEnv(tracingEnv, { OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => readEnv(tracingEnv, { OTEL_EXPORTER_OTLP_HEADERS: 'secret-without-key' })).toThrow(/OTEL_EXPORTER_OTLP_HEADERS="\(not shown\)"/);
    expect(readEnv(tracingEnv, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-scope-orgid=idf' }).headers).toEqual({
      authorization: 'Bearer abc',
      'x-scope-orgid': 'idf',
    });
  });
});

describe('SQL comments (sqlcommenter)', () => {
  it('reads the trace context from a trailing comment, and nothing from a query without one', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(traceCarrierOf(`/* lyceeOpenRequests */ SELECT 1 /*traceparent='${traceparent}',tracestate='a%3D1'*/`)).toEqual({ traceparent, tracestate: 'a=1' });
    expect(traceCarrierOf('/* lyceeOpenRequests */ SELECT 1')).toBeUndefined();
    expect(traceCarrierOf("SELECT 'traceparent=' /* not at the end */ || 'x'")).toBeUndefined();
  });

  it('names a statement by its leading tag, else its verb', () => {
    expect(sqlSummary('/* requestsByIds */ SELECT …')).toBe('requestsByIds');
    expect(sqlSummary('  select 1')).toBe('SELECT');
  });
});

describe('One query, one trace across every process it touched', () => {
  let receiver: OtlpReceiver;
  const processes: LaunchedProcess[] = [];
  const gatewayLines: string[] = [];
  let gateway: string;
  let grcAdmin: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // Every query must reach the subgraphs (the public-data cache would answer repeats itself).
    const env = { LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', PUBLIC_CACHE: 'off' };
    const start = async (name: string, entry: string, extra: Record<string, string>, onLine?: (line: string) => void) => {
      const launched = await launch({ name, entry, env: { ...env, ...extra }, onLine });
      processes.push(launched);
      return launched;
    };
    const [lyceesApi, grc] = await Promise.all([
      start('lycees-api', 'legacy/lycees/main.ts', { LYCEES_API_PORT: '0', LYCEES_API_LATENCY_MS: '0' }),
      start('grc', 'legacy/grc/main.ts', { GRC_PORT: '0', GRC_ADMIN_PORT: '0', GRC_SEED_REQUESTS: '2000' }),
    ]);
    grcAdmin = grc.urls.admin!;
    const [lycees, requests] = await Promise.all([
      start('lycees', 'subgraphs/lycees/main.ts', { LYCEES_SUBGRAPH_PORT: '0', LYCEES_API_URL: lyceesApi.urls.http! }),
      start('requests', 'subgraphs/requests/main.ts', { REQUESTS_SUBGRAPH_PORT: '0', GRC_DATABASE_URL: grc.urls.postgres!, LYCEES_API_URL: lyceesApi.urls.http! }),
    ]);
    // Debug: the gateway logs each subgraph fetch (gateway/plugins/useTracing.ts).
    const started = await start(
      'gateway',
      'gateway/main.ts',
      { LOG_LEVEL: 'debug', PORT: '0', CONSOLE: 'off', SUBGRAPH_URLS: `lycees=${lycees.urls.graphql},requests=${requests.urls.graphql}` },
      (line) => gatewayLines.push(line),
    );
    gateway = started.urls.graphql!;
  });

  afterAll(async () => {
    // The gateway first, then the subgraphs, then their systems.
    for (const process of [...processes].reverse()) await process.stop();
    await receiver?.close();
  });

  it('continues the caller’s trace through gateway, subgraphs and legacy systems, each hop the child of the one before', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const result = await graphql<{ lycees: { edges: { node: { openRequests: { totalCount: number } | null } }[] } }>(gateway, QUERY, undefined, {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?.lycees.edges).toHaveLength(2);
    expect(typeof result.body.data?.lycees.edges[0]?.node.openRequests?.totalCount).toBe('number');

    const services = ['gateway', 'lycees-subgraph', 'lycees-api', 'requests-subgraph', 'grc'];
    const serverSpanOf = (service: string) => receiver.spans().find((span) => span.service === service && span.kind === KIND.server);
    // Every process sends its spans in its own batch: wait until each has (the GRC's last).
    await expect.poll(() => services.filter((service) => serverSpanOf(service) === undefined), SOON).toEqual([]);
    const spans = receiver.spans();

    // One trace, and nothing else: health probes and background work (the GRC change capture) make no spans.
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([traceId]));
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const parentOf = (span: ReceivedSpan | undefined) => (span ? byId.get(span.parentSpanId) : undefined);

    const gatewayServer = serverSpanOf('gateway')!;
    expect(gatewayServer.parentSpanId).toBe(callerSpanId);
    expect(gatewayServer).toMatchObject({ name: 'POST /graphql', attributes: { 'http.response.status_code': 200, 'graphql.operation.name': 'TracedLycees', 'graphql.operation.type': 'query' } });

    // Each subgraph's server span is the child of the gateway's client span for it.
    for (const subgraph of ['lycees', 'requests']) {
      const server = serverSpanOf(`${subgraph}-subgraph`);
      const fetch = parentOf(server);
      expect(fetch).toMatchObject({ service: 'gateway', kind: KIND.client, name: `subgraph ${subgraph}`, attributes: { 'passerelle.subgraph': subgraph } });
      expect(fetch!.parentSpanId).toBe(gatewayServer.spanId);
      expect(server).toMatchObject({ name: 'POST /graphql' });
    }

    // Lycées API: its server span (named by route) under the lycees subgraph's client span, under its server span.
    const lyceesApi = serverSpanOf('lycees-api')!;
    expect(lyceesApi.name).toMatch(/^(GET|POST) \/api\/v1\/etablissements/);
    const lyceesCall = parentOf(lyceesApi);
    expect(lyceesCall).toMatchObject({ service: 'lycees-subgraph', kind: KIND.client, attributes: { 'peer.service': 'lycees-api' } });
    expect(parentOf(lyceesCall)).toBe(serverSpanOf('lycees-subgraph'));

    // GRC: the SQL carried the requests subgraph's client span as its parent.
    const grc = serverSpanOf('grc')!;
    expect(grc).toMatchObject({ name: 'grc lyceeOpenRequests', attributes: { 'db.system.name': 'postgresql' } });
    const query = parentOf(grc);
    expect(query).toMatchObject({ service: 'requests-subgraph', kind: KIND.client, name: 'grc lyceeOpenRequests', attributes: { 'peer.service': 'grc' } });
    expect(parentOf(query)).toBe(serverSpanOf('requests-subgraph'));

    // Every span but the root hangs under another span of the trace.
    for (const span of spans) if (span !== gatewayServer) expect(byId.has(span.parentSpanId), `${span.service} ${span.name}`).toBe(true);
    expect(spans.filter((span) => span.statusCode === 2)).toEqual([]);
  });

  it('writes the trace id into the gateway’s log lines of that request', async () => {
    const traceId = randomBytes(16).toString('hex');
    await graphql(gateway, QUERY, undefined, { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
    const logged = () =>
      gatewayLines.flatMap((line) => {
        try {
          const entry = JSON.parse(line) as { msg?: string; trace_id?: string; span_id?: string; subgraph?: string };
          return entry.trace_id === traceId ? [entry] : [];
        } catch {
          return [];
        }
      });
    await expect.poll(() => logged().map((entry) => entry.subgraph).sort(), SOON).toEqual(['lycees', 'requests']);
    for (const entry of logged()) expect(entry).toMatchObject({ msg: 'subgraph fetch', span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it('marks failed SQL calls on both sides, each attempt its own span', async () => {
    const faults = (failureRate: number) =>
      fetch(`${grcAdmin}/__admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failureRate }) });
    const traceId = randomBytes(16).toString('hex');
    await faults(1);
    try {
      const result = await graphql(gateway, QUERY, undefined, { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
      expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'LEGACY_UNAVAILABLE', system: 'grc' });
    } finally {
      await faults(0);
    }
    const inTrace = () => receiver.spans().filter((span) => span.traceId === traceId);
    const calls = () => inTrace().filter((span) => span.service === 'requests-subgraph' && span.kind === KIND.client);
    const answers = () => inTrace().filter((span) => span.service === 'grc');
    await expect.poll(() => calls().length > 0 && answers().length === calls().length, SOON).toBe(true);
    for (const span of [...calls(), ...answers()]) expect(span.statusCode, `${span.service} ${span.name}`).toBe(2);
    // The injected "cannot connect now", by its SQLSTATE, on both sides.
    for (const span of [...calls(), ...answers()]) expect(span.attributes['error.type']).toBe('57P03');
    expect(new Set(answers().map((span) => span.parentSpanId))).toEqual(new Set(calls().map((span) => span.spanId)));
  });
});

describe('Traces off', () => {
  let receiver: OtlpReceiver;
  let subgraph: Server;
  const received: IncomingHttpHeaders[] = [];
  let gatewayProcess: LaunchedProcess | undefined;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // A stand-in lycees subgraph that records what the gateway sends it.
    subgraph = createServer((req, res) => {
      received.push(req.headers);
      req.resume().on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { lycees: { totalCount: 3 } } }));
      });
    });
    await new Promise<void>((resolve) => subgraph.listen(0, '127.0.0.1', resolve));
    const { port } = subgraph.address() as AddressInfo;
    gatewayProcess = await launch({
      name: 'gateway',
      entry: 'gateway/main.ts',
      env: {
        LOG_LEVEL: 'warn',
        PORT: '0',
        CONSOLE: 'off',
        SUBGRAPH_URLS: `lycees=http://127.0.0.1:${port}/graphql`,
        // An endpoint is there, but traces are turned off: the explicit "none" wins.
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
  });

  afterAll(async () => {
    await gatewayProcess?.stop();
    await new Promise<void>((resolve) => subgraph?.close(() => resolve()));
    await receiver?.close();
  });

  it('exports nothing and sends no traceparent to subgraphs, even when the caller sent one', async () => {
    const result = await graphql(gatewayProcess!.urls.graphql!, '{ lycees(first: 1) { totalCount } }', undefined, {
      headers: { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(result.body).toEqual({ data: { lycees: { totalCount: 3 } } });
    expect(received).toHaveLength(1);
    expect(received[0]).not.toHaveProperty('traceparent');
    expect(received[0]).not.toHaveProperty('tracestate');
    // Stopping flushes whatever an SDK would hold: had traces been on, the receiver would have them now.
    await gatewayProcess!.stop();
    expect(receiver.requests()).toBe(0);
  });
});
