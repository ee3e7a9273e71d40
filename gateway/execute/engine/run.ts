/**
 * Walks a compiled plan (program.ts): issues the fetches — entity fetches through the run's
 * entity loaders (entity-loader.ts: one request per subgraph per tick, each entity asked once per
 * selection) — fans each answer back to every entity that needs it, and merges every answer
 * straight into the one data tree the answer is completed from.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { applyRewrites } from '@apollo/gateway/dist/dataRewrites.js';
import type { GraphQLSchema } from 'graphql';
import type { GatewayContext } from '../../pipeline.ts';
import type { SubgraphClient } from '../subgraph-client.ts';
import type { FetchTarget, Step } from './program.ts';
import type { Extractor, KeyReader } from './requires.ts';
import { mergeInto } from './requires.ts';
import { createEntityLoaders, type EntityAnswer, type EntityLoaders } from './entity-loader.ts';
import type { FetchCache } from '../cache/index.ts';

type Data = Record<string, unknown>;


export interface RunContext {
  data: Data;
  errors: GraphQLError[];
  variables: Readonly<Record<string, unknown>>;
  /** Defaults of the operation's variables (used by Condition nodes when a value is absent). */
  defaults: Readonly<Record<string, unknown>>;
  client: SubgraphClient;
  gateway: GatewayContext;
  supergraph: GraphQLSchema;
  /** The public-data cache (../cache/), when on. */
  cache?: FetchCache;
  /** The run's entity loaders; without them each entity fetch is its own request, as stock sends them. */
  entities?: EntityLoaders;
  /** Loader answers already merged somewhere: another place gets a copy (answers are merged into, never shared). */
  claimed?: WeakSet<EntityAnswer>;
  /** Errors already reported: a failed batch fails each of its fetches with one error object. */
  reported?: WeakSet<GraphQLError>;
}

export async function runStep(step: Step, context: RunContext): Promise<void> {
  switch (step.kind) {
    case 'sequence':
      for (const inner of step.steps) await runStep(inner, context);
      return;
    case 'parallel':
      await Promise.all(step.steps.map((inner) => runStep(inner, context)));
      return;
    case 'condition': {
      const value = context.variables[step.variable] ?? context.defaults[step.variable];
      const branch = value === true ? step.ifClause : step.elseClause;
      if (branch) await runStep(branch, context);
      return;
    }
    case 'fetch':
      try {
        await runFetch(step.target, context);
      } catch (error) {
        report(asGraphQLError(error), context);
      }
      return;
  }
}

/** The entities a fetch works on, and the requests it sends for them. */
interface Prepared {
  target: FetchTarget;
  entities: Data[];
  /** Distinct representations, in the order they are sent. */
  representations: Data[];
  /** For each entity, the representation it is sent as (index into `representations`; -1: none). */
  ownerOf: Int32Array;
  /** For each sent representation, the first entity it stands for. */
  first: number[];
  /** For each sent representation, its identity among the fetch's (representationKey). */
  keys: string[];
}

function prepare(target: FetchTarget, context: RunContext): Prepared | undefined {
  const entities: Data[] = [];
  collect(context.data, target.path, 0, entities);
  if (entities.length === 0) return undefined;
  const fetch = target.fetch;
  const prepared: Prepared = { target, entities, representations: [], ownerOf: new Int32Array(fetch.requires ? entities.length : 0).fill(-1), first: [], keys: [] };
  if (!fetch.requires) return prepared;
  if (fetch.readKey) prepareFlat(prepared, fetch.readKey, fetch.requires);
  else prepareAny(prepared, context);
  return prepared.representations.length === 0 ? undefined : prepared;
}

/** A distinct flat representation: its key values, and its index among those sent (-1: not sendable). */
interface Seen {
  values: unknown[];
  index: number;
}

/** The distinct representations that share one pivot value; past a few, also found by their values as text. */
interface Bucket {
  seen: Seen[];
  byText?: Map<string, Seen>;
}

/** Representations sharing a pivot compared value by value up to this many; then by text, so a low-cardinality pivot never makes the fetch quadratic. */
const LINEAR_BUCKET = 8;

/**
 * Flat representations: entities are told apart by their key values, without allocating anything
 * per entity in the usual case — indexed by one value (the first after `__typename`, a key field),
 * then compared value by value with the few that share it — and a representation is built only for
 * the first entity of each key.
 */
