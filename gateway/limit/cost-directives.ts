/**
 * Reads the demand-control directives `@cost(weight:)` and `@listSize(assumedSize:,
 * slicingArguments:, sizedFields:, requireOneSlicingArgument:)` from a composed supergraph.
 *
 * Where they come from: IBM's GraphQL Cost Directives specification, adopted by Federation 2.9
 * (`https://specs.apollo.dev/cost/v0.1`). Subgraphs import them from the federation spec;
 * composition writes them into the supergraph under the cost spec's `@link`, whose `as:` and
 * `import:` decide their names (`@cost` is the spec's own name; `@listSize` is `@cost__listSize`
 * unless imported). Apollo's API schema drops them, so they are read from the supergraph schema the
 * planner follows (plan/operation-planner.ts `SupergraphSchemas.supergraphSchema`), by coordinate.
 * Nothing here knows the region's schema.
 */
import {
  Kind,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type GraphQLSchema,
} from 'graphql';

/** One field's `@listSize`, as the spec defines its arguments. */
export interface ListSize {
  assumedSize?: number;
  slicingArguments?: readonly string[];
  sizedFields?: readonly string[];
  requireOneSlicingArgument: boolean;
}

/** The cost directives of one supergraph, looked up by schema coordinate (`Type`, `Type.field`, `Type.field(arg:)`). */
export interface CostDirectives {
  weight(coordinate: string): number | undefined;
  listSize(coordinate: string): ListSize | undefined;
}

const COST_SPEC = /^https:\/\/specs\.apollo\.dev\/cost\/v[\d.]+$/;

export const NO_COST_DIRECTIVES: CostDirectives = { weight: () => undefined, listSize: () => undefined };

/** Reads every `@cost` and `@listSize` of a supergraph (built once per supergraph version). */
export function readCostDirectives(supergraph: GraphQLSchema): CostDirectives {
  const names = directiveNames(supergraph);
  const weights = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();

  const record = (coordinate: string, directives: readonly ConstDirectiveNode[] | undefined) => {
    for (const directive of directives ?? []) {
      if (directive.name.value === names.cost) {
        const weight = argument(directive, 'weight');
        if (typeof weight === 'number') weights.set(coordinate, weight);
      } else if (directive.name.value === names.listSize) {
        const assumedSize = argument(directive, 'assumedSize');
        const slicingArguments = argument(directive, 'slicingArguments');
        const sizedFields = argument(directive, 'sizedFields');
        listSizes.set(coordinate, {
          assumedSize: typeof assumedSize === 'number' ? assumedSize : undefined,
          slicingArguments: Array.isArray(slicingArguments) ? slicingArguments.map(String) : undefined,
          sizedFields: Array.isArray(sizedFields) ? sizedFields.map(String) : undefined,
          requireOneSlicingArgument: argument(directive, 'requireOneSlicingArgument') !== false,
        });
      }
    }
  };

  for (const type of Object.values(supergraph.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    for (const node of [type.astNode, ...(type.extensionASTNodes ?? [])]) {
      if (!node) continue;
      record(type.name, node.directives);
      if (!('fields' in node) || !node.fields) continue;
      for (const field of node.fields) {
        const coordinate = `${type.name}.${field.name.value}`;
        record(coordinate, field.directives);
        if (!('arguments' in field)) continue;
        for (const arg of field.arguments ?? []) record(`${coordinate}(${arg.name.value}:)`, arg.directives);
      }
    }
  }
  return { weight: (coordinate) => weights.get(coordinate), listSize: (coordinate) => listSizes.get(coordinate) };
}

/** The names the supergraph gives `@cost` and `@listSize`, per its `@link` to the cost spec. */
function directiveNames(supergraph: GraphQLSchema): { cost: string; listSize: string } {
  for (const node of [supergraph.astNode, ...supergraph.extensionASTNodes]) {
    for (const directive of node?.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = argument(directive, 'url');
      if (typeof url !== 'string' || !COST_SPEC.test(url)) continue;
      const as = argument(directive, 'as');
      const prefix = typeof as === 'string' ? as : 'cost';
      const names = { cost: prefix, listSize: `${prefix}__listSize` };
      const imports = argument(directive, 'import');
      for (const entry of Array.isArray(imports) ? imports : []) {
        const [name, alias] =
          typeof entry === 'string' ? [entry, entry] : isImport(entry) ? [entry.name, entry.as ?? entry.name] : [undefined, undefined];
        if (name === '@cost' && alias) names.cost = alias.replace(/^@/, '');
        if (name === '@listSize' && alias) names.listSize = alias.replace(/^@/, '');
      }
      return names;
    }
  }
  // A supergraph without the cost spec's @link has no cost directives of its own to rename.
  return { cost: 'cost', listSize: 'listSize' };
}

function isImport(value: unknown): value is { name: string; as?: string } {
  return typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string';
}

function argument(directive: ConstDirectiveNode, name: string): unknown {
  const arg = directive.arguments?.find((candidate) => candidate.name.value === name);
  if (!arg) return undefined;
  return arg.value.kind === Kind.NULL ? undefined : valueFromASTUntyped(arg.value);
}
