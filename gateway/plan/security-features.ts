/**
 * @apollo/gateway (JS) refuses a supergraph that links a feature `for: SECURITY` it does not know
 * (federation-internals' DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES lacks @authenticated,
 * @requiresScopes and @policy; only the Router's list has them). The purpose says "a gateway that
 * cannot enforce this must refuse the schema": Passerelle enforces them itself, in the authorize
 * stage (gateway/authorize), so the planner is handed the same supergraph with that purpose
 * removed. Nothing else changes: the features' directive definitions and applications stay (the
 * SDL remains valid, and the authorize stage reads them), only `for: SECURITY` goes.
 */
import { Kind, parse, type ConstDirectiveNode } from 'graphql';

/** The security features the authorize stage enforces (their base URLs, any version). */
export const ENFORCED_SECURITY_FEATURES: readonly string[] = [
  'https://specs.apollo.dev/authenticated',
  'https://specs.apollo.dev/requiresScopes',
  'https://specs.apollo.dev/policy',
];

/**
 * `supergraphSdl` without the `for: SECURITY` argument of the @link applications of the features
 * the gateway enforces (ENFORCED_SECURITY_FEATURES). A security feature the gateway does not know
 * keeps its purpose, so the planner still refuses it as it should. The text is cut, not reprinted:
 * everything else is byte for byte what composition wrote. Throws a GraphQL syntax error for SDL
 * that does not parse (the caller's supergraph loader reports it).
 */
export function withoutEnforcedSecurityPurpose(supergraphSdl: string): string {
  // Cheap exit: most supergraphs have no security feature at all.
  if (!supergraphSdl.includes('SECURITY')) return supergraphSdl;
  const document = parse(supergraphSdl);
  const cuts: { start: number; end: number }[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      const purpose = enforcedSecurityPurpose(directive);
      if (purpose?.loc) cuts.push({ start: purpose.loc.start, end: purpose.loc.end });
    }
  }
  let result = supergraphSdl;
  // From the end, so earlier offsets stay valid. Commas are insignificant in GraphQL: `(url: "…", )` parses.
  for (const cut of cuts.sort((a, b) => b.start - a.start)) result = result.slice(0, cut.start) + result.slice(cut.end);
  return result;
}

function enforcedSecurityPurpose(directive: ConstDirectiveNode) {
  if (directive.name.value !== 'link' && directive.name.value !== 'core') return undefined;
  const url = directive.arguments?.find((argument) => argument.name.value === 'url' || argument.name.value === 'feature');
  const purpose = directive.arguments?.find((argument) => argument.name.value === 'for');
  if (!url || url.value.kind !== Kind.STRING || !purpose || purpose.value.kind !== Kind.ENUM || purpose.value.value !== 'SECURITY') return undefined;
  const base = url.value.value.replace(/\/v\d+\.\d+\/?$/, '');
  return ENFORCED_SECURITY_FEATURES.includes(base) ? purpose : undefined;
}
