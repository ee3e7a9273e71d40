/**
 * The gateway's pipeline, in the order a request goes through it. Each stage is a folder whose
 * `index.ts` is its public surface; features are plugins (`gateway/plugins/useX.ts`) that hook into
 * the stages below and never reach into one another.
 *
 *   receive ──▶ authenticate ──▶ authorize ──▶ limit ──▶ plan ──▶ execute ──▶ shape ──▶ respond / stream
 *   HTTP, body,  who calls:        fields the     rates,     query     walk the    errors to   status, body,
 *   CORS, CSRF,  principal from    caller may     cost,      plan from plan, fetch catalogue   SSE / graphql-ws
 *   documents    a token or key    not see are    depth,     the super- from sub-  codes,
 *   (APQ)                          removed        tokens…    graph      graphs     subgraph named
 *
 * Folders: receive/, authenticate/, authorize/, limit/, plan/, execute/, shape/, and for the last
 * stage respond/ (single HTTP answers) and stream/ (graphql-ws and SSE, shared upstream subscriptions).
 * Subscriptions (and operations arriving over graphql-ws or SSE) are planned by plan/ and run by
 * execute/ with the same walker as HTTP queries, through the same hooks — except that
 * `onSubgraphFetch` sees only HTTP fetches, not a subscription's long-lived upstream socket.
 *
 * Hooks, by stage:
 * - receive:      `onReceive(request)`          — may refuse the raw request (throw a catalogue error).
 * - authenticate: `onAuthenticate(request)`     — returns the principal the rest of the request sees, or
 *                                                 throws UNAUTHENTICATED for credentials it refuses.
 *                                                 Runs for HTTP, at graphql-ws `connection_init`, and
 *                                                 when an SSE stream opens.
 * - limit:        `onAdmit(admission)`          — after authentication, before the document is read: rate
 *                                                 limits and quotas (may throw RATE_LIMITED, add headers).
 *                 `validationRules`             — GraphQL validation rules (gateway/limit), of the schema and
 *                                                 document alone: their verdict is cached per query text.
 * - authorize / limit, per operation:
 *                 `onOperation(operation)`      — runs once the document is parsed and validated, with the
 *                                                 principal, before planning, on every path (HTTP, graphql-ws,
 *                                                 SSE). May refuse (throw a catalogue error), or rewrite the
 *                                                 document (e.g. remove the fields the caller may not see) and
 *                                                 shape every result of it (each subscription event included).
 * - execute:      `onSubgraphFetch(fetch)`      — runs before each subgraph fetch; may return an
 *                                                 AbortSignal or a timeout, headers to add, and a
 *                                                 callback run when it settles.
 * - shape:        `onShapeError(error)`         — adjusts each error before it is sent.
 * - respond:      `onOutcome(outcome)`          — after each answer: operation, error codes, duration (telemetry).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { DocumentNode, ExecutionResult, GraphQLFormattedError, GraphQLSchema, OperationDefinitionNode, ParseOptions, ValidationRule } from 'graphql';

export const STAGES = ['receive', 'authenticate', 'authorize', 'limit', 'plan', 'execute', 'shape', 'respond'] as const;
export type Stage = (typeof STAGES)[number];

/** What the receive stage knows of a request before GraphQL sees it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  remoteAddress: string | undefined;
}

/** The roles demand control, rate limits and policies are configured for. */
export type PrincipalKind = 'anonymous' | 'citizen' | 'partner' | 'agent' | 'operator';

/** Who is calling; anonymous until an authentication plugin says otherwise. */
export interface Principal {
  /** Stable id: `agent:AG0001`, `citizen:IDF-2026-000123`, `key:<key id>`, `ip:<address>` for anonymous callers… */
  id: string;
  kind: PrincipalKind;
  scopes: string[];
  /** When the credentials stop being valid (ms since epoch); long-lived streams are closed then. */
  expiresAt?: number;
  /** The caller's address as the receive stage saw it (rate limits per IP). */
  remoteAddress?: string;
  /** A partner key's own limits, when it has them (otherwise the configured defaults for its kind apply). */
  limits?: {
    /** Requests allowed per rate-limit window (RATE_LIMIT_WINDOW_S). */
    rate?: number;
    /** Requests allowed per UTC day. */
    dailyQuota?: number;
  };
  /** Trusted documents: when set, only operations whose sha256 is in this set may run (OPERATION_NOT_TRUSTED otherwise). */
  trustedOperations?: ReadonlySet<string>;
}

