/**
 * Entity fetches go through one DataLoader per subgraph per operation run: every `_entities`
 * fetch the plan starts in the same tick to one subgraph — siblings, and fetches of parallel
 * branches that reach that point together — leaves as ONE request (each distinct selection a
 * member: `_e<i>: _entities(representations: $_r<i>)`), and an entity already asked of that
 * subgraph with the same selection during this run is never asked again, whatever path of the
 * answer it appears at (the same product under three reviews is fetched once). The plan stays the
 * query planner's; only how its fetches travel changes.
 */
import DataLoader from 'dataloader';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { FetchCache } from '../cache/index.ts';
import type { SubgraphClient } from '../subgraph-client.ts';
import type { GatewayContext } from '../../pipeline.ts';
import { mergeOperations, type CompiledFetch } from './program.ts';

type Data = Record<string, unknown>;

export interface EntityKey {
  fetch: CompiledFetch;
  representation: Data;
  /** The fetch's selection and the representation: two keys equal here get one answer. */
  key: string;
}

export interface EntityAnswer {
  /** The subgraph's object for this representation (null: it has none). */
  entity: Data | null;
  /** Errors the subgraph reported at this representation, their paths relative to the entity. */
  errors?: { error: GraphQLFormattedError; rest: (string | number)[] }[];
  /** Errors of the request this answer came in, tied to no representation (reported once per fetch). */
  requestErrors?: GraphQLFormattedError[];
}

export interface LoaderContext {
  client: SubgraphClient;
  /** The public-data cache, when on: cacheable members are answered from it per representation. */
  cache?: FetchCache;
  supergraph: GraphQLSchema;
  gateway: GatewayContext;
  variables: Readonly<Record<string, unknown>>;
  /** Whether an entity answered once is answered again without asking (default true: per run). */
  remember?: boolean;
}

export type EntityLoaders = (subgraph: string) => DataLoader<EntityKey, EntityAnswer, string>;

/** Merged operations by their members' selections: a plan's batches recur on every run of it. */
const mergedOperations = new Map<string, ReturnType<typeof mergeOperations>>();
const MAX_MERGED_OPERATIONS = 2000;

function mergedFor(fetches: readonly CompiledFetch[]) {
  const key = fetches.map((fetch) => fetch.selectionHash).join('\0');
  let merged = mergedOperations.get(key);
  if (merged === undefined) {
    merged = mergeOperations(fetches);
    if (mergedOperations.size >= MAX_MERGED_OPERATIONS) mergedOperations.delete(mergedOperations.keys().next().value!);
    mergedOperations.set(key, merged);
  }
  return merged;
}

export function createEntityLoaders(context: LoaderContext): EntityLoaders {
  const loaders = new Map<string, DataLoader<EntityKey, EntityAnswer, string>>();
  return (subgraph) => {
    let loader = loaders.get(subgraph);
    if (!loader) {
      loader = new DataLoader<EntityKey, EntityAnswer, string>((keys) => loadBatch(subgraph, keys, context), { cacheKeyFn: (key) => key.key, cache: context.remember ?? true });
      loaders.set(subgraph, loader);
    }
    return loader;
  };
}