function prepareFlat(prepared: Prepared, readKey: KeyReader, extract: Extractor): void {
  const { entities, representations, ownerOf, first, keys } = prepared;
  const byPivot = new Map<unknown, Bucket>();
  const values: unknown[] = [];
  for (let i = 0; i < entities.length; i++) {
    if (!readKey(entities[i]!, values)) continue;
    const pivot = values[values.length > 1 ? 1 : 0];
    let bucket = byPivot.get(pivot);
    if (bucket === undefined) {
      bucket = { seen: [] };
      byPivot.set(pivot, bucket);
    }
    const text = bucket.byText ? valuesText(values) : undefined;
    let seen = text !== undefined ? bucket.byText!.get(text) : bucket.seen.find((candidate) => sameValues(candidate.values, values));
    if (seen === undefined) {
      const representation = extract(entities[i]!);
      const sendable = !!representation && !!representation.__typename;
      seen = { values: values.slice(), index: sendable ? representations.length : -1 };
      bucket.seen.push(seen);
      if (text !== undefined) bucket.byText!.set(text, seen);
      else if (bucket.seen.length > LINEAR_BUCKET) bucket.byText = new Map(bucket.seen.map((entry) => [valuesText(entry.values), entry]));
      if (sendable) {
        representations.push(representation);
        first.push(i);
        keys.push(representationKey(representation));
      }
    }
    ownerOf[i] = seen.index;
  }
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Key values as text that two differ in whenever the values differ. */
function valuesText(values: readonly unknown[]): string {
  let text = '';
  for (const value of values) text += valueText(value);
  return text;
}

/** One value as text: type-tagged, strings length-prefixed, anything else as JSON. */
function valueText(value: unknown): string {
  if (typeof value === 'string') return `s${value.length}:${value}`;
  if (typeof value === 'number') return `n${value};`;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (value === null) return 'z';
  return `j${JSON.stringify(value)}\0`;
}

/** Any representation (nested fields, several type conditions, input rewrites): built for every entity, told apart by its key. */
function prepareAny(prepared: Prepared, context: RunContext): void {
  const { target, entities, representations, ownerOf, first, keys } = prepared;
  const extract = target.fetch.requires!;
  const seen = new Map<string, number>();
  for (let i = 0; i < entities.length; i++) {
    const representation = extract(entities[i]!);
    if (!representation || !representation.__typename) continue;
    if (target.fetch.inputRewrites) applyRewrites(context.supergraph, target.fetch.inputRewrites, representation);
    const key = representationKey(representation);
    const known = seen.get(key);
    if (known !== undefined) {
      ownerOf[i] = known;
      continue;
    }
    seen.set(key, representations.length);
    ownerOf[i] = representations.length;
    representations.push(representation);
    first.push(i);
    keys.push(key);
  }
}

/**
 * Identifies a representation among a fetch's others: its field names and their values, each
 * value type-tagged and strings length-prefixed (valueText), so no two differ only in where one ends.
 */
function representationKey(representation: Data): string {
  let key = '';
  for (const name in representation) key += `${name}=${valueText(representation[name])}`;
  return key;
}

function variablesOf(usages: readonly string[], context: RunContext): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const name of usages) {
    const value = context.variables[name];
    if (value !== undefined) variables[name] = value;
  }
  return variables;
}

async function runFetch(target: FetchTarget, context: RunContext): Promise<void> {
  const prepared = prepare(target, context);
  if (!prepared) return;
  const fetch = target.fetch;
  if (fetch.requires) return loadEntities(prepared, context);
  const data = await fetchRoot(target, context);
  if (!data) return;
  if (fetch.outputRewrites) applyRewrites(context.supergraph, fetch.outputRewrites, data);
  for (const entity of prepared.entities) mergeInto(entity, data);
}

/**
 * A root fetch's data, its errors recorded: from the public-data cache when its policy allows,
 * otherwise from the subgraph (and stored when it came back clean and cacheable).
 */
async function fetchRoot(target: FetchTarget, context: RunContext): Promise<Data | null | undefined> {
  const fetch = target.fetch;
  const variables = variablesOf(fetch.variableUsages, context);
  const policy = fetch.kind === 'query' ? context.cache?.policyOf(context.supergraph, fetch.subgraph, fetch.operation) : undefined;
  const key = policy ? `${fetch.subgraph}\0${fetch.selectionHash}\0${JSON.stringify(variables)}\0` : undefined;
  if (key) {
    const [hit] = await context.cache!.getMany([key]);
    if (hit !== undefined && hit !== null && typeof hit === 'object') return hit as Data;
  }
  const response = await context.client.fetch({
    subgraph: fetch.subgraph,
    query: fetch.operation,
    operationName: fetch.operationName,
    variables,
    kind: fetch.kind,
    principal: context.gateway.principal,
    signal: context.gateway.signal,
  });
  if (response.errors) for (const error of response.errors) context.errors.push(downstreamError(error, fetch.subgraph, error.path ? [...target.path, ...error.path] : undefined));
  else if (key && policy && response.data) context.cache!.setMany([{ key, value: response.data, maxAgeS: policy.maxAgeS, tags: policy.tags(variables) }]);
  return response.data;
}