export const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous', kind: 'anonymous', scopes: [] as string[] }) as Principal;

/** What every execution path (HTTP, graphql-ws, SSE, per-event plan runs) hands to the subgraph fetches. */
export interface GatewayContext {
  principal: Principal;
  /** Fires when the client gives up (its HTTP request closes before the answer): in-flight subgraph fetches are aborted. */
  signal?: AbortSignal;
}

export interface SubgraphFetch {
  subgraph: string;
  operationName: string | undefined;
}

export interface SubgraphFetchHooks {
  /** Aborts the fetch when it fires. */
  signal?: AbortSignal;
  /**
   * Longest the fetch may take, in ms (e.g. SUBGRAPH_TIMEOUT_MS). The client keeps one deadline per
   * request (the smallest asked), cheaper than an AbortSignal per fetch; past it: GATEWAY_TIMEOUT.
   */
  timeoutMs?: number;
  /** Headers added to the HTTP request to the subgraph (e.g. the W3C `traceparent`). */
  headers?: Record<string, string>;
  /** Called when the fetch has settled, with its error if it failed. */
  done?: (error?: unknown) => void;
}

/** One operation answered (or refused), on any transport: what telemetry records. */
export interface OperationOutcome {
  transport: 'http' | 'sse' | 'graphql-ws';
  /** The operation's name when it has one and got that far. */
  operationName: string | undefined;
  /** query, mutation or subscription, when the document got that far. */
  operationType: 'query' | 'mutation' | 'subscription' | undefined;
  /** The catalogue codes of the errors sent (one entry per error; empty when none). */
  errorCodes: string[];
  /** From the request's arrival (HTTP) or the subscribe message (streams) to the answer sent. */
  durationMs: number;
  principal: Principal;
}

/** A request admitted past authentication, before its document is read. */
export interface Admission {
  principal: Principal;
  request: ReceivedRequest;
  transport: 'http' | 'sse' | 'graphql-ws';
  /** Adds a header to the HTTP answer (ignored on graphql-ws, where there is none per operation). */
  setHeader(name: string, value: string): void;
}

/** An operation parsed and validated against the API schema, about to be planned. */
export interface ResolvedOperation {
  /** The document as it stands (after the rewrites of earlier plugins). */
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly operationName: string | undefined;
  /** Variables as the client sent them (not coerced). */
  readonly variables: Readonly<Record<string, unknown>>;
  readonly principal: Principal;
  readonly schema: GraphQLSchema;
  /**
   * True when an open subscription is re-planned on a new supergraph (gateway/stream/operations.ts):
   * the checks apply again, but nothing is charged again (budgets were spent at subscribe).
   */
  readonly replan?: boolean;
}

/** What a plugin's `onOperation` may change. */
export interface OperationRewrite {
  /** The document to plan and run instead. */
  document?: DocumentNode;
  /**
   * Tells this rewrite apart in plan caches, which are keyed by the query text: required with
   * `document` (two callers whose rewrites differ must never share a plan).
   */
  cacheKey?: string;
  /** Applied to every result of the operation, each subscription event included. */
  shapeResult?(result: ExecutionResult): ExecutionResult;
}

/** The rewrites of every plugin, combined. */
export interface PreparedRewrite {
  document: DocumentNode;
  /** '' when no plugin rewrote the document. */
  cacheKey: string;
  shapeResult(result: ExecutionResult): ExecutionResult;
}

