/**
 * Every environment variable Passerelle reads, in one place. Each process reads only its own
 * section (`readEnv(gatewayEnv)` …), so a typo in the gateway's settings cannot stop a subgraph.
 * The README lists every variable declared here; `tests/common/config.test.ts` checks it does.
 */
import { addressList, bearerToken, int, keyValueList, msRange, oneOf, optionalUrl, originList, ratio, secret, str, url, urlMap, type Spec } from './env.ts';

const host = str('HOST', 'Interface every process binds to.', '127.0.0.1');
const logLevel = oneOf(
  'LOG_LEVEL',
  'pino log level for every process.',
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  'info',
);
/**
 * Shared by the gateway (verifies bearer tokens) and the requests subgraph (issues tracking tokens).
 * Unset: the development default; in production it must be set, 32+ characters, not the default.
 */
const authSecret = secret(
  'AUTH_SECRET',
  'HS256 secret of Passerelle\'s own tokens: tracking tokens the requests subgraph issues (and, in development only, agents\' tokens from `npm run token`). Unset in production, empty, shorter than 32 characters or the default in production: refused at start-up.',
  'passerelle-dev-secret-change-me-0123456789',
);
/**
 * Gateway → subgraph identity (common/identity.ts): the gateway signs who calls, every subgraph
 * verifies it and refuses unsigned calls. Same rules as AUTH_SECRET; a different value is wise.
 */
const gatewaySecret = secret(
  'GATEWAY_SECRET',
  'HS256 secret with which the gateway signs the caller\'s identity for the subgraphs (header x-passerelle-identity); every subgraph refuses a call without a valid one. Same rules as AUTH_SECRET.',
  'passerelle-dev-gateway-secret-change-me-01234',
);
/**
 * Development (the default, what `npm start` runs) accepts the embedded defaults; production
 * (NODE_ENV=production) refuses to start on any unsafe one (default or short secrets, HS256 user
 * tokens, introspection on…) and says which.
 */
const nodeEnv = oneOf('NODE_ENV', 'development: embedded defaults accepted; production: every unsafe default refused at start-up.', ['development', 'production', 'test'], 'development');
/**
 * Prometheus metrics on `GET /metrics` of every process (common/metrics.ts). In production they are
 * not open to the world: METRICS_TOKEN is required while METRICS is on (or turn them off).
 */
const metrics = {
  metrics: oneOf('METRICS', 'Whether every process serves Prometheus metrics on GET /metrics: on or off (then /metrics answers 404).', ['on', 'off'], 'on'),
  metricsToken: bearerToken(
    'METRICS_TOKEN',
    'Bearer token GET /metrics asks for (Authorization: Bearer <token>), at least 32 characters. Unset: /metrics is open, in development only; in production it is required while METRICS=on.',
    (env) => env.METRICS !== 'off',
  ),
};
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
  ...metrics,
  port: int('GEO_API_PORT', 'Port of the geodata API stand-in.', 4101, { min: 0, max: 65535 }),
  ...faults('GEO_API', 'geo API', 'HTTP 503', [0, 0]),
} satisfies Spec;

export const lyceesApiEnv = {
  host,
  logLevel,
  ...metrics,
  seed,
  port: int('LYCEES_API_PORT', 'Port of the Lycées numériques REST API stand-in.', 4102, { min: 0, max: 65535 }),
  ...faults('LYCEES_API', 'Lycées API', 'HTTP 503', [20, 80]),
} satisfies Spec;

export const grcEnv = {
  host,
  logLevel,
  ...metrics,
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
  // Seeding PGlite takes seconds at every start; a snapshot of the freshly seeded database loads in one.
  seedCacheDir: str(
    'GRC_SEED_CACHE_DIR',
    'Where snapshots of the freshly seeded embedded GRC database are kept (keyed by SEED, GRC_SEED_REQUESTS and a hash of the schema and generator), so that later starts load one instead of seeding; "off" seeds every time. Used only when GRC_DATA_DIR is "memory".',
    '.passerelle/grc-seed',
  ),
  ...faults('GRC', 'GRC', 'a PostgreSQL error', [0, 0]),
} satisfies Spec;

export const opendataApiEnv = {
  host,
  logLevel,
  ...metrics,
  seed,
  port: int('OPENDATA_API_PORT', 'Port of the decision-support / open data (Opendatasoft-shaped) API stand-in.', 4104, { min: 0, max: 65535 }),
  ...faults('OPENDATA_API', 'open data API', 'HTTP 503', [0, 0]),
} satisfies Spec;

