/**
 * Which subscriptions the gateway can resume by itself, and how. The gateway cannot know the
 * region's schema, so resuming follows a convention any subgraph can declare: the subscription
 * field takes an `after: String` argument and its result type has a `cursor: String` field that the
 * subscribing subgraph resolves (the requests subgraph's `requestUpdated` and `serviceQueue` do).
 * Then the primary fetch selects `cursor` (added when the plan does not select it already: the
 * client's answer is shaped to its own operation, so it never sees it), the gateway remembers the
 * last cursor each event carried, and re-subscribes with `after` = that cursor, which by the
 * convention's contract sends every event after it, none twice. A subscription field without the
 * convention cannot be resumed: its stream ends with SUBGRAPH_UNAVAILABLE when its upstream drops.
 */
import {
  GraphQLEnumType,
  Kind,
  getNamedType,
  isInterfaceType,
  isObjectType,
  parse,
  print,
  visit,
  type ArgumentNode,
  type FieldNode,
  type FormattedExecutionResult,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { FetchNode } from '@apollo/query-planner';

/** The names of the convention (defaults: `after` and `cursor`). */
export interface ResumeConvention {
  argument: string;
  field: string;
}

export const DEFAULT_RESUME_CONVENTION: ResumeConvention = { argument: 'after', field: 'cursor' };

/** The fetch to send upstream: operation text and the variables it uses. */
export interface UpstreamFetch {
  operation: string;
  variables: Record<string, unknown>;
}

export interface ResumableFetch {
  /** The primary fetch as first sent (the cursor selected). */
  initial(variables: Record<string, unknown>): UpstreamFetch;
  /** The same subscription, from just after `cursor`. */
  resume(cursor: string, variables: Record<string, unknown>): UpstreamFetch;
  /** The cursor an event carries, if any. */
  cursorOf(event: FormattedExecutionResult): string | undefined;
}

// Names no planner emits (its variables are the client's; its aliases are `_generated_…`).
const AFTER_VARIABLE = 'passerelleResumeAfter';
const CURSOR_ALIAS = 'passerelleResumeCursor';

/**
 * How to resume the primary fetch of a subscription plan, or undefined when its field does not
 * follow the convention (or the operation is not one this module understands).
 */
export function resumableFetch(
  primary: FetchNode,
  supergraph: GraphQLSchema,
  convention: ResumeConvention = DEFAULT_RESUME_CONVENTION,
): ResumableFetch | undefined {
  let operation: OperationDefinitionNode | undefined;
  try {
    const document = parse(primary.operation);
    const definitions = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (definitions.length !== 1 || document.definitions.length !== 1) return undefined;
    operation = definitions[0];
  } catch {
    return undefined;
  }
  if (!operation || operation.operation !== 'subscription') return undefined;
  const roots = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
  const root = roots[0];
  if (roots.length !== 1 || operation.selectionSet.selections.length !== 1 || !root?.selectionSet) return undefined;
  const field = supergraph.getSubscriptionType()?.getFields()[root.name.value];
  if (!field || !followsConvention(field, supergraph, primary.serviceName, convention)) return undefined;

  // The cursor: read where the plan selects it already, or added (aliased if its name is taken).
  const selections = root.selectionSet.selections;
  const existing = selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === convention.field && !s.arguments?.length);
  const taken = selections.some((s) => s.kind === Kind.FIELD && (s.alias ?? s.name).value === convention.field);
  const cursorKey = existing ? (existing.alias ?? existing.name).value : taken ? CURSOR_ALIAS : convention.field;
  const withCursor: FieldNode = existing
    ? root
    : {
        ...root,
        selectionSet: {
          ...root.selectionSet,
          selections: [
            ...selections,
            {
              kind: Kind.FIELD,
              ...(taken ? { alias: { kind: Kind.NAME, value: CURSOR_ALIAS } } : {}),
              name: { kind: Kind.NAME, value: convention.field },
            },
          ],
        },
      };
  const initialText = print({ kind: Kind.DOCUMENT, definitions: [{ ...operation, selectionSet: { ...operation.selectionSet, selections: [withCursor] } }] });

  const afterArgument: ArgumentNode = {
    kind: Kind.ARGUMENT,
    name: { kind: Kind.NAME, value: convention.argument },
    value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: AFTER_VARIABLE } },
  };
  const resumingRoot: FieldNode = {
    ...withCursor,
    arguments: [...(withCursor.arguments ?? []).filter((a) => a.name.value !== convention.argument), afterArgument],
  };
  const resumingBody = { ...operation.selectionSet, selections: [resumingRoot] };
  const used = variablesUsed(resumingBody);
  const resumingOperation: OperationDefinitionNode = {
    ...operation,
    // A variable only the replaced `after` used would now be unused, which validation refuses.
    variableDefinitions: [
      ...(operation.variableDefinitions ?? []).filter((d) => used.has(d.variable.name.value) && d.variable.name.value !== AFTER_VARIABLE),
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: AFTER_VARIABLE } },
        type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } },
      },
    ],
    selectionSet: resumingBody,
  };
  const resumeText = print({ kind: Kind.DOCUMENT, definitions: [resumingOperation] });
  const initialNames = new Set((operation.variableDefinitions ?? []).map((d) => d.variable.name.value));
  const rootKey = (root.alias ?? root.name).value;

  return {
    initial: (variables) => ({ operation: initialText, variables: pick(variables, initialNames) }),
    resume: (cursor, variables) => ({ operation: resumeText, variables: { ...pick(variables, used), [AFTER_VARIABLE]: cursor } }),
    cursorOf(event) {
      const value = (event.data?.[rootKey] as Record<string, unknown> | null | undefined)?.[cursorKey];
      return typeof value === 'string' ? value : undefined;
    },
  };
}

