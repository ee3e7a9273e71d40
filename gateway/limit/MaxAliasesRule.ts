/**
 * Limits the number of aliases in a document.
 *
 * Where it comes from: aliases let one request repeat an expensive field many times
 * (`a1: departement(code:"77") {…} a2: departement(code:"77") {…} …`), multiplying the work done in
 * every subgraph behind one HTTP request — "alias overloading" in OWASP's GraphQL cheat sheet and
 * graphql-armor's max-aliases rule.
 */
import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';

export function MaxAliasesRule(maxAliases: number) {
  return function MaxAliasesRuleInstance(context: ValidationContext): ASTVisitor {
    let aliases = 0;
    let reported = false;
    return {
      Field(node) {
        if (!node.alias) return;
        aliases += 1;
        if (aliases > maxAliases && !reported) {
          reported = true;
          context.reportError(
            new GraphQLError(`Operation uses more than ${maxAliases} aliases.`, {
              nodes: [node],
              extensions: { code: 'MAX_ALIASES_EXCEEDED', limit: maxAliases },
            }),
          );
        }
      },
    };
  };
}