/** An entity fetch through the subgraph's loader: answers merged into their entities, errors given their paths. */
async function loadEntities(prepared: Prepared, context: RunContext): Promise<void> {
  const fetch = prepared.target.fetch;
  const { entities, ownerOf } = prepared;
  // Without the run's loaders (SUBGRAPH_BATCH=off), a loader of this fetch alone: one request per plan fetch, as stock.
  const loader = (context.entities ?? createEntityLoaders({ ...context, remember: false }))(fetch.subgraph);
  const answers = await loader.loadMany(prepared.representations.map((representation, i) => ({ fetch, representation, key: `${fetch.selectionHash}\0${prepared.keys[i]!}` })));
  const claimed = (context.claimed ??= new WeakSet());
  // Per representation, what its entities receive (undefined: nothing).
  const landed: (Data | undefined)[] = new Array(answers.length);
  let errors = false;
  for (let r = 0; r < answers.length; r++) {
    const answer = answers[r]!;
    if (answer instanceof Error) {
      report(asGraphQLError(answer), context, answer);
      continue;
    }
    for (const error of answer.requestErrors ?? []) report(downstreamError(error, fetch.subgraph, error.path ? [...prepared.target.path, ...error.path] : undefined), context, error);
    if (answer.errors) errors = true;
    if (!answer.entity) continue;
    // The first place an answer lands takes it as is; a later one (the same entity elsewhere in the answer) a copy.
    const entity = claimed.has(answer) ? copyOf(answer.entity) : answer.entity;
    claimed.add(answer);
    if (!entity.__typename) entity.__typename = entities[prepared.first[r]!]!.__typename;
    if (fetch.outputRewrites) applyRewrites(context.supergraph, fetch.outputRewrites, entity);
    landed[r] = entity;
  }
  let paths: (string | number)[][] | undefined;
  for (let e = 0; e < entities.length; e++) {
    const r = ownerOf[e]!;
    if (r < 0) continue;
    const answer = answers[r]!;
    if (errors && !(answer instanceof Error) && answer.errors) {
      const at = (paths ??= entityPaths(context.data, prepared.target.path))[e] ?? [];
      for (const { error, rest } of answer.errors) context.errors.push(downstreamError(error, fetch.subgraph, [...at, ...rest]));
    }
    const entity = landed[r];
    if (entity) mergeInto(entities[e]!, entity);
  }
}

/** A copy that shares nothing mutable with the original: flat entities (the usual) are copied shallowly. */
function copyOf(entity: Data): Data {
  for (const key in entity) {
    const value = entity[key];
    if (value !== null && typeof value === 'object') return structuredClone(entity);
  }
  return { ...entity };
}

/** Adds an error once, however many fetches a failed request concerned. */
function report(error: GraphQLError, context: RunContext, source?: object): void {
  const reported = (context.reported ??= new WeakSet());
  const identity = (source ?? error) as GraphQLError;
  if (reported.has(identity)) return;
  reported.add(identity);
  context.errors.push(error);
}

/** The objects at `path` (`@`: every element of a list), nulls left out. */
function collect(value: unknown, path: readonly string[], at: number, into: Data[]): void {
  if (value === null || value === undefined) return;
  if (at === path.length) {
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && item !== undefined) into.push(item as Data);
    } else into.push(value as Data);
    return;
  }
  const element = path[at]!;
  if (element === '@') {
    if (!Array.isArray(value)) return;
    for (const item of value) collect(item, path, at + 1, into);
    return;
  }
  if (Array.isArray(value) || typeof value !== 'object') return;
  collect(element === '__proto__' ? undefined : (value as Data)[element], path, at + 1, into);
}

/** The answer paths of the entities `collect` finds, in the same order: only computed when a subgraph reports an error. */
function entityPaths(root: unknown, path: readonly string[]): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (value: unknown, at: number, prefix: (string | number)[]): void => {
    if (value === null || value === undefined) return;
    if (at === path.length) {
      if (Array.isArray(value)) value.forEach((item, i) => item !== null && item !== undefined && out.push([...prefix, i]));
      else out.push(prefix);
      return;
    }
    const element = path[at]!;
    if (element === '@') {
      if (!Array.isArray(value)) return;
      value.forEach((item, i) => walk(item, at + 1, [...prefix, i]));
      return;
    }
    if (Array.isArray(value) || typeof value !== 'object') return;
    walk((value as Data)[element], at + 1, [...prefix, element]);
  };
  walk(root, 0, []);
  return out;
}

/** A subgraph's error as the answer carries it (as @apollo/gateway's downstreamServiceError). */
export function downstreamError(error: GraphQLFormattedError, subgraph: string, path: readonly (string | number)[] | undefined): GraphQLError {
  const extensions = error.extensions ?? {};
  return new GraphQLError(error.message || `Error while fetching subquery from service "${subgraph}"`, {
    path,
    extensions: { ...extensions, serviceName: subgraph, code: typeof extensions.code === 'string' ? extensions.code : 'DOWNSTREAM_SERVICE_ERROR' },
  });
}

function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  return new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : undefined });
}
