/**
 * Prometheus metrics on /metrics of every process (common/metrics.ts): bounded labels, the
 * METRICS / METRICS_TOKEN rules, and a real Prometheus server scraping a gateway, a subgraph and a
 * legacy stand-in after known traffic, whose series are then read back through its query API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as config from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { OTHER, UNNAMED, codeLabel, configureMetrics, counter, labelCap, metricsRegistry, serveMetrics } from '../../common/metrics.ts';
import type { GatewayPlugin, OperationOutcome } from '../../gateway/pipeline.ts';
import { launch, type LaunchedProcess } from '../../scripts/launcher.ts';
import { startPrometheus, waitUntil, type RunningPrometheus } from '../harness/prometheus.ts';
import { subscribeSse, subscribeWs, waitFor } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

describe('Labels', () => {
  it('keeps the first distinct values and files every later one under __other__', () => {
    const name = labelCap({ max: 3 });
    expect(['A', 'B', 'C'].map(name)).toEqual(['A', 'B', 'C']);
    expect(name('D')).toBe(OTHER);
    expect(name('A')).toBe('A');
    expect(name('E')).toBe(OTHER);
  });

  it('cuts long values, and names a missing one', () => {
    const name = labelCap({ max: 10, maxLength: 8 });
    expect(name('x'.repeat(500))).toBe('xxxxxxxx');
    // Cut values share a slot: a client cannot use up the cap with long names that differ at the end.
    expect(name(`${'x'.repeat(500)}y`)).toBe('xxxxxxxx');
    expect(name(undefined)).toBe(UNNAMED);
    expect(name('')).toBe(UNNAMED);
  });

  it('keeps the catalogue codes as they are and caps the others', () => {
    expect(codeLabel('RATE_LIMITED')).toBe('RATE_LIMITED');
    expect(codeLabel(undefined)).toBe('UNKNOWN');
    const seen = new Set(Array.from({ length: 50 }, (_, i) => codeLabel(`CLIENT_CODE_${i}`)));
    expect(seen.size).toBeLessThanOrEqual(21);
    expect(seen).toContain(OTHER);
  });
});

describe('Configuration', () => {
  const production = { NODE_ENV: 'production', AUTH_SECRET: 'a'.repeat(40), GATEWAY_SECRET: 'g'.repeat(40) };

  it('refuses production with metrics on and no METRICS_TOKEN, in every process', () => {
    for (const spec of [config.gatewayEnv, config.geoSubgraphEnv, config.geoApiEnv, config.grcEnv]) {
      expect(() => readEnv(spec, production)).toThrow(/METRICS_TOKEN is not set/);
    }
  });

  it('accepts production with a token of 32+ characters, or with METRICS=off', () => {
    expect(readEnv(config.gatewayEnv, { ...production, METRICS_TOKEN: 't'.repeat(32) }).metricsToken).toBe('t'.repeat(32));
    expect(readEnv(config.gatewayEnv, { ...production, METRICS: 'off' }).metrics).toBe('off');
  });

  it('refuses a short or empty token in every mode, and needs none in development', () => {
    expect(() => readEnv(config.geoSubgraphEnv, { METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN is too short/);
    expect(() => readEnv(config.geoSubgraphEnv, { METRICS_TOKEN: '' })).toThrow(/METRICS_TOKEN is set but empty/);
    expect(readEnv(config.geoSubgraphEnv, {})).toMatchObject({ metrics: 'on', metricsToken: '' });
  });
});

describe('GET /metrics', () => {
  let server: Server;
  let url: string;
  const token = 'metrics-test-token-'.padEnd(48, 'm');
  beforeAll(async () => {
    counter({ name: 'passerelle_test_total', help: 'A test counter.' }).inc(3);
    server = createServer((req, res) => void serveMetrics(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  afterAll(async () => {
    configureMetrics({ service: 'test', enabled: true, token: '' });
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves the exposition format, with the service label and the runtime metrics', async () => {
    configureMetrics({ service: 'unit', enabled: true, token: '' });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('passerelle_test_total{service="unit"} 3');
    expect(text).toMatch(/^process_resident_memory_bytes\{service="unit"\} \d+/m);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('asks for the bearer token when METRICS_TOKEN is set', async () => {
    configureMetrics({ service: 'unit', enabled: true, token });
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('answers 404 with METRICS=off', async () => {
    configureMetrics({ service: 'unit', enabled: false, token: '' });
    expect((await fetch(url)).status).toBe(404);
  });
});

describe('Outcomes on the streaming transports', () => {
  const outcomes: OperationOutcome[] = [];
  const recorder: GatewayPlugin = { name: 'outcome-recorder', onOutcome: (outcome) => void outcomes.push(outcome) };
  let toy: ToyFederation;
  beforeAll(async () => {
    toy = await startToyFederation({}, { before: [recorder] });
  });
  afterAll(() => toy?.stop());

  const transports = [
    ['graphql-ws', subscribeWs],
    ['sse', subscribeSse],
  ] as const;
  const outcomeOf = (transport: string, name: string) => outcomes.find((outcome) => outcome.transport === transport && outcome.operationName === name);

  for (const [transport, subscribe] of transports) {
    it(`reports a query over ${transport} once answered, named as its document names it`, async () => {
      const name = `Product_${transport.replace('-', '_')}`;
      const client = subscribe(toy.gatewayUrl, { query: `query ${name} { product(id: "2") { name } }` });
      await waitFor(() => client.completed, 'the query to complete');
      client.dispose();
      await waitFor(() => outcomeOf(transport, name) !== undefined, 'its outcome');
      expect(outcomeOf(transport, name)).toMatchObject({ operationType: 'query', errorCodes: [] });
      const { values } = await metricsRegistry().getSingleMetric('passerelle_operations_total')!.get();
      const counted = values.find(({ labels }) => labels.transport === transport && labels.operation_type === 'query' && labels.operation_name === name);
      expect(counted?.value).toBe(1);
    });

    it(`reports a refused operation over ${transport} with its code`, async () => {
      const refused = () => outcomes.filter((outcome) => outcome.transport === transport && outcome.errorCodes.includes('GRAPHQL_VALIDATION_FAILED'));
      const client = subscribe(toy.gatewayUrl, { query: 'subscription { reviewAdded(productId: "1") { colour } }' });
      await waitFor(() => refused().length > 0, 'its outcome');
      client.dispose();
      expect(refused()).toHaveLength(1);
    });

    it(`reports a subscription over ${transport} when it ends, and counts it open meanwhile`, async () => {
      const name = `Reviews_${transport.replace('-', '_')}`;
      const client = subscribe(toy.gatewayUrl, { query: `subscription ${name} { reviewAdded(productId: "1") { stars } }` });
      await waitFor(() => toy.upstreamSubscriptions() === 1, 'the upstream subscription');
      const open = await metricsRegistry().getSingleMetricAsString('passerelle_subscribers_open');
      expect(open).toMatch(/passerelle_subscribers_open(\{[^}]*\})? 1$/m);
      toy.publishReview({ productId: '1', stars: 5 });
      await waitFor(() => client.results.length === 1, 'the event');
      expect(outcomeOf(transport, name)).toBeUndefined();
      client.dispose();
      await waitFor(() => outcomeOf(transport, name) !== undefined, 'its outcome once it ended');
      expect(outcomeOf(transport, name)).toMatchObject({ operationType: 'subscription' });
      await waitFor(() => toy.upstreamSubscriptions() === 0, 'the upstream subscription to end');
    });
  }
});

describe('A real Prometheus server scraping a gateway, a subgraph and a legacy stand-in', () => {
  const gatewayToken = 'gateway-metrics-token-'.padEnd(48, 'x');
  const processes: LaunchedProcess[] = [];
  let prometheus: RunningPrometheus | undefined;
  let gateway: string;
  const hostOf = (url: string) => new URL(url).host;

  beforeAll(async () => {
    // Every query must reach the subgraph (the public-data cache would answer repeats itself).
    const env = { LOG_LEVEL: 'warn', CONSOLE: 'off', PUBLIC_CACHE: 'off' };
    const geoApi = await launch({ name: 'geo-api', entry: 'legacy/geo/main.ts', env: { ...env, GEO_API_PORT: '0' } });
    processes.push(geoApi);
    const geo = await launch({ name: 'geo', entry: 'subgraphs/geo/main.ts', env: { ...env, GEO_SUBGRAPH_PORT: '0', GEO_API_URL: geoApi.urls.http } });
    processes.push(geo);
    // Six requests a window per anonymous caller: the traffic below runs into the limit on purpose.
    const started = await launch({
      name: 'gateway',
      entry: 'gateway/main.ts',
      env: { ...env, PORT: '0', SUBGRAPH_URLS: `geo=${geo.urls.graphql}`, RATE_LIMIT_ANONYMOUS: '6', METRICS_TOKEN: gatewayToken },
    });
    processes.push(started);
    gateway = started.urls.graphql!;

    // Known traffic: three named queries, one invalid one, then requests until one is rate limited.
    const post = (query: string) => fetch(gateway, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    for (let i = 0; i < 3; i++) expect((await post('query CommuneForMetrics { commune(code: "93066") { name population } }')).status).toBe(200);
    await post('query BrokenForMetrics { commune(code: "93066") { noSuchField } }');
    let limited = false;
    for (let i = 0; i < 10 && !limited; i++) limited = (await post('query LimitForMetrics { __typename }')).status === 429;
    expect(limited).toBe(true);

    prometheus = await startPrometheus([
      { job: 'gateway', address: hostOf(gateway), bearerToken: gatewayToken },
      { job: 'geo-subgraph', address: hostOf(geo.urls.graphql!) },
      { job: 'geo-api', address: hostOf(geoApi.urls.http!) },
    ]);
  });
  afterAll(async () => {
    await prometheus?.stop();
    for (const process of processes.reverse()) await process.stop();
  });

  /** The value of the one series `promql` selects, once Prometheus has scraped it. */
  async function valueOf(promql: string): Promise<number> {
    let value = Number.NaN;
    await waitUntil(
      async () => {
        const samples = await prometheus!.query(promql);
        value = samples.length === 1 ? samples[0]!.value : Number.NaN;
        return samples.length === 1;
      },
      30_000,
      () => `no single series for ${promql}`,
    );
    return value;
  }

  it('scrapes every target (the gateway with its bearer token)', async () => {
    expect(await valueOf('up{job="gateway"}')).toBe(1);
    expect(await valueOf('up{job="geo-subgraph"}')).toBe(1);
    expect(await valueOf('up{job="geo-api"}')).toBe(1);
    // Without the token the gateway refuses the scrape.
    expect((await fetch(gateway.replace(/\/graphql$/, '/metrics'))).status).toBe(401);
  });

  it('counts the gateway operations by name, their errors by code and the rate-limit refusals', async () => {
    expect(await valueOf('passerelle_operations_total{job="gateway",transport="http",operation_type="query",operation_name="CommuneForMetrics"}')).toBe(3);
    // Refused before the document was resolved, the operation may have no name yet: summed over names.
    expect(await valueOf('sum(passerelle_operation_errors_total{job="gateway",code="GRAPHQL_VALIDATION_FAILED"})')).toBe(1);
    expect(await valueOf('passerelle_rate_limit_refusals_total{job="gateway",transport="http",code="RATE_LIMITED"}')).toBeGreaterThanOrEqual(1);
    expect(await valueOf('passerelle_operation_duration_seconds_count{job="gateway",operation_name="CommuneForMetrics"}')).toBe(3);
  });

  it('counts the gateway fetches to the subgraph, and shows its breaker closed', async () => {
    expect(await valueOf('passerelle_subgraph_fetches_total{job="gateway",subgraph="geo"}')).toBeGreaterThanOrEqual(3);
    expect(await valueOf('passerelle_subgraph_breaker_state{job="gateway",subgraph="geo",state="closed"}')).toBe(1);
    expect(await valueOf('passerelle_subscribers_open{job="gateway"}')).toBe(0);
  });

  it('counts the subgraph operations and its calls to the legacy system', async () => {
    expect(await valueOf('sum(passerelle_subgraph_operations_total{job="geo-subgraph",service="geo"})')).toBeGreaterThanOrEqual(3);
    expect(await valueOf('passerelle_legacy_calls_total{job="geo-subgraph",system="geo-api"}')).toBeGreaterThanOrEqual(1);
    expect(await valueOf('sum(passerelle_legacy_http_requests_total{job="geo-api",service="geo-api",status="200"})')).toBeGreaterThanOrEqual(1);
  });

  it('reports memory and event-loop lag of every process', async () => {
    for (const job of ['gateway', 'geo-subgraph', 'geo-api']) {
      expect(await valueOf(`process_resident_memory_bytes{job="${job}"}`)).toBeGreaterThan(0);
      expect(await valueOf(`nodejs_eventloop_lag_seconds{job="${job}"}`)).toBeGreaterThanOrEqual(0);
    }
  });
});
