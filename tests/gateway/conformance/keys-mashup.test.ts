/**
 * federation-gateway-audit "keys-mashup": `A` has four keys in each subgraph, and b's only
 * resolvable one is `id compositeId { two three }`. For `nameInB` (b, `@requires(fields: "name")`,
 * name from a) the planner (2.14.4) re-enters b with `compositeId { one two }`, a key b declares
 * `resolvable: false`: b cannot find the entity, answers null, and the non-null `nameInB` nulls
 * `b`. Stock answers `{ b: null }` with the completion error only in `extensions.valueCompletion`.
 * The engine repairs the plan when compiling it (gateway/execute/engine/keys.ts): b's first fetch
 * also selects the resolvable key, and the representation carries it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { parse } from 'graphql';
import { repairNonResolvableKeys } from '../../../gateway/execute/engine/keys.ts';
import { auditView, expectedView, passes, startConformanceFederation, type AuditExpectation, type ConformanceFederation } from './harness.ts';

const a: Record<string, { id: string; pId: string; name: string; compositeId: { one: string; two: string; three: string } }> = {
  '1': { id: '1', pId: 'a.1.pId', name: 'a.1', compositeId: { one: 'a.1.compositeId.one', two: 'a.1.compositeId.two', three: 'a.1.compositeId.three' } },
  '2': { id: '2', pId: 'a.2.pId', name: 'a.2', compositeId: { one: 'a.2.compositeId.one', two: 'a.2.compositeId.two', three: 'a.2.compositeId.three' } },
};
const b: Record<string, { id: string; a: string[] }> = { '100': { id: '100', a: ['1'] }, '200': { id: '200', a: ['1', '2'] } };
const link = (imports: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: [${imports}])`;

let federation: ConformanceFederation;
beforeAll(async () => {
  federation = await startConformanceFederation([
    {
      name: 'a',
      typeDefs: `${link('"@key"')}
        type A @key(fields: "id", resolvable: true) @key(fields: "pId", resolvable: false) @key(fields: "compositeId { one two }", resolvable: false) @key(fields: "id compositeId { two three }", resolvable: false) {
          id: ID! pId: ID! compositeId: CompositeID! name: String!
        }
        type CompositeID { one: ID! two: ID! three: ID! }`,
      resolvers: {
        A: { __resolveReference: (ref: { id: string }) => (a[ref.id] ? { __typename: 'A', ...a[ref.id] } : null) },
      },
    },
    {
      name: 'b',
      typeDefs: `${link('"@key", "@requires", "@external"')}
        type Query { b: B }
        type B @key(fields: "id") { id: ID! a: [A!]! }
        type A @key(fields: "compositeId { one two }", resolvable: false) @key(fields: "id compositeId { two three }", resolvable: true) @key(fields: "pId", resolvable: false) @key(fields: "id", resolvable: false) {
          id: ID! pId: ID! compositeId: CompositeID! name: String! @external nameInB: String! @requires(fields: "name")
        }
        type CompositeID { one: ID! two: ID! three: ID! }`,
      resolvers: {
        Query: { b: () => ({ __typename: 'B', ...b['100'] }) },
        B: {
          __resolveReference: (ref: { id: string }) => (b[ref.id] ? { __typename: 'B', ...b[ref.id] } : null),
          a: ({ a: ids }: { a: string[] }) => ids.map((id) => (a[id] ? { __typename: 'A', id, pId: a[id].pId, compositeId: a[id].compositeId } : null)),
        },
        A: {
          __resolveReference: (ref: { id: string; name?: string }) => {
            const found = a[ref.id];
            if (!found) return null;
            return { __typename: 'A', id: found.id, pId: found.pId, compositeId: found.compositeId, ...(ref.name ? { name: ref.name } : {}) };
          },
          nameInB: ({ name }: { name?: string }) => {
            if (!name) throw new Error('A.name was not provided');
            return `b.a.nameInB ${name}`;
          },
        },
      },
    },
  ]);
}, 60_000);
afterAll(async () => {
  await federation?.close();
});

const QUERY = '{ b { id a { id name nameInB } } }';
const EXPECTED: AuditExpectation = { data: { b: { id: '100', a: [{ id: '1', name: 'a.1', nameInB: 'b.a.nameInB a.1' }] } } };

describe('keys-mashup', () => {
  it('re-enters b with a key b can resolve (stock: a non-null field null, b null, no error)', async () => {
    // The planner's choice: b's non-resolvable `compositeId { one two }`.
    expect(federation.plan(QUERY)).toContain('__typename\n            name\n            compositeId {\n              one\n              two\n            }\n          }\n        } =>');
    const { stock, engine, engineRequests } = await federation.both(QUERY);
    expect(auditView(engine, EXPECTED)).toEqual(expectedView(EXPECTED));
    expect(engine.errors).toBeUndefined();
    // b's first fetch also selects its resolvable key; the representation sent back to b carries it.
    expect(engineRequests[0]).toMatchObject({ subgraph: 'b', query: '{b{id a{__typename id compositeId{one two}...on A{id compositeId{two three}}}}}' });
    expect(engineRequests[2]).toMatchObject({
      subgraph: 'b',
      variables: { representations: [{ __typename: 'A', name: 'a.1', compositeId: { one: 'a.1.compositeId.one', two: 'a.1.compositeId.two', three: 'a.1.compositeId.three' }, id: '1' }] },
    });
    // Stock fails the case, and says so only in extensions.
    expect(passes(stock, EXPECTED)).toBe(false);
    expect(stock.data).toEqual({ b: null });
    expect(stock.errors).toBeUndefined();
    expect(stock.extensions?.valueCompletion).toMatchObject([{ message: 'Cannot return null for non-nullable field A.nameInB.', path: ['b', 'a', 0, 'nameInB'] }]);
  });

  it('a plan whose representations carry a resolvable key is left as it is (the same object)', () => {
    const supergraph = Supergraph.build(federation.supergraphSdl);
    const planner = new QueryPlanner(supergraph);
    const plan = planner.buildQueryPlan(operationFromDocument(supergraph.apiSchema(), parse('{ b { id a { id name } } }')));
    const node = plan.node;
    if (!node || node.kind === 'Subscription') throw new Error('expected a query plan');
    expect(repairNonResolvableKeys(node, supergraph.schema.toGraphQLJSSchema())).toBe(node);
  });
});