/**
 * Circuit breakers, bulkheads' queues and retry budgets (common/resilience.ts) of the gateway's
 * guard of each subgraph (the subgraphs' guards of their legacy systems have UPSTREAM_* twins).
 */
const resilience = {
  breakerFailureRatio: ratio('BREAKER_FAILURE_RATIO', 'Share of failed calls (unreachable, 5xx, timeout) to one subgraph over BREAKER_WINDOW_MS that opens its circuit breaker; an open breaker fails the fields of that subgraph at once with SUBGRAPH_UNAVAILABLE. 1: breakers never open.', 0.5),
  breakerWindowMs: int('BREAKER_WINDOW_MS', 'Sliding window over which a circuit breaker counts failures.', 10_000, { min: 100, max: 3_600_000 }),
  breakerMinRequests: int('BREAKER_MIN_REQUESTS', 'Calls needed within BREAKER_WINDOW_MS before a circuit breaker may open.', 10, { min: 1, max: 1_000_000 }),
  breakerHalfOpenAfterMs: int('BREAKER_HALF_OPEN_AFTER_MS', 'How long an open circuit breaker refuses every call before one probe call is let through (its success closes the breaker).', 5_000, { min: 1, max: 3_600_000 }),
  bulkheadQueue: int('BULKHEAD_QUEUE', 'Fetches to one subgraph that may wait for a free slot (slots: SUBGRAPH_CONNECTIONS); one more is refused at once with SUBGRAPH_UNAVAILABLE.', 256, { min: 0, max: 1_000_000 }),
  retryBudgetRatio: ratio('RETRY_BUDGET_RATIO', 'Retries earned per fetch to one subgraph (0.1: at most one retry per ten calls once the reserve is spent). Only reads are retried, never mutations.', 0.1),
  retryBudgetReserve: int('RETRY_BUDGET_RESERVE', 'Retries to one subgraph that may be spent in a burst before RETRY_BUDGET_RATIO applies; 0 with a ratio of 0: no retries.', 10, { min: 0, max: 100_000 }),
};

/** Graceful shutdown (SIGTERM) of the gateway and the subgraphs (common/drain.ts). */
const shutdown = {
  shutdownDelayMs: int('SHUTDOWN_DELAY_MS', 'On SIGTERM, how long the process (gateway or subgraph) keeps serving while /health/ready answers 503, so load balancers stop sending it new requests before it stops listening.', 0, { min: 0, max: 600_000 }),
  shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 'On SIGTERM, how long requests in flight may take to finish once the process stops listening; then their connections are cut.', 10_000, { min: 0, max: 600_000 }),
};

