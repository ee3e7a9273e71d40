/**
 * Bad input and upstream failures become GraphQL errors with catalogue codes: never a crash, a
 * stack trace or a hang; when one subgraph fails, the rest of the query still returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation({ SUBGRAPH_TIMEOUT_MS: '300' });
});
afterAll(() => toy?.stop());

describe('HTTP-level input', () => {
  it('answers invalid JSON with BAD_REQUEST', async () => {
    const response = await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });

  it('answers a method other than GET/POST with METHOD_NOT_ALLOWED', async () => {
    const response = await fetch(toy.gatewayUrl, { method: 'PUT', body: '{}' });
    expect(response.status).toBe(405);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers a syntax error with GRAPHQL_PARSE_FAILED and a schema mismatch with GRAPHQL_VALIDATION_FAILED', async () => {
    expect(errorCodes(await graphql(toy.gatewayUrl, '{ product(id: "1") { name '))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(errorCodes(await graphql(toy.gatewayUrl, '{ product(id: "1") { colour } }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('never sends a stack trace', async () => {
    const result = await graphql(toy.gatewayUrl, '{ product(id: "1") { colour } }');
    expect(JSON.stringify(result.body)).not.toContain('stacktrace');
  });
});

describe('Upstream failures', () => {
  it('returns the other subgraphs’ data and GATEWAY_TIMEOUT naming the slow subgraph', async () => {
    toy.setReviewsDelay(1_000);
    try {
      const result = await graphql<{ product: { name: string; reviews: unknown } | null }>(
        toy.gatewayUrl,
        '{ product(id: "1") { name reviews { stars } } }',
      );
      expect(result.body.data?.product?.name).toBe('Table');
      expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT', subgraph: 'reviews' });
    } finally {
      toy.setReviewsDelay(0);
    }
  });

  it('returns the other subgraphs’ data and SUBGRAPH_UNAVAILABLE naming the subgraph that is down', async () => {
    await toy.reviews.close();
    const result = await graphql<{ product: { name: string } | null }>(toy.gatewayUrl, '{ product(id: "1") { name reviews { stars } } }');
    expect(result.body.data?.product?.name).toBe('Table');
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'reviews' });
    expect(JSON.stringify(result.body)).not.toContain('stacktrace');

    const health = await fetch(toy.gatewayUrl.replace('/graphql', '/health/subgraphs'));
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', subgraphs: { products: 'ok', reviews: 'down' } });
  });
});
