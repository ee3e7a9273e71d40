/**
 * Whether one fetch of a query plan may be cached, and for how long: its `CachePolicy`, from the
 * hints of the supergraph (hints.ts). Apollo Server's cache-control semantics, per fetch:
 *
 * 1. Only queries. A mutation or subscription fetch is never cached.
 * 2. The ROOT LEVEL of a fetch is the root fields of a root fetch, and the fields selected directly
 *    on each entity of an `_entities` fetch (the entity's key fields and `__typename` excepted:
 *    they are the representation's own). Each root-level field needs a hint with a `maxAge` — its
 *    own, or, for a field returning an object, interface or union, that type's (counted only when
 *    one subgraph defines the type). `inheritMaxAge` has nothing to inherit there.
 * 3. BELOW the root level, a field returning an object, interface or union needs a hint: a `maxAge`
 *    of its own or its type's, or `inheritMaxAge: true`. A scalar or enum field inherits, unless it
 *    carries a hint of its own, which then counts.
 * 4. `scope: PRIVATE` on any selected field, or on the type it returns: never cached. What is
 *    private differs per caller, and the cache is shared by every caller.
 * 5. A field (or its parent or return type) under `@authenticated`, `@requiresScopes` or `@policy`:
 *    never cached, whatever its hint. The gateway removes what a caller may not see before
 *    planning, so such a field in a fetch means a caller allowed to see it — and only that caller.
 * 6. The policy's `maxAge` is the smallest `maxAge` met, capped by `maxAgeCapS`; 0 means never.
 * 7. Tags: the `@cacheTag` formats of the selected fields. `{$key.x}` reads the representation, so it
 *    is allowed only on a root-level field of an `_entities` fetch; `{$args.x}` reads the field's
 *    argument `x` (a literal or a variable of the fetch). A format that cannot be resolved there:
 *    never cached (an entry nobody could invalidate).
 * Anything unknown (a field or type the supergraph lacks, a fetch to another subgraph): never cached.
 */
import {
  Kind, OperationTypeNode, getNamedType, isCompositeType, isLeafType, parse, valueFromASTUntyped,
  type FieldNode, type FragmentDefinitionNode, type GraphQLCompositeType, type GraphQLNamedType, type GraphQLSchema,
  type SelectionSetNode, type ValueNode,
} from 'graphql';
import type { CacheHint, SupergraphHints } from './hints.ts';

export interface CachePolicy {
  maxAgeS: number;
  /** invalidation tags this fetch's results depend on (e.g. 'requests:commune:75056' or coarser) */
  tags: (variables: Record<string, unknown>, representation?: Record<string, unknown>) => string[];
}

/** A tag format compiled for one place in the fetch. */
type TagPart = string | { from: 'key'; path: string[] } | { from: 'args'; value: ValueNode | undefined; path: string[] };
interface CompiledTag {
  parts: TagPart[];
  /** Only for representations of this type (tags from an entity's root-level fields). */
  typename?: string;
}

class NotCacheable extends Error {}

/** The policy of one fetch operation, or undefined when it may not be cached. */
export function computePolicy(supergraph: GraphQLSchema, hints: SupergraphHints, subgraph: string, operation: string, maxAgeCapS: number): CachePolicy | undefined {
  if (!hints.hasSubgraph(subgraph)) return undefined;
  let document;
  try {
    document = parse(operation, { noLocation: true });
  } catch {
    return undefined;
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const query = supergraph.getQueryType();
  if (operations.length !== 1 || operations[0]!.operation !== OperationTypeNode.QUERY || !query) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);

  const walk = new Walk(supergraph, hints, subgraph, fragments);
  try {
    for (const { field, parent } of walk.fields(query, operations[0]!.selectionSet)) {
      if (field.name.value === '_entities') walk.entities(field);
      else walk.field(parent, field, { root: true });
    }
  } catch (error) {
    if (error instanceof NotCacheable) return undefined;
    throw error;
  }
  const maxAgeS = Math.min(walk.maxAge, maxAgeCapS);
  if (!Number.isFinite(maxAgeS) || maxAgeS <= 0) return undefined;
  const tags = walk.tags;
  return {
    maxAgeS,
    tags: tags.length === 0 ? () => [] : (variables, representation) => renderTags(tags, variables, representation),
  };
}

