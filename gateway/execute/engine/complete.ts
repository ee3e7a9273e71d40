/**
 * Turns the data the plan's fetches merged together into the answer: one walk over the compiled
 * shapes (shape.ts), reading the merged tree and writing only what the operation selected, in its
 * order. Nulls and errors follow @apollo/gateway's `computeResponse`, message for message.
 */
import { GraphQLError } from 'graphql';
import type { Conditions, ObjectShape, SelectionShape, ValueShape } from './shape.ts';

/** A null whose error is already recorded: it does not bubble further up a nullable position. */
const ERRNULL = Symbol('null, error recorded');
/** A null in a non-null position: the parent object (or list) becomes null. */
const INVALID = Symbol('null in a non-null position');

type Completed = unknown;

export interface CompletionContext {
  conditions: Conditions;
  errors: GraphQLError[];
  /** Answers a schema introspection field (`__schema`, `__type`). */
  introspect: (shape: { node?: import('graphql').FieldNode; responseName: string }) => unknown;
}

/** The root object's answer; null when a non-null root field was null. */
export function completeRoot(selection: SelectionShape, rootTypeName: string, input: Record<string, unknown>, context: CompletionContext): Record<string, unknown> | null {
  const shape = selection.forType(rootTypeName, context.conditions);
  if (!shape) return null;
  const path: (string | number)[] = [];
  const result = completeObject(shape, input, path, context);
  return result === ERRNULL ? null : (result as Record<string, unknown>);
}

function completeObject(shape: ObjectShape, input: Record<string, unknown>, path: (string | number)[], context: CompletionContext): Record<string, unknown> | typeof ERRNULL {
  const output: Record<string, unknown> = {};
  const fields = shape.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const responseName = field.responseName;
    if (field.kind === 'typename') {
      // An abstract runtime type (an @interfaceObject's answer whose real type was never resolved) cannot be named: stock nulls the object, without an error.
      if (shape.typename === null) return ERRNULL;
      output[responseName] = shape.typename;
      continue;
    }
    if (field.kind === 'introspection') {
      output[responseName] = context.introspect(field);
      continue;
    }
    const raw = responseName === '__proto__' ? undefined : input[responseName];
    path.push(responseName);
    const value = completeValue(field.value!, raw === undefined ? null : raw, path, shape.typeName, context);
    path.pop();
    if (value === INVALID) return ERRNULL;
    output[responseName] = value === ERRNULL ? null : value;
  }
  return output;
}

function completeValue(shape: ValueShape, value: unknown, path: (string | number)[], parentType: string, context: CompletionContext): Completed {
  switch (shape.kind) {
    case 'nonNull': {
      const inner = completeValue(shape.inner, value, path, parentType, context);
      if (inner === null) {
        context.errors.push(completionError(`Cannot return null for non-nullable ${describe(path, innerTypeName(shape.inner), parentType)}.`, path));
        return INVALID;
      }
      if (inner === ERRNULL || inner === INVALID) return INVALID;
      return inner;
    }
    case 'list': {
      if (value === null) return null;
      if (!Array.isArray(value)) {
        context.errors.push(completionError(`Invalid non-list value returned by subgraph for ${describe(path, shape.typeName, parentType)}.`, path));
        return ERRNULL;
      }
      const output = new Array<unknown>(value.length);
      let nullify = false;
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        const item = completeValue(shape.inner, value[i] === undefined ? null : value[i], path, parentType, context);
        path.pop();
        if (item === INVALID) nullify = true;
        output[i] = item === ERRNULL ? null : item;
      }
      return nullify ? ERRNULL : output;
    }
    case 'leaf': {
      if (value === null) return null;
      if (shape.valid(value)) return value;
      context.errors.push(completionError(`Invalid value found for ${describe(path, shape.typeName, parentType)}.`, path));
      return ERRNULL;
    }
    case 'composite': {
      if (value === null) return null;
      if (typeof value !== 'object' || Array.isArray(value)) {
        context.errors.push(completionError(`Invalid non-object value returned by subgraph for ${describe(path, shape.typeName, parentType)}.`, path));
        return ERRNULL;
      }
      const object = value as Record<string, unknown>;
      const typename = object.__typename;
      const objectShape = shape.selection.forType(typename, context.conditions);
      if (!objectShape) {
        // The API schema does not know that type (an @inaccessible implementation): never named in the message.
        context.errors.push(completionError(`Invalid __typename found for object at ${describe(path, shape.typeName, parentType)}.`, path));
        return ERRNULL;
      }
      return completeObject(objectShape, object, path, context);
    }
  }
}

function innerTypeName(shape: ValueShape): string {
  switch (shape.kind) {
    case 'nonNull':
      return `${innerTypeName(shape.inner)}!`;
    case 'list':
      return `[${innerTypeName(shape.inner)}]`;
    default:
      return shape.typeName;
  }
}

function describe(path: readonly (string | number)[], typeName: string, parentType: string): string {
  const last = path[path.length - 1];
  return typeof last === 'string' ? `field ${parentType}.${last}` : `array element of type ${typeName} at index ${String(last)}`;
}

function completionError(message: string, path: readonly (string | number)[]): GraphQLError {
  return new GraphQLError(message, { path: [...path], extensions: { code: 'INVALID_GRAPHQL' } });
}