/** Settings shared by the four subgraphs' connectors. */
const upstream = {
  upstreamTimeoutMs: int('UPSTREAM_TIMEOUT_MS', 'Timeout of one call from a subgraph to its legacy system.', 5000, { min: 1, max: 600_000 }),
  upstreamRetries: int('UPSTREAM_RETRIES', 'Retries of an idempotent legacy call that failed with 502/503/504 or a network error.', 2, { min: 0, max: 10 }),
  upstreamConnections: int('UPSTREAM_CONNECTIONS', 'Connections per subgraph to its legacy system (HTTP pool or PostgreSQL pool), and calls to it at once; more wait in UPSTREAM_BULKHEAD_QUEUE.', 16, { min: 1, max: 1024 }),
  // One guard per legacy system in each subgraph (subgraphs/kit/legacy-guards.ts, common/resilience.ts).
  upstreamBreakerFailureRatio: ratio('UPSTREAM_BREAKER_FAILURE_RATIO', 'Share of failed calls (unreachable, 5xx, timeout) from a subgraph to one legacy system over UPSTREAM_BREAKER_WINDOW_MS that opens its circuit breaker; an open breaker fails the fields needing that system at once with LEGACY_UNAVAILABLE. 1: breakers never open.', 0.5),
  upstreamBreakerWindowMs: int('UPSTREAM_BREAKER_WINDOW_MS', 'Sliding window over which a legacy system\'s circuit breaker counts failures.', 10_000, { min: 100, max: 3_600_000 }),
  upstreamBreakerMinRequests: int('UPSTREAM_BREAKER_MIN_REQUESTS', 'Calls to a legacy system needed within UPSTREAM_BREAKER_WINDOW_MS before its circuit breaker may open.', 10, { min: 1, max: 1_000_000 }),
  upstreamBreakerHalfOpenAfterMs: int('UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS', 'How long an open legacy circuit breaker refuses every call before one probe call is let through (its success closes the breaker).', 5_000, { min: 1, max: 3_600_000 }),
  upstreamBulkheadQueue: int('UPSTREAM_BULKHEAD_QUEUE', 'Calls to one legacy system that may wait for a free slot (slots: UPSTREAM_CONNECTIONS); one more is refused at once with LEGACY_UNAVAILABLE.', 256, { min: 0, max: 1_000_000 }),
  upstreamRetryBudgetRatio: ratio('UPSTREAM_RETRY_BUDGET_RATIO', 'Retries earned per call to one legacy system (0.1: one retry per ten calls once the reserve is spent). Only idempotent reads are retried.', 0.1),
  upstreamRetryBudgetReserve: int('UPSTREAM_RETRY_BUDGET_RESERVE', 'Retries to one legacy system that may be spent in a burst before UPSTREAM_RETRY_BUDGET_RATIO applies.', 10, { min: 0, max: 100_000 }),
  // Graceful shutdown, as the gateway's (common/drain.ts): the same variables.
  ...shutdown,
  maxPageSize: int('MAX_PAGE_SIZE', 'Largest `first` a connection field accepts.', 100, { min: 1, max: 10_000 }),
  referenceCacheTtlMs: int('REFERENCE_CACHE_TTL_MS', 'How long a connector keeps yearly reference data (geodata, programmes).', 3_600_000, { min: 0 }),
};

/**
 * Limits every subgraph applies itself (subgraphs/kit/server.ts), so that a caller reaching a
 * subgraph directly, past the gateway, cannot exhaust it either (issue 7: a 300 MB body took geo to
 * 1.25 GB; an amplifying query took lycees to 4.3 GB).
 */
const subgraphLimits = {
  subgraphMaxBodyBytes: int('SUBGRAPH_MAX_BODY_BYTES', 'Largest request body a subgraph reads; larger gets HTTP 413 PAYLOAD_TOO_LARGE.', 2_000_000, { min: 1 }),
  subgraphMaxDepth: int('SUBGRAPH_MAX_DEPTH', 'Deepest selection set a subgraph accepts (entity fetches from the gateway add a level or two to MAX_DEPTH).', 20, { min: 1, max: 1000 }),
  subgraphMaxResultObjects: int(
    'SUBGRAPH_MAX_RESULT_OBJECTS',
    'Most fields a subgraph resolves for one request; past it the request fails with RESPONSE_TOO_LARGE.',
    50_000,
    { min: 1 },
  ),
};

export const geoSubgraphEnv = {
  host,
  logLevel,
  ...metrics,
  nodeEnv,
  gatewaySecret,
  ...upstream,
  ...subgraphLimits,
  port: int('GEO_SUBGRAPH_PORT', 'Port of the geo subgraph.', 4001, { min: 0, max: 65535 }),
  geoApiUrl: url('GEO_API_URL', 'Base URL of the geodata API.', 'http://127.0.0.1:4101'),
} satisfies Spec;

export const lyceesSubgraphEnv = {
  host,
  logLevel,
  ...metrics,
  nodeEnv,
  gatewaySecret,
  ...upstream,
  ...subgraphLimits,
  port: int('LYCEES_SUBGRAPH_PORT', 'Port of the lycées subgraph.', 4002, { min: 0, max: 65535 }),
  lyceesApiUrl: url('LYCEES_API_URL', 'Base URL of the Lycées numériques API.', 'http://127.0.0.1:4102'),
} satisfies Spec;

