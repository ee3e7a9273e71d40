/**
 * The engine sends each distinct representation once and fans its answer back to every entity
 * that stands for it (run.ts `prepareFlat`, `loadEntities`). An error the subgraph reports at one
 * representation must then reach the answer at the path of EVERY entity that shares it, in the
 * order stock @apollo/gateway (which sends every entity) reports them; an entity the subgraph
 * answers null stays without its fields everywhere. Checked against stock on a toy federation
 * where the same products come back under several reviews.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { startConformanceFederation, type ConformanceFederation } from './conformance/harness.ts';

const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';
const REVIEWS = [
  { id: 'r1', upc: 'p1' },
  { id: 'r2', upc: 'p2' },
  { id: 'r3', upc: 'p1' },
  { id: 'r4', upc: 'p3' },
  { id: 'r5', upc: 'p2' },
  { id: 'r6', upc: 'p1' },
];

let federation: ConformanceFederation;

beforeAll(async () => {
  federation = await startConformanceFederation([
    {
      name: 'reviews',
      typeDefs: `${link}
        type Query { reviews: [Review] }
        type Review { id: ID! product: Product }
        type Product @key(fields: "upc") { upc: ID! }`,
      resolvers: { Query: { reviews: () => REVIEWS.map((review) => ({ id: review.id, product: { upc: review.upc } })) } },
    },
    {
      name: 'products',
      typeDefs: `${link}
        type Product @key(fields: "upc") { upc: ID! name: String price: Int }`,
      resolvers: {
        Product: {
          __resolveReference: (reference: { upc: string }) => (reference.upc === 'p3' ? null : { upc: reference.upc, name: `Product ${reference.upc}` }),
          price: (product: { upc: string }) => {
            if (product.upc === 'p2') throw new GraphQLError('price unavailable', { extensions: { code: 'PRICE_UNAVAILABLE' } });
            return 10;
          },
        },
      },
    },
  ]);
}, 60_000);

afterAll(async () => {
  await federation?.close();
});

describe('errors at a representation shared by several entities', () => {
  it('reach every entity that shares it, as stock reports them, with each representation sent once', async () => {
    const { stock, engine, engineRequests } = await federation.both('{ reviews { id product { upc name price } } }');
    expect(engine).toEqual(stock);
    // p2's error, once per review of p2 (r2 and r5), at each one's path.
    expect(engine.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['reviews', 1, 'product', 'price'], 'PRICE_UNAVAILABLE'],
      [['reviews', 4, 'product', 'price'], 'PRICE_UNAVAILABLE'],
    ]);
    const toProducts = engineRequests.filter((request) => request.subgraph === 'products');
    expect(toProducts).toHaveLength(1);
    expect(toProducts[0]!.variables.representations).toEqual([
      { __typename: 'Product', upc: 'p1' },
      { __typename: 'Product', upc: 'p2' },
      { __typename: 'Product', upc: 'p3' },
    ]);
  });
});
