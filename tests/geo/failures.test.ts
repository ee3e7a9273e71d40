/**
 * When the geodata API is down (503) or unreachable, the geo subgraph answers with a GraphQL error
 * coded LEGACY_UNAVAILABLE naming the system, never a crash, and does not cache the failure.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGeoStack, type GeoStack, type GeoSubgraph } from './harness.ts';

let stack: GeoStack;
let geo: GeoSubgraph;
beforeAll(async () => {
  stack = await startGeoStack();
  geo = await stack.subgraph();
});
afterAll(() => stack?.stop());

const UNAVAILABLE = { code: 'LEGACY_UNAVAILABLE', system: 'geo-api' };

describe('Geo API answering 503', () => {
  beforeAll(() => stack.setFailureRate(1));
  afterAll(() => stack.setFailureRate(0));

  it('turns a failed lookup into LEGACY_UNAVAILABLE with system "geo-api" and a null field', async () => {
    const result = await geo.query('{ commune(code: "75056") { name } }');
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ commune: null });
    expect(result.body.errors?.[0]?.extensions).toMatchObject(UNAVAILABLE);
    expect(result.body.errors?.[0]?.path).toEqual(['commune']);
  });

  it('fails a non-null connection with the same error instead of crashing', async () => {
    const result = await geo.query('{ communes(filter: { nameStartsWith: "epinay" }) { totalCount } }');
    expect(result.body.data).toBeNull();
    expect(result.body.errors?.[0]?.extensions).toMatchObject(UNAVAILABLE);
    expect(JSON.stringify(result.body)).not.toContain('stacktrace');
  });

  it('reports the failure on each entity the gateway asked for', async () => {
    const result = await geo.query('query($r: [_Any!]!) { _entities(representations: $r) { ... on Commune { name } } }', {
      r: [{ __typename: 'Commune', code: '93031' }],
    });
    expect(result.body.errors?.[0]?.extensions).toMatchObject(UNAVAILABLE);
  });

  it('keeps serving: the subgraph stays healthy', async () => {
    const health = await fetch(geo.url.replace(/\/graphql$/, '/health'));
    expect(health.status).toBe(200);
  });
});

describe('Recovery', () => {
  it('does not cache a failure: the next request after the API recovers succeeds', async () => {
    await stack.setFailureRate(1);
    expect((await geo.query('{ departement(code: "93") { name } }')).body.errors?.[0]?.extensions).toMatchObject(UNAVAILABLE);
    await stack.setFailureRate(0);
    expect((await geo.query('{ departement(code: "93") { name } }')).body).toEqual({ data: { departement: { name: 'Seine-Saint-Denis' } } });
  });
});

describe('Geo API unreachable', () => {
  it('answers LEGACY_UNAVAILABLE naming "geo-api" when nothing listens at GEO_API_URL', async () => {
    const unreachable = await stack.subgraph({ GEO_API_URL: `http://127.0.0.1:${await closedPort()}` });
    const result = await unreachable.query('{ regions { name } }');
    expect(result.body.data).toBeNull();
    expect(result.body.errors?.[0]?.extensions).toMatchObject(UNAVAILABLE);
  });
});

/** A port that was free a moment ago and has nobody listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