/** `after: String` on the field, and a `cursor: String` its subgraph resolves on the result type. */
function followsConvention(field: GraphQLField<unknown, unknown>, supergraph: GraphQLSchema, subgraph: string, convention: ResumeConvention): boolean {
  const argument = field.args.find((a) => a.name === convention.argument);
  if (!argument || argument.type.toString() !== 'String') return false;
  const result = getNamedType(field.type);
  if (!isObjectType(result) && !isInterfaceType(result)) return false;
  const cursor = result.getFields()[convention.field];
  if (!cursor || getNamedType(cursor.type).name !== 'String' || cursor.args.length > 0) return false;
  // `@join__field(graph: …)` lists who resolves the field; none means every subgraph that has the type.
  const joins = cursor.astNode?.directives?.filter((d) => d.name.value === 'join__field') ?? [];
  if (joins.length === 0) return true;
  const graphs = graphNames(supergraph);
  return joins.some((join) => {
    const graph = join.arguments?.find((a) => a.name.value === 'graph')?.value;
    const external = join.arguments?.find((a) => a.name.value === 'external')?.value;
    if (external?.kind === Kind.BOOLEAN && external.value) return false;
    return graph?.kind === Kind.ENUM && graphs.get(graph.value) === subgraph;
  });
}

/** `join__Graph` enum values → subgraph names (`@join__graph(name:)`). */
function graphNames(supergraph: GraphQLSchema): Map<string, string> {
  const names = new Map<string, string>();
  const type = supergraph.getType('join__Graph');
  if (!(type instanceof GraphQLEnumType)) return names;
  for (const value of type.getValues()) {
    const name = value.astNode?.directives
      ?.find((d) => d.name.value === 'join__graph')
      ?.arguments?.find((a) => a.name.value === 'name')?.value;
    if (name?.kind === Kind.STRING) names.set(value.name, name.value);
  }
  return names;
}

function variablesUsed(node: Parameters<typeof visit>[0]): Set<string> {
  const used = new Set<string>();
  visit(node, {
    Variable(variable) {
      used.add(variable.name.value);
    },
  });
  return used;
}

function pick(variables: Record<string, unknown>, names: ReadonlySet<string>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names) if (Object.hasOwn(variables, name)) picked[name] = variables[name];
  return picked;
}
