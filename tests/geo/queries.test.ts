/**
 * The geo subgraph's root fields: territories by code, the commune search with its filters and
 * Relay pagination, and argument validation (malformed codes are BAD_USER_INPUT naming the
 * argument, unknown codes are null).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes } from '../harness/graphql.ts';
import { startGeoStack, type GeoStack, type GeoSubgraph } from './harness.ts';

interface CommunePage {
  communes: {
    totalCount: number;
    edges: { cursor: string; node: { code: string; name: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  };
}

const SEARCH = `query Search($filter: CommuneFilter, $first: Int, $after: String) {
  communes(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { code name } } pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`;

let stack: GeoStack;
let geo: GeoSubgraph;
beforeAll(async () => {
  stack = await startGeoStack();
  geo = await stack.subgraph();
});
afterAll(() => stack?.stop());

const search = (variables: Record<string, unknown>) => geo.query<CommunePage>(SEARCH, variables);
const codesOf = (page: CommunePage | null | undefined) => page?.communes.edges.map((e) => e.node.code) ?? [];

describe('Territories by code', () => {
  it('lists the région with its départements and its population', async () => {
    const { body } = await geo.query<{ regions: { code: string; name: string; population: number; departements: { code: string }[] }[] }>(
      '{ regions { code name population departements { code } } }',
    );
    expect(body.errors).toBeUndefined();
    const [idf] = body.data!.regions;
    expect(idf).toMatchObject({ code: '11', name: 'Île-de-France' });
    expect(idf!.departements.map((d) => d.code)).toEqual(['75', '77', '78', '91', '92', '93', '94', '95']);
    expect(idf!.population).toBeGreaterThan(12_000_000);
  });

  it('resolves Seine-Saint-Denis with its 39 communes, their count and summed population', async () => {
    const { body } = await geo.query<{
      departement: { name: string; communeCount: number; population: number; region: { code: string }; communes: { code: string; population: number }[] };
    }>('{ departement(code: "93") { name communeCount population region { code } communes { code population } } }');
    const dep = body.data!.departement;
    expect(dep).toMatchObject({ name: 'Seine-Saint-Denis', communeCount: 39, region: { code: '11' } });
    expect(dep.communes).toHaveLength(39);
    expect(dep.population).toBe(dep.communes.reduce((sum, c) => sum + c.population, 0));
  });

  it('resolves Paris (75056) with its postal codes, département, région and EPCI', async () => {
    const { body } = await geo.query<{ commune: Record<string, unknown> & { postalCodes: string[] } }>(
      '{ commune(code: "75056") { code name population postalCodes departement { code name } region { name } epci { code name } center { latitude longitude } } }',
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.commune).toMatchObject({
      code: '75056',
      name: 'Paris',
      departement: { code: '75', name: 'Paris' },
      region: { name: 'Île-de-France' },
      epci: { code: '200054781', name: 'Métropole du Grand Paris' },
      center: null,
    });
    expect(body.data!.commune.postalCodes).toEqual(expect.arrayContaining(['75001', '75116', '75020']));
  });

  it('resolves well-formed but unknown codes to null, without errors', async () => {
    const { body } = await geo.query('{ region(code: "84") { name } departement(code: "13") { name } commune(code: "13055") { name } }');
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ region: null, departement: null, commune: null });
  });
});

describe('Commune search', () => {
  it('finds Épinay-sur-Seine and the other Épinay from "epinay", ignoring accents and case', async () => {
    for (const nameStartsWith of ['epinay', 'ÉPINAY', 'Epinay-']) {
      const { body } = await search({ filter: { nameStartsWith } });
      expect(body.data!.communes.totalCount).toBe(4);
      expect(codesOf(body.data)).toEqual(['91215', '91216', '93031', '95214']);
    }
  });

  it('treats hyphens and spaces alike in names', async () => {
    const { body } = await search({ filter: { nameStartsWith: 'saint denis' } });
    expect(body.data!.communes.edges.map((e) => e.node.name)).toEqual(['Saint-Denis-lès-Rebais', 'Saint-Denis']);
  });

  it('filters by postal code, alone or with a département', async () => {
    expect(codesOf((await search({ filter: { postalCode: '93800' } })).body.data)).toEqual(['93031']);
    expect((await search({ filter: { postalCode: '77760' }, first: 100 })).body.data!.communes.totalCount).toBe(16);
    expect((await search({ filter: { postalCode: '77760', departement: '93' } })).body.data!.communes.totalCount).toBe(0);
  });

  it('combines département and name conditions', async () => {
    expect(codesOf((await search({ filter: { departement: '91', nameStartsWith: 'épinay' } })).body.data)).toEqual(['91215', '91216']);
  });

  it('answers an unknown département with an empty connection', async () => {
    const { body } = await search({ filter: { departement: '13' } });
    expect(body.data!.communes).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false } });
  });
});

describe('Pagination', () => {
  it('walks the 39 communes of 93 page by page with cursors and an exact totalCount', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const { body } = await search({ filter: { departement: '93' }, first: 10, after });
      const page = body.data!.communes;
      expect(page.totalCount).toBe(39);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...codesOf(body.data));
      pages++;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(4);
    expect(seen).toHaveLength(39);
    expect(new Set(seen).size).toBe(39);
    expect(seen).toEqual([...seen].sort());
  });

  it('defaults to 20 communes a page', async () => {
    const { body } = await search({ filter: { departement: '77' } });
    expect(body.data!.communes.totalCount).toBe(507);
    expect(body.data!.communes.edges).toHaveLength(20);
  });

  it('refuses `first` above MAX_PAGE_SIZE with BAD_USER_INPUT naming `first`', async () => {
    const { body } = await search({ first: 101 });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
  });

  it('refuses a cursor it did not issue with BAD_USER_INPUT naming `after`', async () => {
    const { body } = await search({ after: 'not-a-cursor' });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });
});

describe('Malformed codes', () => {
  it.each([
    ['commune(code: "7505") { name }', 'code'],
    ['commune(code: "75056; DROP") { name }', 'code'],
    ['departement(code: "Seine") { name }', 'code'],
    ['region(code: "1") { name }', 'code'],
    ['communes(filter: { departement: "930" }) { totalCount }', 'filter.departement'],
    ['communes(filter: { postalCode: "93 800" }) { totalCount }', 'filter.postalCode'],
  ])('rejects %s with BAD_USER_INPUT naming %s, without calling the geo API', async (selection, argument) => {
    await stack.resetCalls();
    const result = await geo.query(`{ ${selection} }`);
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.body.errors?.[0]?.extensions?.argument).toBe(argument);
    expect((await stack.calls()).total).toBe(0);
  });
});
