/**
 * Entity representations (what a plan fetch's `requires` selects out of the answer so far) and
 * the merge of subgraph answers into it — @apollo/gateway's `executeSelectionSet` and `deepMerge`,
 * compiled per fetch and without the per-field own-property bookkeeping.
 */
import { isAbstractType, isObjectType, type GraphQLSchema } from 'graphql';
import type { QueryPlanSelectionNode } from '@apollo/query-planner';

type Data = Record<string, unknown>;

/** One entity's representation, or null when some required input is missing (that entity is not fetched). */
export type Extractor = (entity: Data) => Data | null;

export function compileRequires(selections: readonly QueryPlanSelectionNode[], supergraph: GraphQLSchema): Extractor {
  const isOfType = typeTester(supergraph);
  return compileSelections(selections, isOfType) as Extractor;
}

function compileSelections(selections: readonly QueryPlanSelectionNode[], isOfType: (data: Data, type: string) => boolean): (source: unknown) => Data | null {
  const steps = selections.map((selection): ((source: Data, into: Data) => boolean) => {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      const sub = selection.selections ? compileSelections(selection.selections, isOfType) : undefined;
      return (source, into) => {
        const value = name === '__proto__' ? undefined : source[name];
        if (value === undefined) return false;
        if (Array.isArray(value)) into[name] = sub ? value.map(sub) : value;
        else into[name] = sub ? sub(value) : value;
        return true;
      };
    }
    const condition = selection.typeCondition;
    if (!condition) return () => true;
    const sub = compileSelections(selection.selections, isOfType);
    return (source, into) => {
      if (isOfType(source, condition)) mergeInto(into, sub(source));
      return true;
    };
  });
  return (source) => {
    if (source === null || typeof source !== 'object') return null;
    const into: Data = Object.create(null) as Data;
    for (const step of steps) if (!step(source as Data, into)) return null;
    return into;
  };
}

/**
 * Reads the values that tell one entity's representation from another's, without building it:
 * compiled when the representation is flat (scalar fields, at most one type condition, `__typename`
 * among them), which entity keys nearly always are. `into` receives the values in a fixed order;
 * false when the extractor would give no sendable representation (a required value or the type
 * condition missing), so the entity is skipped as it would be. A fetch over hundreds of entities
 * standing for a handful of keys then builds a handful of representations.
 */
export type KeyReader = (entity: Data, into: unknown[]) => boolean;

export function compileKeyReader(selections: readonly QueryPlanSelectionNode[], supergraph: GraphQLSchema): KeyReader | undefined {
  let condition: string | undefined;
  let fields = selections;
  if (selections.length === 1 && selections[0]!.kind === 'InlineFragment') {
    const fragment = selections[0]!;
    condition = fragment.typeCondition ?? undefined;
    fields = fragment.selections;
  }
  const names: string[] = [];
  for (const field of fields) {
    if (field.kind !== 'Field' || field.selections) return undefined;
    const name = field.alias ?? field.name;
    if (name === '__proto__') return undefined;
    names.push(name);
  }
  if (!names.includes('__typename')) return undefined;
  const isOfType = typeTester(supergraph);
  return (entity, into) => {
    if (condition !== undefined && !isOfType(entity, condition)) return false;
    for (let i = 0; i < names.length; i++) {
      const value = entity[names[i]!];
      if (value === undefined) return false;
      into[i] = value;
    }
    return !!entity.__typename;
  };
}

/** `isObjectOfType` of @apollo/gateway, with the answers kept (a handful of type pairs per plan). */
function typeTester(schema: GraphQLSchema): (data: Data, condition: string) => boolean {
  const memo = new Map<string, boolean>();
  return (data, condition) => {
    const typename = data.__typename;
    if (typeof typename !== 'string' || typename === '') return false;
    if (typename === condition) return true;
    const key = `${typename}\0${condition}`;
    let answer = memo.get(key);
    if (answer === undefined) {
      const type = schema.getType(typename);
      const conditional = schema.getType(condition);
      answer = !!type && !!conditional && isAbstractType(conditional) && (isObjectType(type) || 'getInterfaces' in type) && schema.isSubType(conditional, type as never);
      memo.set(key, answer);
    }
    return answer;
  };
}

/**
 * `source` merged into `target` in place, as @apollo/gateway's deepMerge: objects recursively,
 * lists of the same length element by element, anything else replaced. `__proto__` keys (which
 * JSON.parse makes own properties) are never assigned through.
 */
export function mergeInto(target: Data, source: unknown): void {
  if (source === null || source === undefined || typeof source !== 'object') return;
  for (const key in source as Data) {
    const value = (source as Data)[key];
    if (value === undefined || key === '__proto__') continue;
    const existing = target[key];
    if (existing && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      if (typeof existing === 'object') mergeInto(existing as Data, value);
      else target[key] = value;
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        const a = existing[i] as unknown;
        const b = value[i] as unknown;
        if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) mergeInto(a as Data, b);
        else existing[i] = b;
      }
    } else {
      target[key] = value;
    }
  }
}