export interface GatewayPlugin {
  readonly name: string;
  onReceive?(request: ReceivedRequest): void;
  onAuthenticate?(request: ReceivedRequest): Principal | undefined | Promise<Principal | undefined>;
  onAdmit?(admission: Admission): void | Promise<void>;
  /**
   * Run on every document, after graphql-js's own rules. Each must depend on the schema and the
   * document alone: validated documents are cached by query text for every caller
   * (plan/document-cache.ts). A check that needs the caller belongs in `onOperation`.
   */
  readonly validationRules?: readonly ValidationRule[];
  /** Options of the GraphQL parser (e.g. `maxTokens`), on every path; the smallest `maxTokens` wins. */
  readonly parseOptions?: ParseOptions;
  onOperation?(operation: ResolvedOperation): OperationRewrite | void | Promise<OperationRewrite | void>;
  onSubgraphFetch?(fetch: SubgraphFetch): SubgraphFetchHooks | void;
  onShapeError?(error: GraphQLFormattedError): GraphQLFormattedError;
  /** After the answer of a query or mutation is sent, or a subscription ends (never throws into the request). */
  onOutcome?(outcome: OperationOutcome): void;
  /** Releases what the plugin holds (Redis connections, timers) when the gateway stops. */
  close?(): void | Promise<void>;
}

/** The plugins' hooks merged per stage, in declaration order. */
export interface Pipeline {
  receive(request: ReceivedRequest): void;
  authenticate(request: ReceivedRequest): Promise<Principal>;
  admit(admission: Admission): Promise<void>;
  validationRules: ValidationRule[];
  parseOptions: ParseOptions;
  operation(operation: ResolvedOperation): Promise<PreparedRewrite>;
  subgraphFetch(fetch: SubgraphFetch): SubgraphFetchHooks[];
  shapeError(error: GraphQLFormattedError): GraphQLFormattedError;
  outcome(outcome: OperationOutcome): void;
  /** Every plugin's `close`, once the gateway has stopped serving. */
  close(): Promise<void>;
}

export function buildPipeline(plugins: readonly GatewayPlugin[]): Pipeline {
  return {
    receive(request) {
      for (const plugin of plugins) plugin.onReceive?.(request);
    },
    async authenticate(request) {
      for (const plugin of plugins) {
        const principal = await plugin.onAuthenticate?.(request);
        if (principal) return principal;
      }
      return ANONYMOUS;
    },
    async admit(admission) {
      for (const plugin of plugins) await plugin.onAdmit?.(admission);
    },
    validationRules: plugins.flatMap((plugin) => plugin.validationRules ?? []),
    parseOptions: mergeParseOptions(plugins),
    async operation(resolved) {
      let current = resolved;
      const keys: string[] = [];
      const shapers: ((result: ExecutionResult) => ExecutionResult)[] = [];
      for (const plugin of plugins) {
        if (!plugin.onOperation) continue;
        const rewrite = await plugin.onOperation(current);
        if (!rewrite) continue;
        if (rewrite.document && rewrite.document !== current.document) {
          if (rewrite.cacheKey === undefined) throw new Error(`plugin ${plugin.name} rewrote a document without a cacheKey`);
          current = { ...current, document: rewrite.document };
        }
        if (rewrite.cacheKey) keys.push(`${plugin.name}:${rewrite.cacheKey}`);
        if (rewrite.shapeResult) shapers.push(rewrite.shapeResult);
      }
      return {
        document: current.document,
        cacheKey: keys.join('|'),
        shapeResult: shapers.length === 0 ? identity : (result) => shapers.reduce((shaped, shape) => shape(shaped), result),
      };
    },
    subgraphFetch(fetch) {
      const hooks: SubgraphFetchHooks[] = [];
      for (const plugin of plugins) {
        const hook = plugin.onSubgraphFetch?.(fetch);
        if (hook) hooks.push(hook);
      }
      return hooks;
    },
    shapeError(error) {
      return plugins.reduce((shaped, plugin) => plugin.onShapeError?.(shaped) ?? shaped, error);
    },
    outcome(outcome) {
      for (const plugin of plugins) {
        try {
          plugin.onOutcome?.(outcome);
        } catch {
          // Telemetry never fails the request it describes.
        }
      }
    },
    async close() {
      await Promise.allSettled(plugins.map((plugin) => plugin.close?.()));
    },
  };
}

const identity = <T>(value: T): T => value;

function mergeParseOptions(plugins: readonly GatewayPlugin[]): ParseOptions {
  const merged: ParseOptions = {};
  for (const plugin of plugins) {
    const { maxTokens, ...rest } = plugin.parseOptions ?? {};
    Object.assign(merged, rest);
    if (maxTokens !== undefined) merged.maxTokens = Math.min(merged.maxTokens ?? maxTokens, maxTokens);
  }
  return merged;
}
