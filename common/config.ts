/**
 * Every environment variable Passerelle reads, in one place. Each process reads only its own
 * section (`readEnv(gatewayEnv)` …), so a typo in the gateway's settings cannot stop a subgraph.
 * The README lists every variable declared here; `tests/common/config.test.ts` checks it does.
 */
import { int, msRange, oneOf, optionalUrl, ratio, str, url, urlMap, type Spec } from './env.ts';

const host = str('HOST', 'Interface every process binds to.', '127.0.0.1');
const logLevel = oneOf(
  'LOG_LEVEL',
  'pino log level for every process.',
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  'info',
);
/** Shared by the gateway (verifies bearer tokens) and the requests subgraph (issues tracking tokens). */
const authSecret = str(
  'AUTH_SECRET',
  'HS256 secret of the bearer tokens (JWT) the gateway verifies and the requests subgraph issues. The default is for development only.',
  'passerelle-dev-secret-change-me-0123456789',
);
/**
 * Development (the default, what `npm start` runs) accepts the embedded defaults; production
 * (NODE_ENV=production) refuses to start on any unsafe one (default or short secrets, HS256 user
 * tokens, introspection on…) and says which.
 */
const nodeEnv = oneOf('NODE_ENV', 'development: embedded defaults accepted; production: every unsafe default refused at start-up.', ['development', 'production', 'test'], 'development');
const seed = int('SEED', 'Seed of the generated legacy data (lycées, requests, investments).', 20260101);

/** A legacy stand-in's fault injection: latency range and share of failed calls. */
function faults(prefix: string, label: string, failure: string, latency: [number, number]) {
  return {
    latencyMs: msRange(`${prefix}_LATENCY_MS`, `Latency added to each call of the ${label} stand-in ("40" or "20-80").`, latency),
    failureRate: ratio(`${prefix}_FAILURE_RATE`, `Share of calls the ${label} stand-in fails (${failure}).`, 0),
  };
}

export const geoApiEnv = {
  host,
  logLevel,
  port: int('GEO_API_PORT', 'Port of the geodata API stand-in.', 4101, { min: 0, max: 65535 }),
  ...faults('GEO_API', 'geo API', 'HTTP 503', [0, 0]),
} satisfies Spec;

export const lyceesApiEnv = {
  host,
  logLevel,
  seed,
  port: int('LYCEES_API_PORT', 'Port of the Lycées numériques REST API stand-in.', 4102, { min: 0, max: 65535 }),
  ...faults('LYCEES_API', 'Lycées API', 'HTTP 503', [20, 80]),
} satisfies Spec;

export const grcEnv = {
  host,
  logLevel,
  seed,
  port: int('GRC_PORT', 'Port on which the GRC stand-in speaks the PostgreSQL wire protocol.', 5433, { min: 0, max: 65535 }),
  adminPort: int('GRC_ADMIN_PORT', 'Port of the GRC stand-in admin HTTP endpoint (call counts, faults).', 4103, { min: 0, max: 65535 }),
  databaseUrl: optionalUrl(
    'DATABASE_URL',
    'Real PostgreSQL holding the GRC database. Unset: an embedded PGlite database, served over the PostgreSQL wire protocol.',
    ['postgres:', 'postgresql:'],
  ),
  dataDir: str('GRC_DATA_DIR', 'Where the embedded PGlite GRC database is kept ("memory" keeps nothing on disk).', 'memory'),
  requestCount: int('GRC_SEED_REQUESTS', 'How many requests the GRC seed generates.', 5000, { min: 0, max: 1_000_000 }),
  ...faults('GRC', 'GRC', 'a PostgreSQL error', [0, 0]),
} satisfies Spec;

export const opendataApiEnv = {
  host,
  logLevel,
  seed,
  port: int('OPENDATA_API_PORT', 'Port of the decision-support / open data (Opendatasoft-shaped) API stand-in.', 4104, { min: 0, max: 65535 }),
  ...faults('OPENDATA_API', 'open data API', 'HTTP 503', [0, 0]),
} satisfies Spec;

/** Settings shared by the four subgraphs' connectors. */
const upstream = {
  upstreamTimeoutMs: int('UPSTREAM_TIMEOUT_MS', 'Timeout of one call from a subgraph to its legacy system.', 5000, { min: 1, max: 600_000 }),
  upstreamRetries: int('UPSTREAM_RETRIES', 'Retries of an idempotent legacy call that failed with 502/503/504 or a network error.', 2, { min: 0, max: 10 }),
  upstreamConnections: int('UPSTREAM_CONNECTIONS', 'Connections per subgraph to its legacy system (HTTP pool or PostgreSQL pool).', 16, { min: 1, max: 1024 }),
  maxPageSize: int('MAX_PAGE_SIZE', 'Largest `first` a connection field accepts.', 100, { min: 1, max: 10_000 }),
  referenceCacheTtlMs: int('REFERENCE_CACHE_TTL_MS', 'How long a connector keeps yearly reference data (geodata, programmes).', 3_600_000, { min: 0 }),
};

export const geoSubgraphEnv = {
  host,
  logLevel,
  nodeEnv,
  ...upstream,
  port: int('GEO_SUBGRAPH_PORT', 'Port of the geo subgraph.', 4001, { min: 0, max: 65535 }),
  geoApiUrl: url('GEO_API_URL', 'Base URL of the geodata API.', 'http://127.0.0.1:4101'),
} satisfies Spec;

