import type { GraphQLSchema } from 'graphql';
import { errorCatalogue, passerelleError } from '../../common/errors.ts';
import type { GatewayPlugin, PrincipalKind } from '../pipeline.ts';
import { NO_COST_DIRECTIVES, estimateCost, readCostDirectives, type CostDirectives } from '../limit/index.ts';

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
}

/** Demand control: refuses an operation whose estimated cost (gateway/limit/CostRule.ts) is above the caller's limit. */
export function useCostLimit(options: CostLimitOptions): GatewayPlugin {
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
    },
  };
}

function formatCost(cost: number): string {
  return Number.isFinite(cost) && cost < 1e15 ? String(Math.round(cost)) : 'more than 10^15';
}
