/**
 * federation-gateway-audit "non-resolvable-interface-object": subgraph a owns `interface Node
 * @key(fields: "id")` with no implementation anywhere, subgraph b only a non-resolvable
 * `Node @interfaceObject` adding `field`. `{ a { field } }` cannot be answered: the planner plans
 * nothing (`QueryPlan {}`), stock @apollo/gateway answers `{ a: null }` with no error, the audit
 * expects the request to fail (`data: null`, errors). The engine refuses operations whose root
 * fields the planner left out (gateway/execute/engine/coverage.ts). The other six queries of the
 * case pass on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditView, expectedView, passes, startConformanceFederation, type AuditExpectation, type ConformanceFederation } from './harness.ts';

const products = [{ __typename: 'Bread', id: 'p1', name: 'Bread' }];
const link = (imports: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [${imports}])`;

let federation: ConformanceFederation;

beforeAll(async () => {
  federation = await startConformanceFederation([
    {
      name: 'a',
      typeDefs: `${link('"@key", "@interfaceObject"')}
        interface Node @key(fields: "id") { id: ID! }
        type Product @key(fields: "id", resolvable: false) @interfaceObject { id: ID! }
        type Query { a: Node product: Product! }`,
      resolvers: {
        Query: { a: () => ({ __typename: 'Node', id: 'n1' }), product: () => ({ __typename: 'Product', id: products[0]!.id }) },
        Node: {
          __resolveReference: () => {
            throw new Error('Not resolvable as it is an interface object');
          },
        },
      },
    },
    {
      name: 'b',
      typeDefs: `${link('"@key", "@interfaceObject"')}
        type Node @key(fields: "id", resolvable: false) @interfaceObject { id: ID! field: String }
        interface Product @key(fields: "id") { id: ID! }
        type Bread implements Product @key(fields: "id") { id: ID! name: String! }
        type Query { b: Node }`,
      resolvers: {
        Query: { b: () => ({ __typename: 'Node', id: 'n1' }) },
        Node: {
          __resolveReference: () => {
            throw new Error('Not resolvable');
          },
          field: () => 'foo',
        },
        Product: { __resolveReference: (key: { id: string }) => products.find((product) => product.id === key.id) },
        Bread: { __resolveReference: (key: { id: string }) => products.find((product) => product.id === key.id) },
      },
    },
  ]);
}, 60_000);

afterAll(async () => {
  await federation?.close();
});

const CASES: { query: string; expected: AuditExpectation }[] = [
  { query: '{ b { id field } }', expected: { data: { b: { id: 'n1', field: 'foo' } } } },
  { query: '{ a { field } }', expected: { data: null, errors: true } },
  { query: '{ b { id } }', expected: { data: { b: { id: 'n1' } } } },
  { query: '{ a { id } }', expected: { data: { a: null }, errors: true } },
  { query: '{ product { id } }', expected: { data: { product: { id: 'p1' } } } },
  { query: '{ product { id name } }', expected: { errors: true } },
  { query: '{ product { ... on Bread { id } } }', expected: { data: { product: { id: 'p1' } } } },
];

describe('non-resolvable-interface-object', () => {
  it('a root field the planner cannot plan fails the answer (stock: `a: null`, no error)', async () => {
    const { query, expected } = CASES[1]!;
    expect(federation.plan(query)).toBe('QueryPlan {}');
    const { stock, engine, engineRequests } = await federation.both(query);
    expect(auditView(engine, expected)).toEqual(expectedView(expected));
    expect(engine.errors?.map((error) => error.extensions?.code)).toEqual(['UNRESOLVABLE_FIELD']);
    expect(engineRequests).toEqual([]);
    // Stock fails the case: a null that looks like an answer.
    expect(stock).toEqual({ data: { a: null } });
    expect(passes(stock, expected)).toBe(false);
  });

  it('only the unplannable root field decides: a plannable sibling does not save the answer', async () => {
    const { stock, engine } = await federation.both('{ b { id } a { field } }');
    expect(engine.data).toBeNull();
    expect(engine.errors?.map((error) => error.extensions?.field)).toEqual(['a']);
    expect(stock.data).toEqual({ b: { id: 'n1' }, a: null });
  });

  it.each(CASES.filter((_, index) => index !== 1))('$query: as the audit expects, on both', async ({ query, expected }) => {
    const { stock, engine } = await federation.both(query);
    expect(auditView(engine, expected)).toEqual(expectedView(expected));
    expect(auditView(stock, expected)).toEqual(expectedView(expected));
  });
});
