import type { GraphQLSchema } from 'graphql';
import { HeaderMap } from '@apollo/server';
import { ConfigError } from '../../common/env.ts';
import { errorCatalogue, passerelleError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { GatewayPlugin, PrincipalKind } from '../pipeline.ts';
import { NO_COST_DIRECTIVES, RateLimiter, callerKey, estimateCost, readCostDirectives, type CostDirectives } from '../limit/index.ts';

export interface CostBudgetOptions {
  /**
   * Estimated cost each kind of caller may spend per sliding window (COST_BUDGET_ANONYMOUS, …);
   * 0 = no budget. Counted like the rate limits (per API key, per user, per anonymous IP; shared by
   * every replica through Redis), but each operation weighs its estimated cost rather than 1: a
   * caller may send many small operations or a few large ones, not hundreds of large ones.
   * Past it: RATE_LIMITED (HTTP 429) with `extensions.retryAfter`, `budget` and `cost`.
   */
  perWindow: Readonly<Record<PrincipalKind, number>>;
  /** Length of the window in seconds (RATE_LIMIT_WINDOW_S). */
  windowS: number;
  /** Redis shared by every replica (REDIS_URL); unset: counted in this process only. */
  redisUrl?: string;
  logger?: Logger;
}

export interface CostLimitOptions {
  /**
   * Highest estimated cost one operation may have, per kind of caller (MAX_COST_ANONYMOUS,
   * MAX_COST_CITIZEN, MAX_COST_PARTNER, MAX_COST_AGENT, MAX_COST_OPERATOR). Above it the operation
   * is refused before planning with COST_LIMIT_EXCEEDED (HTTP 400), whose extensions carry `cost`
   * and `limit`; subscriptions are estimated when they are subscribed to.
   */
  limits: Readonly<Record<PrincipalKind, number>>;
  /** Size assumed for a list that no slicing argument nor `@listSize` sizes (DEFAULT_LIST_SIZE, default 20). */
  defaultListSize: number;
  /**
   * The supergraph schema (join and cost directives kept) currently served, where `@cost` and
   * `@listSize` are read from (the API schema drops them). Unset or undefined: no directives, every
   * list gets `defaultListSize`.
   */
  supergraph?: () => GraphQLSchema | undefined;
  /** A budget of estimated cost per window, per caller (off when unset). */
  budget?: CostBudgetOptions;
}

/**
 * Demand control: refuses an operation whose estimated cost (gateway/limit/CostRule.ts) is above the
 * caller's limit for one operation, or above what is left of the caller's budget for the window.
 */
export function useCostLimit(options: CostLimitOptions): GatewayPlugin {
  const { budget } = options;
  if (budget) {
    for (const [kind, perWindow] of Object.entries(budget.perWindow) as [PrincipalKind, number][]) {
      // A budget smaller than one allowed operation would refuse that operation for ever.
      if (perWindow > 0 && perWindow < options.limits[kind]) {
        throw new ConfigError(`COST_BUDGET_${kind.toUpperCase()}=${perWindow} is below MAX_COST_${kind.toUpperCase()}=${options.limits[kind]}: one allowed operation could never fit in it.`);
      }
    }
  }
  const limiter = budget
    ? new RateLimiter({
        windowS: budget.windowS,
        redisUrl: budget.redisUrl,
        keyPrefix: 'passerelle:cost',
        onStoreError: (error) => budget.logger?.warn({ err: error }, 'cost-budget store unreachable: budgets are counted per replica until it is back'),
      })
    : undefined;

  // Read once per supergraph version; the schema object changes when the supergraph does.
  const directivesOf = new WeakMap<GraphQLSchema, CostDirectives>();
  const currentDirectives = (): CostDirectives => {
    const supergraph = options.supergraph?.();
    if (!supergraph) return NO_COST_DIRECTIVES;
    let directives = directivesOf.get(supergraph);
    if (!directives) {
      directives = readCostDirectives(supergraph);
      directivesOf.set(supergraph, directives);
    }
    return directives;
  };

  return {
    name: 'cost-limit',
    onOperation(operation) {
      const limit = options.limits[operation.principal.kind];
      const cost = estimateCost({
        schema: operation.schema,
        document: operation.document,
        operation: operation.operation,
        variables: operation.variables,
        directives: currentDirectives(),
        defaultListSize: options.defaultListSize,
      });
      if (cost > limit) {
        throw passerelleError(
          'COST_LIMIT_EXCEEDED',
          `The estimated cost of this operation is ${formatCost(cost)}, above the ${limit} a ${operation.principal.kind} caller may spend on one request; ask for smaller pages (first:) or fewer nested lists.`,
          { cost: Number.isFinite(cost) ? cost : Number.MAX_SAFE_INTEGER, limit, http: { status: errorCatalogue.COST_LIMIT_EXCEEDED.status } },
        );
      }
      const perWindow = budget?.perWindow[operation.principal.kind] ?? 0;
      if (!limiter || !budget || perWindow <= 0 || operation.replan) return;
      return spend(limiter, budget, perWindow, operation.principal, Math.max(1, Math.ceil(cost)));
    },
    close: async () => limiter?.close(),
  };
}

async function spend(limiter: RateLimiter, budget: CostBudgetOptions, perWindow: number, principal: Parameters<typeof callerKey>[0], cost: number): Promise<void> {
  const decision = await limiter.hit(callerKey(principal), perWindow, Date.now(), cost);
  if (decision.allowed) return;
  const headers = new HeaderMap([['retry-after', String(decision.retryAfterS)]]);
  throw passerelleError(
    'RATE_LIMITED',
    `This operation's estimated cost (${cost}) does not fit in what is left of the ${perWindow} a ${principal.kind} caller may spend per ${budget.windowS} s; retry in ${decision.retryAfterS} s.`,
    { budget: perWindow, cost, windowS: budget.windowS, retryAfter: decision.retryAfterS, http: { status: errorCatalogue.RATE_LIMITED.status, headers } },
  );
}

function formatCost(cost: number): string {
  return Number.isFinite(cost) && cost < 1e15 ? String(Math.round(cost)) : 'more than 10^15';
}
