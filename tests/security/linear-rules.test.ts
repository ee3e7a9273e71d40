/**
 * Every validation rule (and the cost estimate) is linear in the document's size: fed a document
 * that makes a naive walker exponential — fragments each spreading the next twice — each does a
 * bounded amount of work. Work is counted (reads of `selections`), never timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kind, buildSchema, parse, validate, getOperationAST, type ASTNode, type DocumentNode, type ValidationRule } from 'graphql';
import { MaxAliasesRule, MaxDepthRule, MaxRootFieldsRule, estimateCost, NO_COST_DIRECTIVES } from '../../gateway/limit/index.ts';
import { ANONYMOUS } from '../../gateway/pipeline.ts';
import { useIntrospection } from '../../gateway/plugins/index.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { endingCodes, subscribeSse, subscribeWs, waitFor } from '../harness/streams.ts';
import { innocentAlongside, withoutStall } from './harness.ts';

const schema = buildSchema(`
  type Query { node: Node a: Int }
  type Node { node: Node a: Int list(first: Int): [Node] }
`);

const LEVELS = 27;

/** `levels` fragments on `type`, each selecting `field { ...Next ...Next }` plus `leaf`. */
function fanOut(levels: number, type: string, body: (next: string) => string): string {
  const fragments = Array.from({ length: levels }, (_, level) =>
    `fragment F${level} on ${type} { ${body(level + 1 < levels ? `...F${level + 1} ...F${level + 1}` : 'a')} }`,
  );
  return fragments.join('\n');
}

const attacks: Record<string, string> = {
  depth: `query { node { ...F0 } }\n${fanOut(LEVELS, 'Node', (next) => `node { ${next} } a`)}`,
  rootFields: `query { ...F0 }\n${fanOut(LEVELS, 'Query', (next) => `${next} a`)}`,
  aliases: `query { node { ...F0 } }\n${fanOut(LEVELS, 'Node', (next) => `x: node { ${next} } y: a`)}`,
  introspection: `query { node { ...F0 } }\n${fanOut(LEVELS, 'Node', (next) => `node { ${next} } __typename`)}`,
  cost: `query { node { ...F0 } }\n${fanOut(LEVELS, 'Node', (next) => `list(first: 10) { ${next} } a`)}`,
};

