/**
 * Entity resolution (`_entities`, what the gateway sends for every Commune another subgraph
 * returns) against an API with no batch endpoint: a batch costs at most one call per département,
 * duplicates cost nothing, and once a département's list is cached its communes cost no call at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idfCommunes } from '../../legacy/kit/index.ts';
import { startGeoStack, type GeoStack, type GeoSubgraph } from './harness.ts';

const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Commune { code name population }
    ... on Departement { code name }
    ... on Region { code name }
  }
}`;

type Entity = { code: string; name: string } | null;

const communeRef = (code: string) => ({ __typename: 'Commune', code });
const codesOf = (departement: string) => idfCommunes.filter((c) => c.departement === departement).map((c) => c.code);

let stack: GeoStack;
beforeAll(async () => {
  stack = await startGeoStack();
});
afterAll(() => stack?.stop());

async function resolve(geo: GeoSubgraph, representations: object[]): Promise<Entity[]> {
  const { body } = await geo.query<{ _entities: Entity[] }>(ENTITIES, { representations });
  expect(body.errors).toBeUndefined();
  return body.data!._entities;
}

describe('Cold cache', () => {
  it('resolves 40 representations across the région with at most one call per département, duplicates de-duplicated', async () => {
    const geo = await stack.subgraph();
    // Paris twice, five communes of each other département, three repeats: 40 representations, 36 codes.
    const others = ['77', '78', '91', '92', '93', '94', '95'].flatMap((d) => codesOf(d).slice(0, 5));
    const codes = ['75056', '75056', ...others, ...others.slice(0, 3)];
    expect(codes).toHaveLength(40);

    await stack.resetCalls();
    const entities = await resolve(geo, codes.map(communeRef));
    expect(entities.map((e) => e?.code)).toEqual(codes);

    const calls = await stack.calls();
    // Paris alone in its département is asked by code, once despite appearing twice; every other
    // département is one list call, whatever the number of its communes in the batch.
    expect(calls.byRoute).toEqual({ 'GET /communes/:code': 1, 'GET /departements/:code/communes': 7 });
    expect(calls.total).toBeLessThanOrEqual(8);

    await stack.resetCalls();
    await resolve(geo, codes.map(communeRef));
    expect((await stack.calls()).total).toBe(0);
  });

  it('shares one call between concurrent requests for the same commune', async () => {
    const geo = await stack.subgraph();
    await stack.resetCalls();
    const results = await Promise.all(Array.from({ length: 5 }, () => geo.query('{ commune(code: "93031") { name } }')));
    expect(results.map((r) => r.body.data)).toEqual(Array.from({ length: 5 }, () => ({ commune: { name: 'Épinay-sur-Seine' } })));
    expect((await stack.calls()).byRoute).toEqual({ 'GET /communes/:code': 1 });
  });
});

describe('Warm cache', () => {
  it('resolves the communes of a département whose list is cached without calling the geo API', async () => {
    const geo = await stack.subgraph();
    await stack.resetCalls();
    const listed = await geo.query<{ departement: { communes: { code: string }[] } }>('{ departement(code: "93") { communes { code } } }');
    expect(listed.body.data!.departement.communes).toHaveLength(39);
    expect((await stack.calls()).byRoute).toEqual({ 'GET /departements': 1, 'GET /departements/:code/communes': 1 });

    // The 39 communes of 93 and one repeat: the list call primed each commune in the cache.
    const codes = [...codesOf('93'), '93066'];
    await stack.resetCalls();
    const entities = await resolve(geo, codes.map(communeRef));
    expect(entities.every((e) => e !== null)).toBe(true);
    const single = await geo.query<{ commune: { name: string; departement: { name: string } } }>(
      '{ commune(code: "93066") { name departement { name } } }',
    );
    expect(single.body.data!.commune).toEqual({ name: 'Saint-Denis', departement: { name: 'Seine-Saint-Denis' } });
    expect((await stack.calls()).total).toBe(0);
  });

  it('serves any commune without a call once a name search has loaded the whole list', async () => {
    const geo = await stack.subgraph();
    await geo.query('{ communes(filter: { nameStartsWith: "epinay" }) { totalCount } }');
    await stack.resetCalls();
    const codes = idfCommunes.filter((_, i) => i % 32 === 0).map((c) => c.code);
    expect(codes.length).toBeGreaterThanOrEqual(40);
    await resolve(geo, codes.map(communeRef));
    expect((await stack.calls()).total).toBe(0);
  });
});

describe('Other entities and unknown keys', () => {
  it('resolves Departement and Region references', async () => {
    const geo = await stack.subgraph();
    const entities = await resolve(geo, [
      { __typename: 'Departement', code: '93' },
      { __typename: 'Region', code: '11' },
    ]);
    expect(entities).toEqual([
      { code: '93', name: 'Seine-Saint-Denis' },
      { code: '11', name: 'Île-de-France' },
    ]);
  });

  it('resolves unknown or malformed keys to null; malformed ones cost no call', async () => {
    const geo = await stack.subgraph();
    await stack.resetCalls();
    const entities = await resolve(geo, [communeRef('13055'), communeRef('abc'), { __typename: 'Departement', code: '13' }]);
    expect(entities).toEqual([null, null, null]);
    expect((await stack.calls()).byRoute).toEqual({ 'GET /communes/:code': 1, 'GET /departements': 1 });
  });
});
