/**
 * The lycées subgraph's root fields: lookups, filters, connection paging and argument validation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPages } from '../../subgraphs/lycees/loaders.ts';
import { db, startLycees, type LyceesHarness } from './harness.ts';

let h: LyceesHarness;
beforeAll(async () => {
  h = await startLycees();
});
afterAll(() => h.close());

const LYCEE = /* GraphQL */ `
  query ($uai: String!) {
    lycee(uai: $uai) {
      uai name kind sector students
      address { street postalCode city }
      commune { code }
      equipment { kind quantity year }
      ent { accounts { students teachers parents } activeLast30Days { students teachers parents } extractedOn }
      connectivity { bandwidthMbps fibre wifiCoveragePercent measuredOn }
    }
  }
`;

const LYCEES = /* GraphQL */ `
  query ($filter: LyceeFilter, $first: Int, $after: String) {
    lycees(filter: $filter, first: $first, after: $after) {
      totalCount
      edges { cursor node { uai kind sector commune { code } } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

interface Page {
  totalCount: number;
  edges: { cursor: string; node: { uai: string; kind: string; sector: string; commune: { code: string } } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

async function page(variables: Record<string, unknown>): Promise<Page> {
  const response = await h.query(LYCEES, variables);
  expect(response.errors).toBeUndefined();
  return response.data!.lycees as Page;
}

describe('lycee(uai)', () => {
  it('returns a lycée in English terms, with its equipment, ENT figures and connectivity', async () => {
    const e = db.etablissements.find((x) => x.secteur === 'PU' && x.type_etablissement === 'LPO')!;
    const response = await h.query(LYCEE, { uai: e.uai });
    expect(response.errors).toBeUndefined();
    const ent = db.ent.get(e.uai)!;
    const net = db.connectivite.get(e.uai)!;
    expect(response.data!.lycee).toEqual({
      uai: e.uai,
      name: e.nom,
      kind: 'MULTI_PURPOSE',
      sector: 'PUBLIC',
      students: e.effectif,
      address: { street: e.adresse, postalCode: e.code_postal, city: e.libelle_commune },
      commune: { code: e.code_commune },
      equipment: db.equipements.get(e.uai)!.equipements.map((line) => ({
        kind: expect.any(String),
        quantity: line.quantite,
        year: line.annee_acquisition,
      })),
      ent: {
        accounts: { students: ent.comptes_eleves, teachers: ent.comptes_enseignants, parents: ent.comptes_parents },
        activeLast30Days: { students: ent.actifs_30j_eleves, teachers: ent.actifs_30j_enseignants, parents: ent.actifs_30j_parents },
        extractedOn: ent.date_extraction,
      },
      connectivity: { bandwidthMbps: net.debit_mbps, fibre: net.fibre, wifiCoveragePercent: net.couverture_wifi_pct, measuredOn: net.date_mesure },
    });
    const kinds = (response.data!.lycee as { equipment: { kind: string }[] }).equipment.map((x) => x.kind);
    expect(kinds).toContain('LAPTOP');
    expect(kinds).not.toContain('OTHER');
  });

  it('returns null ENT and connectivity for a private lycée outside the regional network', async () => {
    const e = db.etablissements.find((x) => !db.ent.has(x.uai) && !db.connectivite.has(x.uai))!;
    const response = await h.query(LYCEE, { uai: e.uai });
    expect(response.data!.lycee).toMatchObject({ uai: e.uai, sector: 'PRIVATE', ent: null, connectivity: null });
  });

  it('returns null for a well-formed unknown UAI', async () => {
    const response = await h.query(LYCEE, { uai: '0000000A' });
    expect(response.errors).toBeUndefined();
    expect(response.data!.lycee).toBeNull();
  });

  it('refuses a malformed UAI with BAD_USER_INPUT naming the argument', async () => {
    const response = await h.query(LYCEE, { uai: '093-0124' });
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'uai' });
  });
});

describe('lycees(filter, first, after)', () => {
  it('filters by département, kind and sector, with totalCount over all pages', async () => {
    const expected = db.etablissements.filter((e) => e.code_departement === '93' && e.type_etablissement === 'LGT' && e.secteur === 'PU');
    const result = await page({ filter: { departement: '93', kind: 'GENERAL_TECHNOLOGICAL', sector: 'PUBLIC' }, first: 5 });
    expect(result.totalCount).toBe(expected.length);
    expect(result.edges.map((e) => e.node.uai)).toEqual(expected.slice(0, 5).map((e) => e.uai));
    expect(result.edges.every((e) => e.node.kind === 'GENERAL_TECHNOLOGICAL' && e.node.sector === 'PUBLIC')).toBe(true);
  });

  it('filters by commune; an unknown commune gives an empty connection', async () => {
    const paris = await page({ filter: { commune: '75056' }, first: 3 });
    expect(paris.totalCount).toBe(db.byCommune.get('75056')!.length);
    expect(paris.edges.every((e) => e.node.commune.code === '75056')).toBe(true);

    const none = await page({ filter: { commune: '77001' } });
    expect(none).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
  });

  it('walks every lycée of a département with unaligned pages and finds them all, in order', async () => {
    const expected = db.etablissements.filter((e) => e.code_departement === '92').map((e) => e.uai);
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const result: Page = await page({ filter: { departement: '92' }, first: 7, after });
      seen.push(...result.edges.map((e) => e.node.uai));
      expect(result.totalCount).toBe(expected.length);
      expect(result.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('fetches one API page when the window fits a page size, two at most otherwise', async () => {
    const cursorAt = async (offset: number) => (await page({ first: offset + 1 })).pageInfo.endCursor;
    const after = await cursorAt(4); // window starts at offset 5
    await h.resetCalls();
    const result = await page({ first: 20, after });
    expect(result.edges.map((e) => e.node.uai)).toEqual(db.etablissements.slice(5, 25).map((e) => e.uai));
    expect((await h.calls()).byRoute['GET /api/v1/etablissements']).toBe(1);

    const late = await cursorAt(94); // offset 95, 100 items: no single page holds them
    await h.resetCalls();
    const big = await page({ first: 100, after: late });
    expect(big.edges.map((e) => e.node.uai)).toEqual(db.etablissements.slice(95, 195).map((e) => e.uai));
    expect((await h.calls()).byRoute['GET /api/v1/etablissements']).toBe(2);
  });

  it('answers first: 0 with only the total', async () => {
    const result = await page({ first: 0 });
    expect(result.totalCount).toBe(db.etablissements.length);
    expect(result.edges).toEqual([]);
  });

  it('refuses first above MAX_PAGE_SIZE, a foreign cursor and malformed filter codes with BAD_USER_INPUT', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ first: 101 }, 'first'],
      [{ first: -1 }, 'first'],
      [{ after: 'bm90LWEtY3Vyc29y' }, 'after'],
      [{ filter: { commune: '750' } }, 'filter.commune'],
      [{ filter: { departement: 'Seine' } }, 'filter.departement'],
    ];
    for (const [variables, argument] of cases) {
      const response = await h.query(LYCEES, variables);
      expect(response.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
  });
});

describe('apiPages', () => {
  it('picks one page whose size holds the window, else covering pages of 100', () => {
    expect(apiPages(0, 20)).toEqual({ perPage: 20, pages: [1] });
    expect(apiPages(40, 20)).toEqual({ perPage: 20, pages: [3] });
    expect(apiPages(5, 20)).toEqual({ perPage: 25, pages: [1] });
    expect(apiPages(95, 100)).toEqual({ perPage: 100, pages: [1, 2] });
    expect(apiPages(150, 250)).toEqual({ perPage: 100, pages: [2, 3, 4] });
  });
});