/** The document with every selection set counting how often its `selections` are read. */
function instrumented(document: DocumentNode): { document: DocumentNode; reads: () => number; selectionSets: number } {
  let reads = 0;
  let selectionSets = 0;
  const wrap = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(wrap);
    if (!node || typeof node !== 'object') return node;
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) copy[key] = key === 'loc' ? value : wrap(value);
    if ((node as ASTNode).kind !== Kind.SELECTION_SET) return copy;
    selectionSets += 1;
    return new Proxy(copy, {
      get(target, key, receiver) {
        if (key === 'selections') reads += 1;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
  };
  const wrapped = wrap(document) as DocumentNode;
  return { document: wrapped, reads: () => reads, selectionSets };
}

/** Reads of `selections` a rule adds to validation with no rule at all. */
function extraWork(source: string, rule: ValidationRule): { extra: number; selectionSets: number } {
  const baseline = instrumented(parse(source));
  validate(schema, baseline.document, []);
  const probe = instrumented(parse(source));
  validate(schema, probe.document, [rule]);
  return { extra: probe.reads() - baseline.reads(), selectionSets: probe.selectionSets };
}

describe('Validation rules are linear', () => {
  const cases: [string, string, ValidationRule][] = [
    ['MaxDepthRule', attacks.depth!, MaxDepthRule(1000)],
    ['MaxRootFieldsRule', attacks.rootFields!, MaxRootFieldsRule(1000)],
    ['MaxAliasesRule', attacks.aliases!, MaxAliasesRule(1000)],
  ];
  for (const [name, source, rule] of cases) {
    it(`${name} reads each selection set a bounded number of times on ${LEVELS} fragments each spreading the next twice`, () => {
      const { extra, selectionSets } = extraWork(source, rule);
      // A naive walker would read 2^27 selection sets; a linear one a few per selection set.
      expect(extra).toBeLessThanOrEqual(4 * selectionSets);
    });
  }

  it('MaxDepthRule still counts the depth through every fragment', () => {
    // `node` at the root, one `node` per fragment, and the last fragment's `node { a }`: 29 levels.
    const depth = LEVELS + 2;
    const errors = validate(schema, parse(attacks.depth!), [MaxDepthRule(depth - 1)]);
    expect(errors.map((error) => error.extensions.code)).toEqual(['MAX_DEPTH_EXCEEDED']);
    expect(validate(schema, parse(attacks.depth!), [MaxDepthRule(depth)])).toEqual([]);
  });

  it('MaxRootFieldsRule counts distinct root fields through fragments', () => {
    const document = '{ a x: a ...Q } fragment Q on Query { y: a node { a } ...Q2 ...Q2 } fragment Q2 on Query { z: a }';
    expect(validate(schema, parse(document), [MaxRootFieldsRule(5)])).toEqual([]);
    expect(validate(schema, parse(document), [MaxRootFieldsRule(4)]).map((error) => error.extensions.code)).toEqual(['MAX_ROOT_FIELDS_EXCEEDED']);
  });
});

describe('The introspection check is linear', () => {
  it(`reads each selection set a bounded number of times on ${LEVELS} fragments each spreading the next twice`, async () => {
    const { document, reads, selectionSets } = instrumented(parse(attacks.introspection!));
    const plugin = useIntrospection({ mode: 'off', nodeEnv: 'production' });
    await plugin.onOperation!({ document, operation: getOperationAST(document)!, operationName: undefined, variables: {}, principal: ANONYMOUS, schema });
    expect(reads()).toBeLessThanOrEqual(4 * selectionSets);
  });
});

describe('The cost estimate is linear', () => {
  it(`walks each selection set a bounded number of times on ${LEVELS} fragments each spreading the next twice`, () => {
    const { document, reads, selectionSets } = instrumented(parse(attacks.cost!));
    const operation = getOperationAST(document)!;
    const cost = estimateCost({ schema, document, operation, variables: {}, directives: NO_COST_DIRECTIVES, defaultListSize: 20 });
    expect(reads()).toBeLessThanOrEqual(4 * selectionSets);
    // …while the figure itself multiplies: 2 spreads × 10 items per level.
    expect(cost).toBeGreaterThan(1e30);
  });
});

describe('Through the gateway', () => {
  let toy: ToyFederation;
  beforeAll(async () => {
    toy = await startToyFederation({ MAX_DEPTH: '40' });
  });
  afterAll(() => toy?.stop());

  // The toy schema alternates Review.product / Product.reviews: 29 levels, within MAX_DEPTH 40.
  const levels = 27;
  const fragments = Array.from({ length: levels }, (_, level) => {
    const next = level + 1 < levels ? `...F${level + 1} ...F${level + 1}` : level % 2 === 0 ? 'name' : 'stars';
    return level % 2 === 0
      ? `fragment F${level} on Review { product { ${next} } stars }`
      : `fragment F${level} on Product { reviews { ${next} } name }`;
  });
  const attack = `query { topReview { ...F0 } } ${fragments.join(' ')}`;
  const innocent = { query: '{ product(id: "1") { name } }', expected: { product: { name: 'Table' } } };

  it('refuses the fan-out over HTTP with a coded error, no stall, an innocent caller served', async () => {
    // Warm-up: the first request of a process compiles code paths (a one-off delay, not the attack's).
    await Promise.all([graphql(toy.gatewayUrl, attack), graphql(toy.gatewayUrl, innocent.query)]);
    const result = await withoutStall(toy.gatewayUrl, () => innocentAlongside(toy.gatewayUrl, innocent, () => graphql(toy.gatewayUrl, attack)));
    // 28 levels deep is within MAX_DEPTH 40, but its cost (2 spreads per level) is far above any limit.
    expect(result.status).toBe(400);
    expect(errorCodes(result)).toEqual(['COST_LIMIT_EXCEEDED']);
  });

  it('refuses it over graphql-ws and SSE alike', async () => {
    for (const subscribe of [subscribeWs, subscribeSse]) {
      await withoutStall(toy.gatewayUrl, async () => {
        const client = subscribe(toy.gatewayUrl, { query: attack });
        await waitFor(() => client.error !== undefined || client.completed, 'the refusal');
        expect(endingCodes(client)).toEqual(['COST_LIMIT_EXCEEDED']);
        client.dispose();
      });
    }
  });
});
