import { Kind, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { errorCatalogue, passerelleError } from '../../common/errors.ts';
import type { GatewayPlugin } from '../pipeline.ts';
import { fragmentsOf } from '../../common/validation/fragments.ts';

/** The scope that lets a caller introspect where introspection is otherwise off. */
export const INTROSPECTION_SCOPE = 'introspection';

export interface IntrospectionOptions {
  /**
   * INTROSPECTION: `on` (everyone may), `off` (only callers with the scope `introspection`), or
   * `auto` (default): on in development and test, off in production. Refused introspection gets
   * INTROSPECTION_DISABLED (HTTP 400), on every transport.
   */
  mode: 'on' | 'off' | 'auto';
  /** NODE_ENV, which `auto` follows. */
  nodeEnv: 'development' | 'production' | 'test';
}

/**
 * Introspection hands a caller the whole schema, personal-data fields included: outside
 * development only callers given the scope may. A validation rule cannot see who calls, so this is
 * an `onOperation` check (with the principal), on the operation that runs and the fragments it
 * spreads; `__typename` stays allowed (clients and the federation planner need it).
 */
export function useIntrospection(options: IntrospectionOptions): GatewayPlugin {
  const enabled = options.mode === 'on' || (options.mode === 'auto' && options.nodeEnv !== 'production');
  if (enabled) return { name: 'introspection' };
  return {
    name: 'introspection',
    onOperation({ document, operation, principal }) {
      if (principal.scopes.includes(INTROSPECTION_SCOPE)) return;
      const fragments = fragmentsOf(document);
      const field = introspectionField(operation.selectionSet, fragments, new Set());
      if (field) {
        throw passerelleError('INTROSPECTION_DISABLED', `Introspection ("${field}") is disabled on this gateway.`, {
          http: { status: errorCatalogue.INTROSPECTION_DISABLED.status },
        });
      }
    },
  };
}

/** The first `__schema`/`__type` selected, each fragment visited once (linear in the document). */
function introspectionField(set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen: Set<string>): string | undefined {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name === '__schema' || name === '__type') return name;
      if (selection.selectionSet) {
        const found = introspectionField(selection.selectionSet, fragments, seen);
        if (found) return found;
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const found = introspectionField(selection.selectionSet, fragments, seen);
      if (found) return found;
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue;
      seen.add(name);
      const found = introspectionField(fragment.selectionSet, fragments, seen);
      if (found) return found;
    }
  }
  return undefined;
}
