/**
 * Refuses `__schema` and `__type` when introspection is turned off.
 *
 * Where it comes from: graphql-js ships `NoSchemaIntrospectionCustomRule` for the same purpose;
 * this one also covers `__type` and carries a catalogue code. `__typename` stays allowed: clients
 * and the federation planner need it.
 */
import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';

export function NoIntrospectionRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      const name = node.name.value;
      if (name === '__schema' || name === '__type') {
        context.reportError(
          new GraphQLError(`Introspection ("${name}") is disabled on this gateway.`, {
            nodes: [node],
            extensions: { code: 'INTROSPECTION_DISABLED' },
          }),
        );
      }
    },
  };
}
