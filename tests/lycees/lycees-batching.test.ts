/**
 * Batching: entity resolution costs one API call per batch endpoint, whatever the number of
 * representations, and never uses the paginated list.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { idfCommunes } from '../../legacy/kit/index.ts';
import { createLyceesConnector } from '../../subgraphs/lycees/connector.ts';
import { db, startLycees, type LyceesHarness } from './harness.ts';

let h: LyceesHarness;
beforeAll(async () => {
  h = await startLycees();
});
afterAll(() => h.close());
beforeEach(() => h.resetCalls());

const ENTITIES = /* GraphQL */ `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Lycee { uai name students equipment { kind quantity } ent { accounts { students } } connectivity { fibre } }
      ... on Commune { code lycees { uai name commune { code } equipment { kind } } }
    }
  }
`;

describe('_entities', () => {
  it('resolves 50 lycées with equipment, ENT and connectivity in one call per batch endpoint', async () => {
    const lycees = db.etablissements.filter((_, i) => i % 7 === 0).slice(0, 50);
    const response = await h.query(ENTITIES, { representations: lycees.map((l) => ({ __typename: 'Lycee', uai: l.uai })) });
    expect(response.errors).toBeUndefined();
    const entities = response.data!._entities as { uai: string; students: number; equipment: unknown[] }[];
    expect(entities.map((e) => e.uai)).toEqual(lycees.map((l) => l.uai));
    expect(entities.map((e) => e.students)).toEqual(lycees.map((l) => l.effectif));

    expect(await h.calls()).toEqual({
      total: 4,
      byRoute: {
        'POST /api/v1/etablissements/batch': 1,
        'POST /api/v1/equipements/batch': 1,
        'POST /api/v1/ent/batch': 1,
        'POST /api/v1/connectivite/batch': 1,
      },
    });
  });

  it('resolves unknown and malformed UAIs in representations to null without failing the others', async () => {
    const known = db.etablissements[0]!.uai;
    const response = await h.query(ENTITIES, {
      representations: [
        { __typename: 'Lycee', uai: known },
        { __typename: 'Lycee', uai: '0000000A' },
        { __typename: 'Lycee', uai: 'garbage' },
      ],
    });
    expect(response.errors).toBeUndefined();
    const entities = response.data!._entities as ({ uai: string } | null)[];
    expect(entities.map((e) => e?.uai ?? null)).toEqual([known, null, null]);
  });

  it('resolves lycees of 100 communes in one batch call, then equipment in one more', async () => {
    // The 60 largest communes (several lycées each) and 40 villages (none).
    const byPopulation = [...idfCommunes].sort((a, b) => b.population - a.population);
    const communes = [...byPopulation.slice(0, 60), ...byPopulation.slice(-40)];
    const response = await h.query(ENTITIES, { representations: communes.map((c) => ({ __typename: 'Commune', code: c.code })) });
    expect(response.errors).toBeUndefined();
    const entities = response.data!._entities as { code: string; lycees: { uai: string; commune: { code: string } }[] }[];
    expect(entities).toHaveLength(100);
    for (const [i, commune] of communes.entries()) {
      const expected = (db.byCommune.get(commune.code) ?? []).map((e) => e.uai);
      expect(entities[i]!.code).toBe(commune.code);
      expect(entities[i]!.lycees.map((l) => l.uai)).toEqual(expected);
      expect(entities[i]!.lycees.every((l) => l.commune.code === commune.code)).toBe(true);
    }
    expect(entities.some((e) => e.lycees.length === 0)).toBe(true);

    expect(await h.calls()).toEqual({
      total: 2,
      byRoute: { 'POST /api/v1/etablissements/batch': 1, 'POST /api/v1/equipements/batch': 1 },
    });
  });
});

describe('Connector', () => {
  it('splits more than 1,000 keys into calls the API accepts', async () => {
    const connector = createLyceesConnector({ baseUrl: h.apiUrl, timeoutMs: 5000, retries: 0, connections: 4 });
    try {
      const known = db.etablissements.map((e) => e.uai);
      const padding = Array.from({ length: 1500 - known.length }, (_, i) => `0990${String(i).padStart(3, '0')}A`);
      const lycees = await connector.getMany([...known, ...padding]);
      expect(lycees.map((l) => l.uai).sort()).toEqual([...known].sort());
      expect((await h.calls()).byRoute['POST /api/v1/etablissements/batch']).toBe(2);
    } finally {
      await connector.close();
    }
  });
});