class Walk {
  maxAge = Number.POSITIVE_INFINITY;
  readonly tags: CompiledTag[] = [];
  /** Fragments being walked, so a (invalid) cycle cannot loop. */
  private readonly inFragments = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly hints: SupergraphHints,
    private readonly subgraph: string,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
  ) {}

  /** `_entities(representations: …) { ... on T { … } }`: each entity's fields are the root level. */
  entities(field: FieldNode): void {
    for (const { field: selected, parent } of this.fields(undefined, field.selectionSet)) {
      if (selected.name.value === '__typename') continue;
      if (!parent) throw new NotCacheable();
      const keys = this.hints.keyFields(parent.name, this.subgraph);
      // Key fields come from the representation itself; nothing below them is fetched.
      if (keys.has(selected.name.value) && !selected.selectionSet) continue;
      this.field(parent, selected, { root: true, entity: parent.name });
    }
  }

  field(parent: GraphQLCompositeType | undefined, node: FieldNode, at: { root: boolean; entity?: string }): void {
    const name = node.name.value;
    if (name === '__typename') return;
    if (!parent || !('getFields' in parent)) throw new NotCacheable();
    const definition = parent.getFields()[name];
    if (!definition) throw new NotCacheable();
    const returned = getNamedType(definition.type);
    if (this.hints.guarded(parent.name) || this.hints.guarded(parent.name, name) || this.hints.guarded(returned.name)) throw new NotCacheable();

    const own = this.hints.fieldHint(parent.name, name);
    const ofType = isCompositeType(returned) ? this.hints.typeHint(returned.name) : undefined;
    if (own?.scope === 'PRIVATE' || this.hints.typeHint(returned.name)?.scope === 'PRIVATE') throw new NotCacheable();
    const maxAge = own?.maxAge ?? (own?.inheritMaxAge ? undefined : ofType?.maxAge);
    if (at.root) {
      if (maxAge === undefined) throw new NotCacheable();
    } else if (isCompositeType(returned) && maxAge === undefined && !inherits(own, ofType)) {
      throw new NotCacheable();
    }
    if (maxAge !== undefined) this.maxAge = Math.min(this.maxAge, maxAge);

    for (const format of this.hints.fieldTags(parent.name, name)) this.tags.push(this.compileTag(format, node, at));
    if (node.selectionSet) {
      if (isLeafType(returned)) throw new NotCacheable();
      for (const child of this.fields(returned as GraphQLCompositeType, node.selectionSet)) this.field(child.parent, child.field, { root: false });
    }
  }

  /** The fields of a selection set with the type each is selected on, through fragments. */
  *fields(parent: GraphQLCompositeType | undefined, set: SelectionSetNode | undefined): Generator<{ field: FieldNode; parent: GraphQLCompositeType | undefined }> {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        yield { field: selection, parent };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? this.composite(selection.typeCondition.name.value) : parent;
        yield* this.fields(condition, selection.selectionSet);
      } else {
        const fragment = this.fragments.get(selection.name.value);
        if (!fragment || this.inFragments.has(fragment.name.value)) throw new NotCacheable();
        this.inFragments.add(fragment.name.value);
        yield* this.fields(this.composite(fragment.typeCondition.name.value), fragment.selectionSet);
        this.inFragments.delete(fragment.name.value);
      }
    }
  }

  private composite(name: string): GraphQLCompositeType {
    const type: GraphQLNamedType | undefined = this.schema.getType(name);
    if (!type || !isCompositeType(type)) throw new NotCacheable();
    return type;
  }

  private compileTag(format: string, node: FieldNode, at: { root: boolean; entity?: string }): CompiledTag {
    const parts: TagPart[] = [];
    let rest = format;
    for (let match = /\{\$(key|args)((?:\.[_A-Za-z][_0-9A-Za-z]*)+)\}/.exec(rest); match; match = /\{\$(key|args)((?:\.[_A-Za-z][_0-9A-Za-z]*)+)\}/.exec(rest)) {
      if (match.index > 0) parts.push(rest.slice(0, match.index));
      const path = match[2]!.slice(1).split('.');
      if (match[1] === 'key') {
        if (!at.entity) throw new NotCacheable();
        parts.push({ from: 'key', path });
      } else {
        const argument = node.arguments?.find((candidate) => candidate.name.value === path[0]);
        parts.push({ from: 'args', value: argument?.value, path: path.slice(1) });
      }
      rest = rest.slice(match.index + match[0].length);
    }
    if (rest.includes('{$')) throw new NotCacheable();
    if (rest) parts.push(rest);
    return { parts, ...(at.entity ? { typename: at.entity } : {}) };
  }
}

function inherits(own: CacheHint | undefined, ofType: CacheHint | undefined): boolean {
  return own ? own.inheritMaxAge : (ofType?.inheritMaxAge ?? false);
}

function renderTags(tags: readonly CompiledTag[], variables: Record<string, unknown>, representation: Record<string, unknown> | undefined): string[] {
  const rendered = new Set<string>();
  const typename = representation?.__typename;
  for (const tag of tags) {
    if (tag.typename !== undefined && tag.typename !== typename) continue;
    let text = '';
    for (const part of tag.parts) {
      if (typeof part === 'string') text += part;
      else if (part.from === 'key') text += show(dig(representation, part.path));
      else text += show(dig(part.value ? valueFromASTUntyped(part.value, variables) : undefined, part.path));
    }
    rendered.add(text);
  }
  return [...rendered];
}

function dig(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const step of path) current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[step] : undefined;
  return current;
}

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return 'null';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
