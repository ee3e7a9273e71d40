/**
 * Reads the cache hints a composed supergraph carries, by schema coordinate.
 *
 * Where they come from: Passerelle's cache spec, `@link(url: "https://specs.passerelle.example/cache/v0.1")`,
 * whose directives each subgraph defines, imports and composes (`@composeDirective`):
 * - `@cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean)`, Apollo Server's
 *   cache-control hint, on fields and types;
 * - `@cacheTag(format: String!)`, repeatable, on fields: the invalidation tag a cached result of the
 *   field depends on (`{$key.code}` is the entity's representation, `{$args.year}` an argument), the
 *   field-level cousin of Federation 2.12's `@cacheTag`;
 * - `@cacheInvalidation`, on a `Subscription` field whose events are lists of such tags.
 * The `@link`'s `as:` and `import:` decide their names, as for every linked spec.
 *
 * Composition keeps one application of a non-repeatable directive per element, whichever subgraph it
 * came from, and does not say which: a type-level hint on a type several subgraphs define may be
 * another subgraph's. So a type-level hint counts only on a type ONE subgraph defines; field-level
 * hints belong to the fields' owners. The access-control directives (`@authenticated`,
 * `@requiresScopes`, `@policy`) are read too: what they guard is never cached.
 */
import { Kind, valueFromASTUntyped, type ConstDirectiveNode, type GraphQLField, type GraphQLNamedType, type GraphQLSchema } from 'graphql';

/** Identity of the spec (any v0.x): the URL every subgraph links. */
export const CACHE_SPEC_URL = 'https://specs.passerelle.example/cache/v0.1';
const CACHE_SPEC = /^https:\/\/specs\.passerelle\.example\/cache\/v0\.\d+$/;
const ACCESS_SPECS: Record<string, RegExp> = {
  authenticated: /^https:\/\/specs\.apollo\.dev\/authenticated\/v[\d.]+$/,
  requiresScopes: /^https:\/\/specs\.apollo\.dev\/requiresScopes\/v[\d.]+$/,
  policy: /^https:\/\/specs\.apollo\.dev\/policy\/v[\d.]+$/,
};

export type CacheScope = 'PUBLIC' | 'PRIVATE';

/** One `@cacheControl` application. */
export interface CacheHint {
  maxAge?: number;
  scope?: CacheScope;
  inheritMaxAge: boolean;
}

/** A `@cacheInvalidation` subscription field and the subgraph serving it. */
export interface InvalidationField {
  field: string;
  subgraph: string;
  /** The URL the supergraph gives the subgraph (`join__graph(url:)`). */
  url: string;
}

/** What the cache needs to know of one supergraph (read once per supergraph, then looked up). */
export interface SupergraphHints {
  /** The hint on a field, `Type.field`. */
  fieldHint(type: string, field: string): CacheHint | undefined;
  /** The hint on a type, when exactly one subgraph defines that type (see above). */
  typeHint(type: string): CacheHint | undefined;
  /** `@cacheTag` formats of a field. */
  fieldTags(type: string, field: string): readonly string[];
  /** Whether an access-control directive guards the type or the field (`field` omitted: the type). */
  guarded(type: string, field?: string): boolean;
  /** Top-level fields of the `@key`s subgraph `subgraph` declares for `type`. */
  keyFields(type: string, subgraph: string): ReadonlySet<string>;
  /** Whether `subgraph` is a subgraph of this supergraph. */
  hasSubgraph(subgraph: string): boolean;
  invalidationFields(): readonly InvalidationField[];
}

interface Graph {
  name: string;
  url: string;
}

/** Reads the hints of `supergraph`. */
export function readHints(supergraph: GraphQLSchema): SupergraphHints {
  const names = directiveNames(supergraph);
  const access = new Set(Object.keys(ACCESS_SPECS).map((spec) => accessName(supergraph, spec)));
  const graphs = readGraphs(supergraph);

  const fieldHints = new Map<string, CacheHint>();
  const typeHints = new Map<string, CacheHint>();
  const tags = new Map<string, string[]>();
  const guardedCoordinates = new Set<string>();
  const keys = new Map<string, Set<string>>();
  const invalidations: InvalidationField[] = [];

  for (const type of Object.values(supergraph.getTypeMap())) {
    if (type.name.startsWith('__') || type.name.startsWith('join__') || type.name.startsWith('link__')) continue;
    const typeDirectives = directivesOf(type);
    const owners = typeDirectives.filter((d) => d.name.value === 'join__type');
    const hint = typeDirectives.find((d) => d.name.value === names.cacheControl);
    if (hint && owners.length === 1) typeHints.set(type.name, readHint(hint));
    if (typeDirectives.some((d) => access.has(d.name.value))) guardedCoordinates.add(type.name);
    for (const owner of owners) {
      const graph = graphs.get(String(argument(owner, 'graph')));
      const key = argument(owner, 'key');
      if (!graph || typeof key !== 'string') continue;
      const id = `${type.name}\0${graph.name}`;
      const set = keys.get(id) ?? new Set<string>();
      for (const name of topLevelFields(key)) set.add(name);
      keys.set(id, set);
    }
    if (!('getFields' in type)) continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      const coordinate = `${type.name}.${field.name}`;
      const directives = field.astNode?.directives ?? [];
      const fieldHint = directives.find((d) => d.name.value === names.cacheControl);
      if (fieldHint) fieldHints.set(coordinate, readHint(fieldHint));
      const formats = directives.filter((d) => d.name.value === names.cacheTag).map((d) => argument(d, 'format')).filter((f): f is string => typeof f === 'string');
      if (formats.length > 0) tags.set(coordinate, formats);
      if (directives.some((d) => access.has(d.name.value))) guardedCoordinates.add(coordinate);
      if (type === supergraph.getSubscriptionType() && directives.some((d) => d.name.value === names.cacheInvalidation)) {
        const fieldOwners = directives.filter((d) => d.name.value === 'join__field').map((d) => String(argument(d, 'graph')));
        const candidates = fieldOwners.length > 0 ? fieldOwners : owners.map((d) => String(argument(d, 'graph')));
        // A field several subgraphs serve has no single stream to follow.
        const graph = candidates.length === 1 ? graphs.get(candidates[0]!) : undefined;
        if (graph) invalidations.push({ field: field.name, subgraph: graph.name, url: graph.url });
      }
    }
  }
  const subgraphNames = new Set([...graphs.values()].map((graph) => graph.name));

  return {
    fieldHint: (type, field) => fieldHints.get(`${type}.${field}`),
    typeHint: (type) => typeHints.get(type),
    fieldTags: (type, field) => tags.get(`${type}.${field}`) ?? [],
    guarded: (type, field) => guardedCoordinates.has(field === undefined ? type : `${type}.${field}`),
    keyFields: (type, subgraph) => keys.get(`${type}\0${subgraph}`) ?? new Set(),
    hasSubgraph: (subgraph) => subgraphNames.has(subgraph),
    invalidationFields: () => invalidations,
  };
}

