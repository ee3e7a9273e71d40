/**
 * The heavy benchmark's two operations. "heavy" is The Guild's federation benchmark query: users
 * → reviews → product → reviews → author → reviews → product, and top products → reviews → author
 * → reviews → product, every level an entity fetch into another subgraph (all four are called,
 * inventory with `@requires`), the same few products coming back again and again. "trivial" reads
 * one subgraph only: the gateway's fixed cost per request.
 */
import type { BenchQuery } from '../queries.ts';

const HEAVY = /* GraphQL */ `
  fragment User on User { id username name }
  fragment Review on Review { id body }
  fragment Product on Product { inStock name price shippingEstimate upc weight }
  query Heavy {
    __typename
    users {
      ...User
      reviews {
        ...Review
        product {
          ...Product
          reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
        }
      }
    }
    topProducts {
      ...Product
      reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
    }
  }`;

export const heavyQuery: BenchQuery = { name: 'heavy', body: JSON.stringify({ query: HEAVY }) };

export const trivialQuery: BenchQuery = { name: 'trivial', body: JSON.stringify({ query: '{ topProducts { upc name } }' }) };

export const HEAVY_QUERIES = { heavy: heavyQuery, trivial: trivialQuery } as const;
export type HeavyQueryName = keyof typeof HEAVY_QUERIES;
