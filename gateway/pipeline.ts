/**
 * The gateway's pipeline, in the order a request goes through it. Each stage is a folder whose
 * `index.ts` is its public surface; features are plugins (`gateway/plugins/useX.ts`) that hook into
 * the stages below and never reach into one another.
 *
 *   receive ──▶ authenticate ──▶ limit ──▶ plan ──▶ execute ──▶ shape ──▶ respond / stream
 *   HTTP,       who calls         depth,     query     walk the     errors to    status, body,
 *   body size,  (principal)       aliases,   plan from  plan, fetch  catalogue    SSE / graphql-ws
 *   JSON                          intro-     the super- from sub-    codes, sub-
 *                                 spection   graph      graphs       graph named
 *
 * Folders: receive/, authenticate/, limit/, plan/, execute/, shape/, and for the last stage
 * respond/ (single HTTP answers) and stream/ (graphql-ws and SSE, shared upstream subscriptions).
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
 * - limit:        `validationRules`             — GraphQL validation rules (gateway/limit).
 * - execute:      `onSubgraphFetch(fetch)`      — runs before each subgraph fetch; may return an
 *                                                 AbortSignal and a callback run when it settles.
 * - shape:        `onShapeError(error)`         — adjusts each error before it is sent.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GraphQLFormattedError, ValidationRule } from 'graphql';

export const STAGES = ['receive', 'authenticate', 'limit', 'plan', 'execute', 'shape', 'respond'] as const;
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
}

export interface SubgraphFetch {
  subgraph: string;
  operationName: string | undefined;
}

export interface SubgraphFetchHooks {
  /** Aborts the fetch when it fires (e.g. a timeout). */
  signal?: AbortSignal;
  /** Called when the fetch has settled, with its error if it failed. */
  done?: (error?: unknown) => void;
}

export interface GatewayPlugin {
  readonly name: string;
  onReceive?(request: ReceivedRequest): void;
  onAuthenticate?(request: ReceivedRequest): Principal | undefined | Promise<Principal | undefined>;
  readonly validationRules?: readonly ValidationRule[];
  onSubgraphFetch?(fetch: SubgraphFetch): SubgraphFetchHooks | void;
  onShapeError?(error: GraphQLFormattedError): GraphQLFormattedError;
}

/** The plugins' hooks merged per stage, in declaration order. */
export interface Pipeline {
  receive(request: ReceivedRequest): void;
  authenticate(request: ReceivedRequest): Promise<Principal>;
  validationRules: ValidationRule[];
  subgraphFetch(fetch: SubgraphFetch): SubgraphFetchHooks[];
  shapeError(error: GraphQLFormattedError): GraphQLFormattedError;
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
    validationRules: plugins.flatMap((plugin) => plugin.validationRules ?? []),
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
  };
}