async function loadBatch(subgraph: string, keys: readonly EntityKey[], context: LoaderContext): Promise<(EntityAnswer | Error)[]> {
  const answers: (EntityAnswer | Error)[] = new Array(keys.length);
  // One member per distinct selection, in the order first asked.
  const members = new Map<string, { fetch: CompiledFetch; indexes: number[] }>();
  for (let i = 0; i < keys.length; i++) {
    const { fetch } = keys[i]!;
    const member = members.get(fetch.selectionHash);
    if (member) member.indexes.push(i);
    else members.set(fetch.selectionHash, { fetch, indexes: [i] });
  }
  const stores = context.cache ? await answerFromCache(subgraph, [...members.values()], keys, answers, context) : [];
  // What the cache did not answer goes to the subgraph.
  const list = [...members.values()].map((member) => ({ ...member, indexes: member.indexes.filter((i) => answers[i] === undefined) })).filter((member) => member.indexes.length > 0);
  if (list.length === 0) return answers;
  const single = list.length === 1;
  const fetches = list.map((member) => member.fetch);
  const merged = single ? undefined : mergedFor(fetches);
  const usages = single ? list[0]!.fetch.variableUsages : merged!.variableUsages;
  const variables: Record<string, unknown> = {};
  for (const name of usages) if (context.variables[name] !== undefined) variables[name] = context.variables[name];
  list.forEach((member, index) => {
    variables[single ? 'representations' : `_r${index}`] = member.indexes.map((i) => keys[i]!.representation);
  });

  const response = await context.client.fetch({
    subgraph,
    query: single ? list[0]!.fetch.operation : merged!.operation,
    operationName: single ? list[0]!.fetch.operationName : merged!.operationName,
    variables,
    kind: 'query',
    principal: context.gateway.principal,
    signal: context.gateway.signal,
  });

  const field = (index: number) => (single ? '_entities' : `_e${index}`);
  const memberOf = new Map(list.map((_, index) => [field(index), index]));
  const keyed = new Map<number, { error: GraphQLFormattedError; rest: (string | number)[] }[]>();
  const loose: GraphQLFormattedError[] = [];
  for (const error of response.errors ?? []) {
    const path = error.path;
    const member = typeof path?.[0] === 'string' ? memberOf.get(path[0]) : undefined;
    const position = path?.[1];
    if (member === undefined || typeof position !== 'number') {
      loose.push(error);
      continue;
    }
    const index = list[member]!.indexes[position];
    if (index === undefined) {
      loose.push(error);
      continue;
    }
    const errors = keyed.get(index);
    const entry = { error, rest: path!.slice(2) as (string | number)[] };
    if (errors) errors.push(entry);
    else keyed.set(index, [entry]);
  }
  list.forEach((member, index) => {
    const received = response.data?.[field(index)];
    const fail = (message: string) => {
      const error = new Error(`Subgraph "${subgraph}" ${message}`);
      for (const i of member.indexes) answers[i] = error;
    };
    if (received !== undefined && received !== null && !Array.isArray(received)) return fail(`answered "${field(index)}" with something that is not a list`);
    if (Array.isArray(received) && received.length !== member.indexes.length) return fail(`answered ${received.length} entities for ${member.indexes.length} representations`);
    member.indexes.forEach((i, position) => {
      const entity = Array.isArray(received) ? (received[position] as Data | null | undefined) : null;
      answers[i] = { entity: entity && typeof entity === 'object' ? entity : null, errors: keyed.get(i) };
    });
    // Errors tied to no representation go with the member's first answer, so each fetch reports them once.
    if (loose.length > 0) {
      const first = answers[member.indexes[0]!];
      if (first && !(first instanceof Error)) first.requestErrors = loose;
    }
  });
  // Only clean answers are kept: an entity that came with an error, or with a request-level error, is not.
  if (stores.length > 0 && loose.length === 0) {
    const entries = stores.flatMap(({ index, key, maxAgeS, tags }) => {
      const answer = answers[index];
      if (!answer || answer instanceof Error || answer.errors || !answer.entity) return [];
      return [{ key, value: answer.entity, maxAgeS, tags: tags() }];
    });
    context.cache!.setMany(entries);
  }
  return answers;
}

/**
 * Answers the representations of cacheable members from the public-data cache (../cache/), and
 * says what to store for the others once the subgraph has answered them.
 */
async function answerFromCache(
  subgraph: string,
  members: readonly { fetch: CompiledFetch; indexes: number[] }[],
  keys: readonly EntityKey[],
  answers: (EntityAnswer | Error)[],
  context: LoaderContext,
): Promise<{ index: number; key: string; maxAgeS: number; tags: () => string[] }[]> {
  const cache = context.cache!;
  const lookups: { index: number; key: string; maxAgeS: number; tags: () => string[] }[] = [];
  for (const member of members) {
    const policy = cache.policyOf(context.supergraph, subgraph, member.fetch.operation);
    if (!policy) continue;
    const used: Record<string, unknown> = {};
    for (const name of member.fetch.variableUsages) if (context.variables[name] !== undefined) used[name] = context.variables[name];
    const prefix = `${subgraph}\0${member.fetch.selectionHash}\0${JSON.stringify(used)}\0`;
    for (const index of member.indexes) {
      const representation = keys[index]!.representation;
      lookups.push({ index, key: prefix + JSON.stringify(representation), maxAgeS: policy.maxAgeS, tags: () => policy.tags(used, representation) });
    }
  }
  if (lookups.length === 0) return [];
  const values = await cache.getMany(lookups.map((lookup) => lookup.key));
  const misses: typeof lookups = [];
  values.forEach((value, position) => {
    const lookup = lookups[position]!;
    if (value !== undefined && value !== null && typeof value === 'object') answers[lookup.index] = { entity: value as Data };
    else misses.push(lookup);
  });
  return misses;
}