export const lyceesSubgraphEnv = {
  host,
  logLevel,
  nodeEnv,
  ...upstream,
  port: int('LYCEES_SUBGRAPH_PORT', 'Port of the lycées subgraph.', 4002, { min: 0, max: 65535 }),
  lyceesApiUrl: url('LYCEES_API_URL', 'Base URL of the Lycées numériques API.', 'http://127.0.0.1:4102'),
} satisfies Spec;

export const requestsSubgraphEnv = {
  host,
  logLevel,
  nodeEnv,
  ...upstream,
  port: int('REQUESTS_SUBGRAPH_PORT', 'Port of the requests subgraph.', 4003, { min: 0, max: 65535 }),
  grcDatabaseUrl: url(
    'GRC_DATABASE_URL',
    'PostgreSQL URL of the GRC database the requests subgraph reads and writes.',
    'postgres://postgres@127.0.0.1:5433/postgres',
    ['postgres:', 'postgresql:'],
  ),
  redisUrl: optionalUrl('REDIS_URL', 'Redis for events shared by every replica. Unset: an in-process bus (one process only).', ['redis:', 'rediss:']),
  authSecret,
  // Intake checks that a request's commune and lycée exist by asking their own systems: the same
  // variables (and defaults) as the geo and lycées subgraphs, so one setting points both at them.
  geoApiUrl: geoSubgraphEnv.geoApiUrl,
  lyceesApiUrl: lyceesSubgraphEnv.lyceesApiUrl,
  routingRulesPath: str(
    'ROUTING_RULES_PATH',
    'JSON file of the rules routing new requests to a service (relative to the working directory); checked at start-up.',
    'subgraphs/requests/routing-rules.json',
  ),
  trackingTokenTtlS: int('TRACKING_TOKEN_TTL_S', 'Lifetime in seconds of the tracking token given to a citizen with each new request.', 31_536_000, { min: 60, max: 315_360_000 }),
  // Real-time tracking: the change journal's capture and publication (subgraphs/requests/capture/).
  capturePollMs: int(
    'CAPTURE_POLL_MS',
    'How often the requests subgraph reads the GRC change journal while someone subscribes (on a real PostgreSQL, LISTEN/NOTIFY wakes it sooner).',
    200,
    { min: 10, max: 60_000 },
  ),
  captureLeaseMs: int(
    'CAPTURE_LEASE_MS',
    'Lease of the one requests-subgraph replica that publishes the change journal on Redis; a standby takes over within this time when the leader dies.',
    3000,
    { min: 300, max: 600_000 },
  ),
  captureRetentionHours: int(
    'CAPTURE_RETENTION_HOURS',
    'How long the GRC change journal keeps changes, i.e. how far back a subscription can resume with `after`.',
    168,
    { min: 1, max: 87_600 },
  ),
} satisfies Spec;

export const insightsSubgraphEnv = {
  host,
  logLevel,
  nodeEnv,
  ...upstream,
  port: int('INSIGHTS_SUBGRAPH_PORT', 'Port of the insights subgraph.', 4004, { min: 0, max: 65535 }),
  opendataApiUrl: url('OPENDATA_API_URL', 'Base URL of the decision-support / open data API.', 'http://127.0.0.1:4104'),
} satisfies Spec;

export const gatewayEnv = {
  host,
  logLevel,
  nodeEnv,
  port: int('PORT', 'Port of the gateway (HTTP and WebSocket on /graphql).', 4000, { min: 0, max: 65535 }),
  supergraphPath: str('SUPERGRAPH_PATH', 'Composed supergraph SDL the gateway serves (reloaded when the file changes).', 'schema/supergraph.graphql'),
  supergraphUrl: optionalUrl('SUPERGRAPH_URL', 'Fetch the supergraph from this URL instead of SUPERGRAPH_PATH (polled every 30 s).', ['http:', 'https:']),
  subgraphUrls: urlMap(
    'SUBGRAPH_URLS',
    'Overrides of the subgraph URLs written in the supergraph, as name=url pairs (e.g. "geo=http://geo:4001/graphql").',
  ),
  subgraphTimeoutMs: int('SUBGRAPH_TIMEOUT_MS', 'Timeout of one gateway → subgraph fetch; past it the fetch fails with GATEWAY_TIMEOUT.', 10_000, { min: 1, max: 600_000 }),
  maxBodyBytes: int('MAX_BODY_BYTES', 'Largest request body the gateway reads; larger gets PAYLOAD_TOO_LARGE.', 1_000_000, { min: 1 }),
  maxDepth: int('MAX_DEPTH', 'Deepest selection set an operation may have.', 15, { min: 1, max: 1000 }),
  maxAliases: int('MAX_ALIASES', 'Most aliases an operation may use.', 30, { min: 0, max: 10_000 }),
  introspection: oneOf('INTROSPECTION', 'Whether schema introspection is allowed.', ['on', 'off'], 'on'),
  redisUrl: optionalUrl('REDIS_URL', 'Redis shared by gateway replicas. Unset: in-process state (one process only).', ['redis:', 'rediss:']),
  authSecret,
  subscriberQueueSize: int('SUBSCRIBER_QUEUE_SIZE', 'Events a subscriber may have waiting to be sent; past it the subscriber is closed (resume from its cursor).', 1000, { min: 1, max: 1_000_000 }),
} satisfies Spec;
