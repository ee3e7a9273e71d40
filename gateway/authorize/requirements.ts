/**
 * What the supergraph declares about access, read from its directive applications: Federation's
 * `@authenticated`, `@requiresScopes(scopes:)` and `@policy(policies:)`, which composition copies
 * from the subgraphs into the supergraph. Generic: it reads whatever supergraph the gateway serves,
 * finds the directives by the features the supergraph links (`@link(url: ".../authenticated/v0.1")`
 * and the others), under the names the link gives them (`import: [{ name: "@authenticated", as:
 * "@auth" }]`, or `as:` on the link), and applies them on fields and on object, interface, enum and
 * scalar types (a type's requirement holds for every field that returns the type, and for every
 * field selected on it).
 */
import {
  Kind,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  type ConstDirectiveNode,
  type ConstValueNode,
  type GraphQLSchema,
} from 'graphql';

/** One requirement; a field is visible when every requirement that applies to it is met. */
export type Requirement =
  | { kind: 'authenticated' }
  /** OR of ANDs: met when the caller holds every scope of at least one inner list. */
  | { kind: 'scopes'; anyOf: readonly (readonly string[])[] }
  /** OR of ANDs of named policies (evaluated by configuration, see policies.ts). */
  | { kind: 'policy'; anyOf: readonly (readonly string[])[] };

const FEATURES = {
  authenticated: 'https://specs.apollo.dev/authenticated/',
  requiresScopes: 'https://specs.apollo.dev/requiresScopes/',
  policy: 'https://specs.apollo.dev/policy/',
} as const;
type Feature = keyof typeof FEATURES;

export interface AccessRules {
  /** Whether the supergraph declares any requirement at all (none: the stage has nothing to do). */
  readonly any: boolean;
  /** Every policy name some requirement refers to. */
  readonly policies: ReadonlySet<string>;
  /**
   * Requirements of selecting `field` on `parent` (a type of the API schema): the field's own, its
   * parent type's, its return type's, and, on an interface, those of the same field on every
   * implementation (whichever object answers, the caller must be allowed to see it). Memoised.
   */
  field(parent: string, field: string): readonly Requirement[];
}

/** Reads the access rules of a supergraph (the full supergraph schema, directives kept). */
export function readAccessRules(supergraph: GraphQLSchema): AccessRules {
  const names = directiveNames(supergraph);
  const policies = new Set<string>();
  const own = (directives: readonly ConstDirectiveNode[] | undefined): Requirement[] => {
    const found: Requirement[] = [];
    for (const directive of directives ?? []) {
      const feature = names.get(directive.name.value);
      if (feature === 'authenticated') found.push({ kind: 'authenticated' });
      else if (feature === 'requiresScopes') found.push({ kind: 'scopes', anyOf: listOfLists(directive, 'scopes') });
      else if (feature === 'policy') {
        const anyOf = listOfLists(directive, 'policies');
        for (const group of anyOf) for (const name of group) policies.add(name);
        found.push({ kind: 'policy', anyOf });
      }
    }
    return found;
  };

  const typeRequirements = new Map<string, readonly Requirement[]>();
  const fieldRequirements = new Map<string, readonly Requirement[]>();
  for (const type of Object.values(supergraph.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const onType = own([type.astNode, ...type.extensionASTNodes].flatMap((node) => node?.directives ?? []));
    if (onType.length > 0) typeRequirements.set(type.name, onType);
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const onField = own(field.astNode?.directives);
      if (onField.length > 0) fieldRequirements.set(`${type.name}.${field.name}`, onField);
    }
  }
  const any = names.size > 0 && (typeRequirements.size > 0 || fieldRequirements.size > 0);

  const combined = new Map<string, readonly Requirement[]>();
  const typeOf = (name: string) => typeRequirements.get(name) ?? [];
  const direct = (parent: string, field: string): Requirement[] => {
    const type = supergraph.getType(parent);
    const definition = isObjectType(type) || isInterfaceType(type) ? type.getFields()[field] : undefined;
    const returned = definition ? typeOf(getNamedType(definition.type).name) : [];
    return [...(fieldRequirements.get(`${parent}.${field}`) ?? []), ...typeOf(parent), ...returned];
  };

  return {
    any,
    policies,
    field(parent, field) {
      const key = `${parent}.${field}`;
      let found = combined.get(key);
      if (found === undefined) {
        const type = supergraph.getType(parent);
        const implementations = type && isAbstractType(type) ? supergraph.getPossibleTypes(type) : [];
        found = dedupe([...direct(parent, field), ...implementations.flatMap((implementation) => direct(implementation.name, field))]);
        combined.set(key, found);
      }
      return found;
    },
  };
}

/**
 * The local name of each enforced feature's directive in this supergraph: `import`ed names (with
 * their `as`) first, else the link's `as`, else the feature's own name — the @link rules for a
 * feature's root directive. A feature the supergraph does not link is not enforced (there is no
 * directive of it to read).
 */
function directiveNames(supergraph: GraphQLSchema): Map<string, Feature> {
  const names = new Map<string, Feature>();
  const schemaNodes = [supergraph.astNode, ...supergraph.extensionASTNodes];
  for (const directive of schemaNodes.flatMap((node) => node?.directives ?? [])) {
    if (directive.name.value !== 'link') continue;
    const url = stringArgument(directive, 'url');
    const feature = (Object.keys(FEATURES) as Feature[]).find((name) => url?.startsWith(FEATURES[name]));
    if (!feature) continue;
    let local = stringArgument(directive, 'as') ?? feature;
    const imports = directive.arguments?.find((argument) => argument.name.value === 'import')?.value;
    for (const entry of imports?.kind === Kind.LIST ? imports.values : []) {
      if (entry.kind === Kind.STRING && entry.value === `@${feature}`) local = feature;
      if (entry.kind === Kind.OBJECT) {
        const field = (name: string) => entry.fields.find((f) => f.name.value === name)?.value;
        const name = field('name');
        const as = field('as');
        if (name?.kind === Kind.STRING && name.value === `@${feature}`) local = as?.kind === Kind.STRING ? as.value.replace(/^@/, '') : feature;
      }
    }
    names.set(local, feature);
  }
  return names;
}

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

/** `[["a", "b"], ["c"]]` as string lists; a bare string or list is read as GraphQL's input coercion would. */
function listOfLists(directive: ConstDirectiveNode, argument: string): string[][] {
  const value = directive.arguments?.find((candidate) => candidate.name.value === argument)?.value;
  const strings = (node: ConstValueNode): string[] =>
    node.kind === Kind.LIST ? node.values.flatMap(strings) : node.kind === Kind.STRING || node.kind === Kind.ENUM ? [node.value] : [];
  if (!value) return [];
  if (value.kind !== Kind.LIST) return [strings(value)];
  return value.values.map((inner) => strings(inner));
}

function dedupe(requirements: Requirement[]): readonly Requirement[] {
  const seen = new Set<string>();
  return requirements.filter((requirement) => {
    const key = JSON.stringify(requirement);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
