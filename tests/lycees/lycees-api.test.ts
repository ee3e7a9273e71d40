/**
 * The Lycées numériques stand-in: its generated data and its REST interface.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idfCommunes } from '../../legacy/kit/index.ts';
import { generateLycees, uaiCheckLetter, type Etablissement } from '../../legacy/lycees/data.ts';
import { SEED, db, startLycees, type LyceesHarness } from './harness.ts';

describe('Generated data', () => {
  it('is the same for the same seed and differs for another seed', () => {
    const again = generateLycees(SEED);
    expect(again.etablissements).toEqual(db.etablissements);
    expect([...again.equipements.values()]).toEqual([...db.equipements.values()]);
    expect([...again.ent.values()]).toEqual([...db.ent.values()]);
    expect([...again.connectivite.values()]).toEqual([...db.connectivite.values()]);
    expect(generateLycees(SEED + 1).etablissements.map((e) => e.uai)).not.toEqual(db.etablissements.map((e) => e.uai));
  });

  it('has about 470 public lycées and a share of private ones', () => {
    const publicCount = db.etablissements.filter((e) => e.secteur === 'PU').length;
    const privateCount = db.etablissements.filter((e) => e.secteur === 'PR').length;
    expect(publicCount).toBeGreaterThanOrEqual(440);
    expect(publicCount).toBeLessThanOrEqual(500);
    expect(privateCount).toBeGreaterThan(100);
    expect(privateCount).toBeLessThan(publicCount);
  });

  it('gives every lycée a unique, valid UAI whose prefix is its département', () => {
    const uais = new Set<string>();
    for (const e of db.etablissements) {
      expect(e.uai).toMatch(/^\d{7}[A-HJ-NPR-Z]$/);
      expect(e.uai.slice(0, 3)).toBe(`0${e.code_departement}`);
      expect(e.uai[7]).toBe(uaiCheckLetter(e.uai.slice(0, 7)));
      uais.add(e.uai);
    }
    expect(uais.size).toBe(db.etablissements.length);
  });

  it('computes the check letter with the official algorithm', () => {
    // Lycée Louis-le-Grand (Paris), a real UAI: 0750655E.
    expect(uaiCheckLetter('0750655')).toBe('E');
  });

  it('places lycées only in real Île-de-France communes, more in larger ones', () => {
    const communes = new Map(idfCommunes.map((c) => [c.code, c]));
    for (const e of db.etablissements) {
      const commune = communes.get(e.code_commune);
      expect(commune, e.code_commune).toBeDefined();
      expect(e.code_departement).toBe(commune!.departement);
      expect(e.libelle_commune).toBe(commune!.name);
    }
    expect(db.byCommune.get('75056')!.length).toBeGreaterThan(30);
    const smallest = idfCommunes.filter((c) => c.population < 2000);
    expect(smallest.filter((c) => db.byCommune.has(c.code))).toEqual([]);
  });

  it('records equipment, ENT figures and connectivity for every public lycée', () => {
    for (const e of db.etablissements.filter((x) => x.secteur === 'PU')) {
      expect(db.equipements.get(e.uai)!.equipements.length).toBeGreaterThan(0);
      expect(db.ent.get(e.uai)).toBeDefined();
      expect(db.connectivite.get(e.uai)).toBeDefined();
    }
  });
});

describe('REST interface', () => {
  let h: LyceesHarness;
  beforeAll(async () => {
    h = await startLycees();
  });
  afterAll(() => h.close());

  const paris = () => db.byCommune.get('75056')!;

  it('pages the list in UAI order with meta', async () => {
    const first = await h.rest('/api/v1/etablissements?per_page=10');
    expect(first.status).toBe(200);
    const body = first.body as { data: Etablissement[]; meta: { page: number; per_page: number; total: number } };
    expect(body.meta).toEqual({ page: 1, per_page: 10, total: db.etablissements.length });
    expect(body.data.map((e) => e.uai)).toEqual(db.etablissements.slice(0, 10).map((e) => e.uai));

    const third = (await h.rest('/api/v1/etablissements?per_page=10&page=3')).body as { data: Etablissement[] };
    expect(third.data.map((e) => e.uai)).toEqual(db.etablissements.slice(20, 30).map((e) => e.uai));

    const defaults = (await h.rest('/api/v1/etablissements')).body as { data: unknown[]; meta: { per_page: number } };
    expect(defaults.meta.per_page).toBe(50);
    expect(defaults.data).toHaveLength(50);

    const beyond = (await h.rest('/api/v1/etablissements?page=1000')).body as { data: unknown[] };
    expect(beyond.data).toEqual([]);
  });

  it('refuses per_page above 100 and malformed filters with 400', async () => {
    expect((await h.rest('/api/v1/etablissements?per_page=101')).status).toBe(400);
    expect((await h.rest('/api/v1/etablissements?page=0')).status).toBe(400);
    expect((await h.rest('/api/v1/etablissements?code_commune=9306')).status).toBe(400);
    expect((await h.rest('/api/v1/etablissements?type=COLLEGE')).status).toBe(400);
    expect((await h.rest('/api/v1/etablissements?secteur=public')).status).toBe(400);
  });

  it('filters by commune, département, type and sector', async () => {
    const expected = db.etablissements.filter((e) => e.code_departement === '93' && e.type_etablissement === 'LP' && e.secteur === 'PU');
    const res = (await h.rest('/api/v1/etablissements?code_departement=93&type=LP&secteur=PU&per_page=100')).body as {
      data: Etablissement[];
      meta: { total: number };
    };
    expect(res.meta.total).toBe(expected.length);
    expect(res.data.map((e) => e.uai)).toEqual(expected.map((e) => e.uai));

    const commune = (await h.rest('/api/v1/etablissements?code_commune=75056&per_page=100')).body as { meta: { total: number } };
    expect(commune.meta.total).toBe(paris().length);
    const none = (await h.rest('/api/v1/etablissements?code_commune=77001')).body as { data: unknown[]; meta: { total: number } };
    expect(none).toEqual({ data: [], meta: { page: 1, per_page: 50, total: 0 } });
  });

  it('serves one lycée and its equipment, ENT and connectivity; 404 when unknown, 400 when malformed', async () => {
    const lycee = db.etablissements.find((e) => e.secteur === 'PU')!;
    expect(await h.rest(`/api/v1/etablissements/${lycee.uai}`)).toEqual({ status: 200, body: lycee });
    expect((await h.rest(`/api/v1/etablissements/${lycee.uai}/equipements`)).body).toEqual(db.equipements.get(lycee.uai));
    expect((await h.rest(`/api/v1/etablissements/${lycee.uai}/ent`)).body).toEqual(db.ent.get(lycee.uai));
    expect((await h.rest(`/api/v1/etablissements/${lycee.uai}/connectivite`)).body).toEqual(db.connectivite.get(lycee.uai));

    expect((await h.rest('/api/v1/etablissements/0000000A')).status).toBe(404);
    expect((await h.rest('/api/v1/etablissements/0000000A/equipements')).status).toBe(404);
    expect((await h.rest('/api/v1/etablissements/not-a-uai')).status).toBe(400);
  });

  it('answers batches by UAI or by commune, skipping unknown keys', async () => {
    const uais = db.etablissements.slice(0, 5).map((e) => e.uai);
    const byUai = (await h.rest('/api/v1/etablissements/batch', { uai: [...uais, '0000000A'] })).body as { data: Etablissement[] };
    expect(byUai.data.map((e) => e.uai).sort()).toEqual(uais.sort());

    const byCommune = (await h.rest('/api/v1/etablissements/batch', { code_commune: ['75056', '93066', '77001'] })).body as {
      data: Etablissement[];
    };
    expect(byCommune.data).toHaveLength(paris().length + (db.byCommune.get('93066')?.length ?? 0));

    const equipment = (await h.rest('/api/v1/equipements/batch', { uai: uais })).body as { data: { uai: string }[] };
    expect(equipment.data.map((e) => e.uai).sort()).toEqual(uais.sort());
    for (const path of ['/api/v1/ent/batch', '/api/v1/connectivite/batch']) {
      expect((await h.rest(path, { uai: uais })).status).toBe(200);
    }
  });

  it('accepts 1,000 keys in a batch and refuses 1,001 or a malformed body with 400', async () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => `0930${String(i).padStart(3, '0')}A`);
    expect((await h.rest('/api/v1/etablissements/batch', { uai: keys(1000) })).status).toBe(200);
    expect((await h.rest('/api/v1/etablissements/batch', { uai: keys(1001) })).status).toBe(400);
    expect((await h.rest('/api/v1/equipements/batch', { uai: keys(1001) })).status).toBe(400);
    expect((await h.rest('/api/v1/etablissements/batch', { uai: ['x'], code_commune: ['75056'] })).status).toBe(400);
    expect((await h.rest('/api/v1/ent/batch', { code_commune: ['75056'] })).status).toBe(400);
    expect((await h.rest('/api/v1/connectivite/batch', { uai: [1, 2] })).status).toBe(400);
  });

  it('counts calls per route and fails the next N calls on demand', async () => {
    await h.resetCalls();
    await h.rest('/api/v1/etablissements?per_page=1');
    await h.rest('/api/v1/ent/batch', { uai: [] });
    await h.setFaults({ failNext: 2 });
    expect((await h.rest('/api/v1/etablissements?per_page=1')).status).toBe(503);
    expect((await h.rest('/api/v1/etablissements?per_page=1')).status).toBe(503);
    expect((await h.rest('/api/v1/etablissements?per_page=1')).status).toBe(200);
    expect(await h.calls()).toEqual({
      total: 5,
      byRoute: { 'GET /api/v1/etablissements': 4, 'POST /api/v1/ent/batch': 1 },
    });
  });
});
