/**
 * The GRC seed: deterministic generation with realistic shapes, and the default volume
 * (GRC_SEED_REQUESTS, ~5,000 requests) seeded into PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_REFERENCE, UAI } from '../../subgraphs/kit/index.ts';
import { generateGrcData, REFERENCE_DATE, uaiCheckLetter, type GrcDataset } from '../../legacy/grc/data.ts';
import { idfCommunes } from '../../legacy/kit/index.ts';
import { COUNTS_SQL, TEST_SEED, implementations, startTestGrc, type Grc, type Storage } from './harness.ts';

const DEFAULT_REQUESTS = 5000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

describe('Generation', () => {
  let data: GrcDataset;
  beforeAll(() => {
    data = generateGrcData({ seed: TEST_SEED, requestCount: DEFAULT_REQUESTS });
  });

  it('the same seed and count always give the same rows', () => {
    expect(JSON.stringify(generateGrcData({ seed: TEST_SEED, requestCount: DEFAULT_REQUESTS }))).toBe(JSON.stringify(data));
  });

  it('another seed gives other requests, but the same services and categories', () => {
    const other = generateGrcData({ seed: TEST_SEED + 1, requestCount: 200 });
    expect(other.demandes.map((d) => d.objet)).not.toEqual(data.demandes.slice(0, 200).map((d) => d.objet));
    expect(other.services).toEqual(data.services);
    expect(other.categories).toEqual(data.categories);
  });

  it('the request count does not change agents nor lycées', () => {
    const small = generateGrcData({ seed: TEST_SEED, requestCount: 10 });
    expect(small.agents).toEqual(data.agents);
    expect(small.lycees.map((l) => l.uai)).toEqual(data.lycees.map((l) => l.uai));
  });

  it('references are unique and numbered per year in creation order', () => {
    const references = data.demandes.map((d) => d.num_demande);
    expect(new Set(references).size).toBe(references.length);
    for (const d of data.demandes) {
      expect(d.num_demande).toMatch(REQUEST_REFERENCE);
      expect(d.num_demande.slice(4, 8)).toBe(String(d.date_creation.getUTCFullYear()));
    }
  });

  it('places requests in real Île-de-France communes, lycées with valid UAIs', () => {
    const communes = new Set(idfCommunes.map((c) => c.code));
    expect(data.demandes.every((d) => communes.has(d.code_insee))).toBe(true);
    expect(data.lycees.length).toBeGreaterThan(350);
    expect(data.lycees.length).toBeLessThan(600);
    for (const { uai } of data.lycees) {
      expect(uai).toMatch(UAI);
      expect(uai.slice(7)).toBe(uaiCheckLetter(uai.slice(0, 7)));
    }
    expect(data.demandes.filter((d) => d.code_uai !== null).length).toBeGreaterThan(DEFAULT_REQUESTS / 10);
  });

  it('histories stay within the three years before the reference date', () => {
    const start = REFERENCE_DATE.getTime() - 3 * 366 * 24 * 3600_000;
    for (const d of data.demandes) {
      expect(d.date_creation.getTime()).toBeGreaterThan(start);
      expect(d.date_maj.getTime()).toBeLessThan(REFERENCE_DATE.getTime());
    }
    expect(data.evenements.every((e) => e.date_evenement.getTime() < REFERENCE_DATE.getTime())).toBe(true);
    const ids = data.evenements.map((e) => e.id_evenement);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  });

  it('every status occurs, and recent requests are more often open', () => {
    const statuses = new Set(data.demandes.map((d) => d.code_statut));
    expect([...statuses].sort()).toEqual(['ATT', 'CLO', 'ENC', 'NOU', 'QUA', 'REJ', 'RES']);
    const open = (d: { code_statut: string }) => ['NOU', 'QUA', 'ENC', 'ATT'].includes(d.code_statut);
    const lastMonth = data.demandes.filter((d) => d.date_creation.getTime() > REFERENCE_DATE.getTime() - 30 * 24 * 3600_000);
    const firstYear = data.demandes.filter((d) => d.date_creation.getTime() < REFERENCE_DATE.getTime() - 2 * 365 * 24 * 3600_000);
    expect(lastMonth.filter(open).length / lastMonth.length).toBeGreaterThan(firstYear.filter(open).length / firstYear.length + 0.3);
  });

  it('resolution times vary by service', () => {
    const days = new Map<number, number[]>();
    for (const d of data.demandes) {
      if ((d.code_statut !== 'RES' && d.code_statut !== 'CLO') || !d.date_cloture) continue;
      const list = days.get(d.id_service) ?? [];
      list.push((d.date_cloture.getTime() - d.date_creation.getTime()) / 86_400_000);
      days.set(d.id_service, list);
    }
    const medians = [...days.values()].filter((list) => list.length >= 20).map(median);
    expect(Math.max(...medians)).toBeGreaterThan(3 * Math.min(...medians));
  });

  it('messages and assignments are sometimes hidden from the citizen', () => {
    const hidden = data.evenements.filter((e) => !e.visible_usager);
    expect(new Set(hidden.map((e) => e.type_evenement))).toEqual(new Set(['AFF', 'MSG']));
    expect(data.evenements.some((e) => e.type_evenement === 'MSG' && e.visible_usager && e.auteur === 'USAGER')).toBe(true);
  });
});

describe.each(implementations.filter((i) => i.name === 'pglite'))('Default seed on $name', (implementation) => {
  let storage: Storage;
  let grc: Grc;

  beforeAll(async () => {
    storage = await implementation.createStorage();
    // Empty: the variable's own default (GRC_SEED_REQUESTS = 5000).
    grc = await startTestGrc(storage, { GRC_SEED_REQUESTS: '' });
  });
  afterAll(async () => {
    await grc?.close();
    await storage?.drop();
  });

  it('seeds ~5,000 requests with their histories', async () => {
    const [counts] = await grc.sql<Record<string, number>>(COUNTS_SQL);
    expect(counts).toMatchObject({ services: 17, categories: 25, demandes: DEFAULT_REQUESTS });
    expect(counts!.evenements).toBeGreaterThan(DEFAULT_REQUESTS * 4);
    const [meta] = await grc.sql<{ valeur: string }>(`SELECT valeur FROM t_meta WHERE cle = 'seed_requests'`);
    expect(meta!.valeur).toBe(String(DEFAULT_REQUESTS));
  });
});
