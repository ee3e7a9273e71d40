/**
 * Puts the refused fields back into a result as nulls, with GraphQL's null propagation: a refused
 * non-null field makes its object null, and so on up to the nearest nullable position (the whole
 * `data` when there is none). Walks only the positions that lead to a refused field (the shape),
 * so the work is bounded by the part of the result that holds them. Strips the `__typename` the
 * rewrite added. Mutates the result's data in place: each result is fresh from the plan walker.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import { TYPENAME_ALIAS, type RefusedField, type ShapeField, type ShapeSet } from './analyse.ts';

const INVALID = Symbol('null-propagates');
type Json = Record<string, unknown>;

/** One UNAUTHORIZED_FIELD_OR_TYPE error per refused field, at its response path. */
export function refusalErrors(refused: readonly RefusedField[]): GraphQLError[] {
  return refused.map(
    (field) =>
      new GraphQLError(`Not authorised to see ${field.coordinate}: it is null, and the rest of the answer is returned.`, {
        path: field.path,
        extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
      }),
  );
}

/** `result` with nulls at the refused fields and `errors` appended. */
export function shapeWithRefusals(result: ExecutionResult, shape: ShapeSet | undefined, errors: readonly GraphQLError[]): ExecutionResult {
  let data = result.data;
  if (data && shape && shapeObject(data as Json, shape)) data = null;
  return { ...result, data, errors: [...(result.errors ?? []), ...errors] };
}

/** true when the object must become null (a refused non-null field in it). */
function shapeObject(object: Json, set: ShapeSet): boolean {
  const typename = object[TYPENAME_ALIAS] ?? object.__typename;
  const invalid = applySet(object, set, typeof typename === 'string' ? typename : undefined);
  if (TYPENAME_ALIAS in object) delete object[TYPENAME_ALIAS];
  return invalid;
}

function applySet(object: Json, set: ShapeSet, typename: string | undefined): boolean {
  let invalid = false;
  for (const field of set.fields) {
    if (field.removed) {
      if (field.nonNull[0]) invalid = true;
      else object[field.key] = null;
      continue;
    }
    const value = object[field.key];
    if (value === null || value === undefined) continue;
    if (shapeValue(value, field, 0) === INVALID) {
      if (field.nonNull[0]) invalid = true;
      else object[field.key] = null;
    }
  }
  for (const part of set.parts) {
    // Without a runtime type the condition cannot hold: the object did not get those fields.
    if (part.when && (typename === undefined || !part.when.has(typename))) continue;
    if (applySet(object, part.set, typename)) invalid = true;
  }
  return invalid;
}

function shapeValue(value: unknown, field: ShapeField, level: number): unknown {
  if (level < field.nonNull.length - 1) {
    if (!Array.isArray(value)) return value;
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      if (item === null || item === undefined) continue;
      if (shapeValue(item, field, level + 1) === INVALID) {
        if (field.nonNull[level + 1]) return INVALID;
        value[index] = null;
      }
    }
    return value;
  }
  if (typeof value !== 'object' || value === null || !field.set) return value;
  return shapeObject(value as Json, field.set) ? INVALID : value;
}