function readHint(directive: ConstDirectiveNode): CacheHint {
  const maxAge = argument(directive, 'maxAge');
  const scope = argument(directive, 'scope');
  return {
    ...(typeof maxAge === 'number' ? { maxAge } : {}),
    ...(scope === 'PUBLIC' || scope === 'PRIVATE' ? { scope } : {}),
    inheritMaxAge: argument(directive, 'inheritMaxAge') === true,
  };
}

/** The subgraphs, by `join__Graph` enum value: `join__graph(name:, url:)`. */
function readGraphs(supergraph: GraphQLSchema): Map<string, Graph> {
  const graphs = new Map<string, Graph>();
  const enumType = supergraph.getType('join__Graph');
  const node = enumType?.astNode;
  if (!node || node.kind !== Kind.ENUM_TYPE_DEFINITION) return graphs;
  for (const value of node.values ?? []) {
    const directive = value.directives?.find((d) => d.name.value === 'join__graph');
    const name = directive && argument(directive, 'name');
    const url = directive && argument(directive, 'url');
    if (typeof name === 'string') graphs.set(value.name.value, { name, url: typeof url === 'string' ? url : '' });
  }
  return graphs;
}

function directivesOf(type: GraphQLNamedType): ConstDirectiveNode[] {
  return [type.astNode, ...(type.extensionASTNodes ?? [])].flatMap((node) => [...(node?.directives ?? [])]);
}

/** `"code"`, `"id region { code }"` → the top-level names. */
function topLevelFields(fieldSet: string): string[] {
  const names: string[] = [];
  let depth = 0;
  for (const token of fieldSet.match(/[_A-Za-z][_0-9A-Za-z]*|[{}]/g) ?? []) {
    if (token === '{') depth += 1;
    else if (token === '}') depth -= 1;
    else if (depth === 0) names.push(token);
  }
  return names;
}

/** The schema's `@link` applications, as (url, as, imports). */
function links(supergraph: GraphQLSchema): { url: string; as?: string; imports: Map<string, string> }[] {
  const found = [];
  for (const node of [supergraph.astNode, ...supergraph.extensionASTNodes]) {
    for (const directive of node?.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = argument(directive, 'url');
      if (typeof url !== 'string') continue;
      const as = argument(directive, 'as');
      const imports = new Map<string, string>();
      const list = argument(directive, 'import');
      for (const entry of Array.isArray(list) ? list : []) {
        if (typeof entry === 'string') imports.set(entry, entry);
        else if (isImport(entry)) imports.set(entry.name, entry.as ?? entry.name);
      }
      found.push({ url, ...(typeof as === 'string' ? { as } : {}), imports });
    }
  }
  return found;
}

/** The names the supergraph gives the cache spec's directives. */
function directiveNames(supergraph: GraphQLSchema): { cacheControl: string; cacheTag: string; cacheInvalidation: string } {
  const link = links(supergraph).find((candidate) => CACHE_SPEC.test(candidate.url));
  const named = (directive: string) => {
    const imported = link?.imports.get(`@${directive}`);
    if (imported) return imported.replace(/^@/, '');
    // Not imported: the spec's namespace, `cache__cacheControl` (or the `as:` prefix).
    return link ? `${link.as ?? 'cache'}__${directive}` : directive;
  };
  return { cacheControl: named('cacheControl'), cacheTag: named('cacheTag'), cacheInvalidation: named('cacheInvalidation') };
}

/** The name of an access-control spec's own directive (`@authenticated`…), per its `@link`. */
function accessName(supergraph: GraphQLSchema, spec: string): string {
  const link = links(supergraph).find((candidate) => ACCESS_SPECS[spec]!.test(candidate.url));
  const imported = link?.imports.get(`@${spec}`);
  if (imported) return imported.replace(/^@/, '');
  return link?.as ?? spec;
}

function isImport(value: unknown): value is { name: string; as?: string } {
  return typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string';
}

function argument(directive: ConstDirectiveNode, name: string): unknown {
  const arg = directive.arguments?.find((candidate) => candidate.name.value === name);
  if (!arg) return undefined;
  if (arg.value.kind === Kind.ENUM) return arg.value.value;
  return arg.value.kind === Kind.NULL ? undefined : valueFromASTUntyped(arg.value);
}
