/**
 * Limits how many root fields one operation selects (MAX_ROOT_FIELDS), counting distinct response
 * names (what the answer would carry), through fragments and inline fragments.
 *
 * Where it comes from: each root field is a separate entry point, usually a separate subgraph
 * fetch; `{ a: lycees … b: lycees … }` "batching" many root fields into one request multiplies the
 * work behind it, which graphql-armor's max-aliases and Apollo Router's
 * `limits.max_root_fields` bound. Aliases are counted here too, since `a:` and `b:` are two fields.
 *
 * Linear in the document's size: each fragment's root fields are collected once and remembered;
 * the sets stop growing one past the limit, so merging them stays bounded.
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { fragmentsOf } from '../../common/validation/fragments.ts';

export function MaxRootFieldsRule(maxRootFields: number) {
  return function MaxRootFieldsRuleInstance(context: ValidationContext): ASTVisitor {
    const fragments = fragmentsOf(context.getDocument());
    const fragmentFields = new Map<string, ReadonlySet<string>>();
    const visiting = new Set<string>();

    function fieldsOfFragment(name: string): ReadonlySet<string> {
      const known = fragmentFields.get(name);
      if (known) return known;
      const fragment = fragments.get(name);
      // Cycles are NoFragmentCyclesRule's to report.
      if (!fragment || visiting.has(name)) return new Set();
      visiting.add(name);
      const fields = rootFields(fragment.selectionSet);
      visiting.delete(name);
      fragmentFields.set(name, fields);
      return fields;
    }

    function rootFields(selectionSet: SelectionSetNode, into = new Set<string>()): Set<string> {
      for (const selection of selectionSet.selections) {
        if (into.size > maxRootFields) break;
        if (selection.kind === Kind.FIELD) {
          // `__typename` costs nothing: it is answered by the gateway.
          if (selection.name.value !== '__typename') into.add((selection.alias ?? selection.name).value);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          rootFields(selection.selectionSet, into);
        } else {
          for (const field of fieldsOfFragment(selection.name.value)) {
            into.add(field);
            if (into.size > maxRootFields) break;
          }
        }
      }
      return into;
    }

    return {
      OperationDefinition(node) {
        const count = rootFields(node.selectionSet).size;
        if (count > maxRootFields) {
          context.reportError(
            new GraphQLError(`Operation selects more than ${maxRootFields} root fields.`, {
              nodes: [node],
              extensions: { code: 'MAX_ROOT_FIELDS_EXCEEDED', limit: maxRootFields },
            }),
          );
        }
        return false;
      },
    };
  };
}