export const requestsSubgraphEnv = {
  host,
  logLevel,
  ...metrics,
  nodeEnv,
  gatewaySecret,
  ...upstream,
  ...subgraphLimits,
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
    'subgraphs/requests/intake/routing-rules.json',
  ),
  trackingTokenTtlS: int('TRACKING_TOKEN_TTL_S', 'Lifetime in seconds of the tracking token given to a citizen with each new request.', 31_536_000, { min: 60, max: 315_360_000 }),
  auditLogPath: str(
    'AUDIT_LOG_PATH',
    'Where the requests subgraph appends its audit log (JSON lines: every mutation and every read of a request\'s personal data): a file, created with its folder, or `stdout`.',
    '.passerelle/audit-requests.log',
  ),
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
  ...metrics,
  nodeEnv,
  gatewaySecret,
  ...upstream,
  ...subgraphLimits,
  port: int('INSIGHTS_SUBGRAPH_PORT', 'Port of the insights subgraph.', 4004, { min: 0, max: 65535 }),
  opendataApiUrl: url('OPENDATA_API_URL', 'Base URL of the decision-support / open data API.', 'http://127.0.0.1:4104'),
} satisfies Spec;

export const gatewayEnv = {
  host,
  logLevel,
  ...metrics,
  nodeEnv,
  gatewaySecret,
  port: int('PORT', 'Port of the gateway (HTTP and WebSocket on /graphql).', 4000, { min: 0, max: 65535 }),
  supergraphPath: str('SUPERGRAPH_PATH', 'Composed supergraph SDL the gateway serves (reloaded when the file changes).', 'schema/supergraph.graphql'),
  policiesPath: str(
    'POLICIES_PATH',
    'JSON file of the named policies the schema\'s @policy directives refer to: { "<name>": { "kinds": [...], "scopes": [...] } }; a policy it lacks lets no one in.',
    'schema/policies.json',
  ),
  supergraphUrl: optionalUrl('SUPERGRAPH_URL', 'Fetch the supergraph from this URL instead of SUPERGRAPH_PATH (polled every 30 s).', ['http:', 'https:']),
  subgraphUrls: urlMap(
    'SUBGRAPH_URLS',
    'Overrides of the subgraph URLs written in the supergraph, as name=url pairs (e.g. "geo=http://geo:4001/graphql").',
  ),
  ...resilience,
  ...shutdown,
  subgraphRetries: int('SUBGRAPH_RETRIES', 'Retries of a gateway → subgraph query fetch that found the subgraph unreachable or answering 502/503/504 (mutations are never retried), within RETRY_BUDGET_RATIO.', 2, { min: 0, max: 10 }),
  subgraphConnections: int('SUBGRAPH_CONNECTIONS', 'Connections of the gateway to each subgraph (a pool of its own) and fetches to it at once; more wait in BULKHEAD_QUEUE.', 64, { min: 1, max: 10_000 }),
  subgraphTimeoutMs: int('SUBGRAPH_TIMEOUT_MS', 'Timeout of one gateway → subgraph fetch; past it the fetch fails with GATEWAY_TIMEOUT.', 10_000, { min: 1, max: 600_000 }),
  subgraphDedup: oneOf(
    'SUBGRAPH_DEDUP',
    'In-flight de-duplication of gateway → subgraph query fetches: identical queries (same subgraph, text, variables and caller authority) in flight at once share one request. on or off; mutations are never shared.',
    ['on', 'off'],
    'on',
  ),
  subgraphBatch: oneOf(
    'SUBGRAPH_BATCH',
    'Entity fetches through per-run DataLoaders (on): one request per subgraph per tick, each entity asked once per selection; off: one request per plan fetch, as stock @apollo/gateway sends them (for comparisons).',
    ['on', 'off'],
    'on',
  ),
  maxBodyBytes: int('MAX_BODY_BYTES', 'Largest request body the gateway reads; larger gets PAYLOAD_TOO_LARGE.', 1_000_000, { min: 1 }),
  maxDepth: int('MAX_DEPTH', 'Deepest selection set an operation may have.', 15, { min: 1, max: 1000 }),
  maxAliases: int('MAX_ALIASES', 'Most aliases an operation may use.', 30, { min: 0, max: 10_000 }),
  // Demand control (gateway/limit, issue 7): refused before any subgraph is called.
  maxRootFields: int('MAX_ROOT_FIELDS', 'Most root fields (distinct response names) an operation may select.', 20, { min: 1, max: 10_000 }),
  maxTokens: int('MAX_TOKENS', 'Most lexical tokens a document may have; the parser stops there (MAX_TOKENS_EXCEEDED).', 5000, { min: 1, max: 10_000_000 }),
  defaultListSize: int('DEFAULT_LIST_SIZE', 'Size the cost estimate assumes for a list no `first`-like argument nor @listSize sizes.', 20, { min: 1, max: 1_000_000 }),
  maxCostAnonymous: int('MAX_COST_ANONYMOUS', 'Highest estimated cost of one operation for a caller without credentials (COST_LIMIT_EXCEEDED above).', 1_000_000, { min: 1 }),
  maxCostCitizen: int('MAX_COST_CITIZEN', 'Highest estimated cost of one operation for a citizen.', 1_000_000, { min: 1 }),
  maxCostPartner: int('MAX_COST_PARTNER', 'Highest estimated cost of one operation for a partner (API key).', 2_000_000, { min: 1 }),
  maxCostAgent: int('MAX_COST_AGENT', 'Highest estimated cost of one operation for an agent.', 2_000_000, { min: 1 }),
  maxCostOperator: int('MAX_COST_OPERATOR', 'Highest estimated cost of one operation for an operator.', 10_000_000, { min: 1 }),
  maxResponseBytes: int('MAX_RESPONSE_BYTES', 'Largest answer (data as JSON) one operation may return; larger is replaced by RESPONSE_TOO_LARGE.', 10_000_000, { min: 1 }),
  maxSubgraphResponseBytes: int(
    'MAX_SUBGRAPH_RESPONSE_BYTES',
    'Largest body the gateway reads from one subgraph fetch, counted while it streams in; past it the fetch is aborted and its fields are null with RESPONSE_TOO_LARGE.',
    10_000_000,
    { min: 1 },
  ),
  introspection: oneOf(
    'INTROSPECTION',
    'Whether schema introspection is allowed: on, off, or auto (on in development, off in production). When off, a caller with the scope `introspection` may still introspect.',
    ['on', 'off', 'auto'],
    'auto',
  ),
  redisUrl: optionalUrl('REDIS_URL', 'Redis shared by gateway replicas. Unset: in-process state (one process only).', ['redis:', 'rediss:']),
  authSecret,
  // Identities from the region's identity provider (gateway/authenticate/jwks.ts).
  jwksUrl: optionalUrl('JWKS_URL', 'URL of the JSON Web Key Set that verifies user and agent JWTs (RS256/ES256); fetched, cached and refreshed when a token names an unknown key.', ['http:', 'https:']),
  jwksPath: str('JWKS_PATH', 'JSON Web Key Set file that verifies user and agent JWTs (RS256/ES256), re-read when it changes; used when JWKS_URL is unset. Unset: no JWKS.', ''),
  jwtIssuer: str('JWT_ISSUER', 'Issuer (iss) every JWKS-verified token must carry; required when JWKS_URL or JWKS_PATH is set.', ''),
  jwtAudience: str('JWT_AUDIENCE', 'Audience (aud) every JWKS-verified token must carry; required when JWKS_URL or JWKS_PATH is set.', ''),
  jwtClockSkewS: int('JWT_CLOCK_SKEW_S', 'Clock skew tolerated on exp/nbf/iat of bearer tokens, in seconds.', 30, { min: 0, max: 600 }),
  apiKeysPath: str('API_KEYS_PATH', 'JSON file of the partners\' API keys (hashed) when REDIS_URL is unset; shared by `npm run keys` and the gateway, re-read on change.', '.passerelle/api-keys.json'),
  // Protection at the edge (gateway/plugins/useRateLimit.ts, useCsrfPrevention.ts, useCors.ts, receive/documents.ts).
  rateLimitWindowS: int('RATE_LIMIT_WINDOW_S', 'Length in seconds of the sliding rate-limit window (per API key, per user, per IP for anonymous callers).', 60, { min: 1, max: 86_400 }),
  rateLimitAnonymous: int('RATE_LIMIT_ANONYMOUS', 'Requests an anonymous caller (per IP address) may make per window; 0 = no limit.', 300, { min: 0 }),
  rateLimitCitizen: int('RATE_LIMIT_CITIZEN', 'Requests a citizen may make per window; 0 = no limit.', 300, { min: 0 }),
  rateLimitPartner: int('RATE_LIMIT_PARTNER', "Requests a partner API key may make per window, unless the key has its own rate; 0 = no limit.", 600, { min: 0 }),
  rateLimitAgent: int('RATE_LIMIT_AGENT', 'Requests an agent may make per window; 0 = no limit.', 1200, { min: 0 }),
  rateLimitOperator: int('RATE_LIMIT_OPERATOR', 'Requests an operator may make per window; 0 = no limit.', 0, { min: 0 }),
  // Estimated cost per window (gateway/plugins/useCostLimit.ts): the rate limits count requests, this
  // counts what they cost, so a caller cannot send the largest allowed operation hundreds of times.
  costBudgetAnonymous: int('COST_BUDGET_ANONYMOUS', 'Estimated cost an anonymous IP may spend per rate-limit window (RATE_LIMITED past it); 0 = no budget; at least MAX_COST_ANONYMOUS.', 5_000_000, { min: 0 }),
  costBudgetCitizen: int('COST_BUDGET_CITIZEN', 'Estimated cost a citizen may spend per rate-limit window; 0 = no budget; at least MAX_COST_CITIZEN.', 5_000_000, { min: 0 }),
  costBudgetPartner: int('COST_BUDGET_PARTNER', 'Estimated cost a partner API key may spend per rate-limit window; 0 = no budget; at least MAX_COST_PARTNER.', 20_000_000, { min: 0 }),
  costBudgetAgent: int('COST_BUDGET_AGENT', 'Estimated cost an agent may spend per rate-limit window; 0 = no budget; at least MAX_COST_AGENT.', 20_000_000, { min: 0 }),
  costBudgetOperator: int('COST_BUDGET_OPERATOR', 'Estimated cost an operator may spend per rate-limit window; 0 = no budget.', 0, { min: 0 }),
  dailyQuotaPartner: int('DAILY_QUOTA_PARTNER', "Requests a partner API key may make per UTC day, unless the key has its own quota; 0 = no quota.", 50_000, { min: 0 }),
  maxSubscriptionsPerSocket: int('MAX_SUBSCRIPTIONS_PER_SOCKET', 'Subscriptions one graphql-ws connection may have open at once; one more gets TOO_MANY_SUBSCRIPTIONS.', 50, { min: 1, max: 100_000 }),
  maxSubscriptionsPerPrincipal: int(
    'MAX_SUBSCRIPTIONS_PER_PRINCIPAL',
    'Subscriptions one caller (user, API key, or IP address for anonymous callers) may have open at once on one gateway replica, over all its sockets and SSE streams; one more gets TOO_MANY_SUBSCRIPTIONS.',
    200,
    { min: 1, max: 1_000_000 },
  ),
  maxSocketsPerPrincipal: int('MAX_SOCKETS_PER_PRINCIPAL', 'graphql-ws connections one caller may have open at once on one gateway replica; one more is closed with 4029.', 20, { min: 1, max: 100_000 }),
  corsOrigins: originList(
    'CORS_ORIGINS',
    'Comma-separated origins (e.g. "https://portail.example.fr") whose web pages may call the gateway from a browser. Empty: no cross-origin browser access, except http://localhost / 127.0.0.1 / [::1] pages outside production.',
  ),
  trustedProxies: addressList(
    'TRUSTED_PROXIES',
    'Load balancers in front of the gateway (IP addresses or CIDR blocks, e.g. "10.0.0.0/8"): from their connections the caller\'s address is read from X-Forwarded-For (rate limits, budgets and caps per anonymous IP). Empty: the TCP peer is the caller.',
  ),
  trustedDocumentsPath: str(
    'TRUSTED_DOCUMENTS_PATH',
    'Persisted-query manifest (Apollo format: operations with id = sha256 of body) from which hash-only requests are resolved, e.g. those of API keys restricted to trusted documents. Unset: no manifest.',
    '',
  ),
  apqCacheSize: int('APQ_CACHE_SIZE', 'Automatic persisted queries kept in process when REDIS_URL is unset (least recently used dropped first).', 1000, { min: 0, max: 1_000_000 }),
  apqTtlS: int('APQ_TTL_S', 'How long an automatic persisted query is kept in Redis, in seconds.', 86_400, { min: 1, max: 31_536_000 }),
  documentCacheSize: int('DOCUMENT_CACHE_SIZE', 'Parsed and validated operations kept by query text, shared by HTTP, graphql-ws and SSE (least recently used dropped first); 0 parses and validates every request.', 1000, { min: 0, max: 1_000_000 }),
  // The web console (gateway/receive/static-files.ts), built by `npm run build:console`.
  console: oneOf('CONSOLE', 'Whether the gateway serves the web console (static files of CONSOLE_DIST) at / : on or off (then only /graphql and /health answer).', ['on', 'off'], 'on'),
  consoleDist: str('CONSOLE_DIST', 'Folder of the built web console the gateway serves (relative to the working directory).', 'console/dist'),
  upstreamResumeTimeoutMs: int('UPSTREAM_RESUME_TIMEOUT_MS', 'How long the gateway keeps re-subscribing, from the last cursor, to a subgraph whose subscription socket dropped; past it the stream ends with SUBGRAPH_UNAVAILABLE.', 60_000, { min: 0, max: 3_600_000 }),
  subscriberQueueSize: int('SUBSCRIBER_QUEUE_SIZE', 'Events a subscriber may have waiting to be sent; past it the subscriber is closed (resume from its cursor).', 1000, { min: 1, max: 1_000_000 }),
  // The public-data cache of plan fetches (gateway/execute/cache/): what the schema hints PUBLIC with a max-age.
  publicCache: oneOf('PUBLIC_CACHE', 'Whether the gateway caches the subgraph fetches the schema hints public (@cacheControl, scope PUBLIC, maxAge > 0): on or off.', ['on', 'off'], 'on'),
  publicCacheMaxEntries: int(
    'PUBLIC_CACHE_MAX_ENTRIES',
    'Cached fetch results (one per entity or root fetch) kept in the gateway process, least recently used dropped first: the whole cache without REDIS_URL, the local layer in front of Redis with it; 0 keeps none in process.',
    10_000,
    { min: 0, max: 10_000_000 },
  ),
  publicCacheMaxAgeS: int('PUBLIC_CACHE_MAX_AGE_S', 'Longest a cached public result is kept, in seconds, whatever the schema hints say.', 3600, { min: 1, max: 86_400 }),
} satisfies Spec;

