/**
 * A query plan compiled once per (operation, plan) into a program the runner walks: Flatten nodes
 * folded into their fetches as paths, `requires` turned into representation extractors, each
 * fetch's selection identified apart from its operation name (so the entity loaders of
 * entity-loader.ts recognise the same selection at two places of a plan), and the operation that
 * asks several `_entities` selections of one subgraph in one request. Plans the engine does not
 * run (@defer, @fromContext rewrites) compile to undefined and go to the stock walker.
 */
import { createHash } from 'node:crypto';
import {
  Kind,
  parse,
  print,
  stripIgnoredCharacters,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import type { FetchDataRewrite, FetchNode, PlanNode, QueryPlanSelectionNode } from '@apollo/query-planner';
import { compileKeyReader, compileRequires, type Extractor, type KeyReader } from './requires.ts';
import { repairNonResolvableKeys } from './keys.ts';

export interface CompiledFetch {
  subgraph: string;
  operation: string;
  operationName: string | undefined;
  kind: 'query' | 'mutation';
  variableUsages: readonly string[];
  /** Builds one entity's representation; undefined for a root fetch. */
  requires?: Extractor;
  /** Reads what identifies a representation without building it (flat representations only). */
  readKey?: KeyReader;
  inputRewrites?: FetchDataRewrite[];
  outputRewrites?: FetchDataRewrite[];
  /** sha256 of `operation` (cache keys). */
  hash: string;
  /** sha256 of the operation without its name: the same selection asked by two fetches of a plan. */
  selectionHash: string;
}

export interface FetchTarget {
  fetch: CompiledFetch;
  /** Where its entities are in the answer (`@` = every element of a list); [] for the root. */
  path: readonly string[];
}

export type Step =
  | { kind: 'sequence'; steps: Step[] }
  | { kind: 'parallel'; steps: Step[] }
  | { kind: 'fetch'; target: FetchTarget }
  | { kind: 'condition'; variable: string; ifClause?: Step; elseClause?: Step };

export interface CompileOptions {
  supergraphSchema: GraphQLSchema;
}

/** The program of a plan node, or undefined when some node is not one the engine runs. */
export function compilePlan(node: PlanNode | undefined, options: CompileOptions): Step | undefined | null {
  if (!node) return null;
  try {
    // Representations carrying only keys the subgraph cannot resolve get one it can (keys.ts).
    return compileNode(repairNonResolvableKeys(node, options.supergraphSchema)!, options);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

class Unsupported extends Error {}

function compileNode(node: PlanNode, options: CompileOptions): Step {
  switch (node.kind) {
    case 'Sequence':
      return { kind: 'sequence', steps: node.nodes.map((child) => compileNode(child, options)) };
    case 'Parallel':
      return { kind: 'parallel', steps: node.nodes.map((child) => compileNode(child, options)) };
    case 'Fetch':
      return { kind: 'fetch', target: { fetch: compileFetch(node, options), path: [] } };
    case 'Flatten': {
      if (node.node.kind !== 'Fetch') throw new Unsupported('Flatten over a non-fetch node');
      const path = node.path.map((element) => {
        if (typeof element !== 'string' || element.startsWith('... on ')) throw new Unsupported(`path element ${String(element)}`);
        return element;
      });
      return { kind: 'fetch', target: { fetch: compileFetch(node.node, options), path } };
    }
    case 'Condition':
      return {
        kind: 'condition',
        variable: node.condition,
        ifClause: node.ifClause ? compileNode(node.ifClause, options) : undefined,
        elseClause: node.elseClause ? compileNode(node.elseClause, options) : undefined,
      };
    default:
      throw new Unsupported(node.kind);
  }
}

function compileFetch(node: FetchNode, options: CompileOptions): CompiledFetch {
  if (node.contextRewrites && node.contextRewrites.length > 0) throw new Unsupported('contextRewrites');
  if (node.hasDefers) throw new Unsupported('defer');
  return {
    subgraph: node.serviceName,
    operation: node.operation,
    operationName: node.operationName,
    kind: node.operationKind === 'mutation' ? 'mutation' : 'query',
    variableUsages: node.variableUsages ?? [],
    requires: node.requires ? compileRequires(node.requires as QueryPlanSelectionNode[], options.supergraphSchema) : undefined,
    readKey: node.requires && !node.inputRewrites?.length ? compileKeyReader(node.requires as QueryPlanSelectionNode[], options.supergraphSchema) : undefined,
    inputRewrites: node.inputRewrites,
    outputRewrites: node.outputRewrites,
    hash: createHash('sha256').update(node.operation).digest('hex'),
    selectionHash: createHash('sha256').update(node.operation.replace(OPERATION_NAME, '$1')).digest('hex'),
  };
}

/** `query Name__subgraph__3(` → `query(`: the planner names every fetch, the selection is what counts. */
const OPERATION_NAME = /^\s*(query|mutation)\s*[_A-Za-z][_0-9A-Za-z]*/;

/**
 * One operation asking what several `_entities` fetches ask: member i's `_entities` aliased `_e<i>`
 * with `$representations` renamed `$_r<i>`, its fragments suffixed `_<i>`; the client's variables
 * are shared (they come from one operation, so one name has one type and one value).
 */
export function mergeOperations(fetches: readonly CompiledFetch[]): { operation: string; operationName: string; variableUsages: string[] } | undefined {
  const variableDefinitions = new Map<string, VariableDefinitionNode>();
  const selections: FieldNode[] = [];
  const fragments: FragmentDefinitionNode[] = [];
  const usages = new Set<string>();
  for (const [index, fetch] of fetches.entries()) {
    const document = parse(fetch.operation, { noLocation: true });
    const renamed = renameMember(document, index);
    const operation = renamed.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
    if (!operation || operation.selectionSet.selections.length !== 1) return undefined;
    const entities = operation.selectionSet.selections[0]!;
    if (entities.kind !== Kind.FIELD || entities.name.value !== '_entities') return undefined;
    selections.push({ ...entities, alias: { kind: Kind.NAME, value: `_e${index}` } });
    for (const definition of operation.variableDefinitions ?? []) variableDefinitions.set(definition.variable.name.value, definition);
    for (const definition of renamed.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.push(definition);
    for (const usage of fetch.variableUsages) usages.add(usage);
  }
  const operationName = `${fetches[0]!.operationName ?? 'Entities'}__batch`;
  const merged: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as OperationDefinitionNode['operation'],
        name: { kind: Kind.NAME, value: operationName },
        variableDefinitions: [...variableDefinitions.values()],
        selectionSet: { kind: Kind.SELECTION_SET, selections },
      },
      ...fragments,
    ],
  };
  return { operation: stripIgnoredCharacters(print(merged)), operationName, variableUsages: [...usages] };
}

function renameMember(document: DocumentNode, index: number): DocumentNode {
  return visit(document, {
    Variable(node) {
      return node.name.value === 'representations' ? { ...node, name: { ...node.name, value: `_r${index}` } } : undefined;
    },
    FragmentDefinition(node) {
      return { ...node, name: { ...node.name, value: `${node.name.value}_${index}` } };
    },
    FragmentSpread(node) {
      return { ...node, name: { ...node.name, value: `${node.name.value}_${index}` } };
    },
  });
}