/**
 * OpenTelemetry traces (common/tracing/), read by every process with the standard OTel names. Off
 * unless configured: an OTLP endpoint, or OTEL_TRACES_EXPORTER=otlp (to http://localhost:4318).
 * When off, nothing is registered and the request paths do not pay for tracing.
 */
export const tracingEnv = {
  sdkDisabled: oneOf('OTEL_SDK_DISABLED', 'true: no traces, whatever else is set.', ['true', 'false'], 'false'),
  tracesExporter: oneOf(
    'OTEL_TRACES_EXPORTER',
    'otlp: export traces over OTLP/HTTP (to http://localhost:4318 unless an endpoint is set); none: no traces. Unset: traces are on exactly when an OTLP endpoint is set.',
    ['', 'otlp', 'none'],
    '',
  ),
  endpoint: optionalUrl(
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'Base URL of the OTLP/HTTP receiver (an OpenTelemetry Collector, Jaeger, Tempo…); traces are sent to <url>/v1/traces. Setting it turns traces on.',
    ['http:', 'https:'],
  ),
  tracesEndpoint: optionalUrl(
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'Full URL traces are sent to, taken as is (overrides OTEL_EXPORTER_OTLP_ENDPOINT). Setting it turns traces on.',
    ['http:', 'https:'],
  ),
  headers: keyValueList('OTEL_EXPORTER_OTLP_HEADERS', 'Headers sent with every export, as key=value pairs separated by commas, values percent-encoded (e.g. a hosted backend\'s API key).'),
  exportTimeoutMs: int('OTEL_EXPORTER_OTLP_TIMEOUT', 'Longest one export may take, in ms; a batch that fails is dropped (traces never hold up requests).', 10_000, { min: 1, max: 600_000 }),
  sampler: oneOf(
    'OTEL_TRACES_SAMPLER',
    'Which traces are kept: always_on, always_off, traceidratio (OTEL_TRACES_SAMPLER_ARG of them), or parentbased_… of these (follow the caller\'s `traceparent` decision when there is one, else the named rule).',
    ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'],
    'parentbased_always_on',
  ),
  samplerArg: ratio('OTEL_TRACES_SAMPLER_ARG', 'Share of traces the traceidratio samplers keep (0 to 1).', 1),
  scheduleDelayMs: int('OTEL_BSP_SCHEDULE_DELAY', 'How often finished spans are sent, in ms (they are sent in batches).', 5000, { min: 1, max: 600_000 }),
  maxQueueSize: int('OTEL_BSP_MAX_QUEUE_SIZE', 'Finished spans a process keeps while waiting to send them; past it new ones are dropped (the receiver is down or slow).', 2048, { min: 1, max: 1_000_000 }),
} satisfies Spec;
