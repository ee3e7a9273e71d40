import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDS, startInsightsStack, type InsightsStack } from './harness.ts';

type Page = { total_count: number; results: Record<string, unknown>[] };
type OdsError = { error_code: string; message: string };

let stack: InsightsStack;
beforeAll(async () => {
  stack = await startInsightsStack();
});
afterAll(() => stack.stop());

describe('Catalog', () => {
  it('lists the three datasets with their fields and record counts', async () => {
    const { status, body } = await stack.api<{ total_count: number; results: { dataset_id: string; metas: { default: { records_count: number } } }[] }>(RECORDS);
    expect(status).toBe(200);
    expect(body.results.map((d) => d.dataset_id)).toEqual(['programmes', 'investissements', 'indicateurs']);
    const investments = body.results.find((d) => d.dataset_id === 'investissements')!;
    expect(investments.metas.default.records_count).toBeGreaterThan(10_000);
  });

  it('answers 404 with an ODS error body for an unknown dataset', async () => {
    const { status, body } = await stack.api<OdsError>(`${RECORDS}/nope/records`);
    expect(status).toBe(404);
    expect(body.error_code).toBe('NotFound');
  });
});

describe('Records paging', () => {
  it('returns 10 records by default, with the total count', async () => {
    const { body } = await stack.api<Page>(`${RECORDS}/investissements/records`, { where: 'code_departement = "93" AND annee = 2024' });
    expect(body.results).toHaveLength(10);
    expect(body.total_count).toBeGreaterThan(100);
    expect(body.results.every((r) => r.code_departement === '93' && r.annee === 2024)).toBe(true);
  });

  it('pages with limit and offset over a stable order', async () => {
    const params = { where: 'code_departement = "93"', order_by: 'id', select: 'id' };
    const first = await stack.api<Page>(`${RECORDS}/investissements/records`, { ...params, limit: 100 });
    const second = await stack.api<Page>(`${RECORDS}/investissements/records`, { ...params, limit: 50, offset: 50 });
    expect(second.body.results).toEqual(first.body.results.slice(50));
    expect(first.body.results[0]).toEqual({ id: expect.stringMatching(/^INV-\d{6}$/) });
  });

  it.each([
    [{ limit: 101 }, /limit/],
    [{ limit: -3 }, /limit/],
    [{ limit: 'ten' }, /not an integer/],
    [{ offset: -1 }, /offset/],
    [{ offset: 9_950, limit: 100 }, /offset \+ limit/],
  ])('refuses %o with 400 InvalidRESTParameterError', async (params, message) => {
    const { status, body } = await stack.api<OdsError>(`${RECORDS}/investissements/records`, params);
    expect(status).toBe(400);
    expect(body.error_code).toBe('InvalidRESTParameterError');
    expect(body.message).toMatch(message);
  });

  it.each(['code_insee = ', 'code_insee == "1"', 'nope = 1', 'code_insee IN ()'])('answers 400 ODSQLError for where=%s', async (where) => {
    const { status, body } = await stack.api<OdsError>(`${RECORDS}/investissements/records`, { where });
    expect(status).toBe(400);
    expect(body).toEqual({ error_code: 'ODSQLError', message: expect.any(String) });
  });
});

describe('Aggregates', () => {
  it('groups and sums per programme, consistently with the raw records', async () => {
    const where = 'code_insee = "93066" AND annee = 2024';
    const raw = await stack.api<Record<string, unknown>[]>(`${RECORDS}/investissements/exports/json`, { where });
    const grouped = await stack.api<Page>(`${RECORDS}/investissements/records`, {
      where,
      select: 'programme_id, sum(montant_eur) as total, count(*) as n',
      group_by: 'programme_id',
      order_by: 'total desc',
    });
    expect(grouped.status).toBe(200);
    const sum = raw.body.reduce((s, r) => s + Number(r.montant_eur), 0);
    expect(grouped.body.results.reduce((s, r) => s + Number(r.total), 0)).toBe(sum);
    expect(grouped.body.results.reduce((s, r) => s + Number(r.n), 0)).toBe(raw.body.length);
    expect(grouped.body.total_count).toBe(grouped.body.results.length);
    const totals = grouped.body.results.map((r) => Number(r.total));
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
  });

  it('counts without group_by as one row', async () => {
    const { body } = await stack.api<Page>(`${RECORDS}/indicateurs/records`, { select: 'count(*) as n', where: 'code_departement IS NOT NULL' });
    expect(body).toEqual({ total_count: 1, results: [{ n: 8 * 4 * 7 }] });
  });
});

describe('Exports', () => {
  it('returns every matching record unpaginated, past the 100-record page', async () => {
    const where = 'code_departement = "77" AND annee = 2024';
    const page = await stack.api<Page>(`${RECORDS}/investissements/records`, { where, limit: 0 });
    const all = await stack.api<unknown[]>(`${RECORDS}/investissements/exports/json`, { where });
    expect(page.body.total_count).toBeGreaterThan(100);
    expect(all.body).toHaveLength(page.body.total_count);
  });

  it('accepts 1,000-key IN lists in one URL, longer than the 16 KiB default header limit', async () => {
    const communes = Array.from({ length: 100 }, (_, i) => `"${77_000 + i}"`);
    const uais = Array.from({ length: 1_000 }, (_, i) => `"077${String(i).padStart(4, '0')}A"`);
    const where = `code_insee IN (${communes.join(',')}) OR uai IN (${uais.join(',')})`;
    expect(new URLSearchParams({ where }).toString().length).toBeGreaterThan(16 * 1024);
    const { status, body } = await stack.api<unknown[]>(`${RECORDS}/investissements/exports/json`, { where, select: 'id' });
    expect(status).toBe(200);
    expect(body.length).toBeGreaterThan(100);
  });

  it('applies group_by to exports too', async () => {
    const { body } = await stack.api<{ code_departement: string; n: number }[]>(`${RECORDS}/investissements/exports/json`, {
      select: 'code_departement, count(*) as n',
      group_by: 'code_departement',
    });
    expect(body.map((r) => r.code_departement)).toEqual(['75', '77', '78', '91', '92', '93', '94', '95']);
  });

  it('gives lycée investments UAIs in the département-prefixed format', async () => {
    const { body } = await stack.api<{ uai: string; code_departement: string }[]>(`${RECORDS}/investissements/exports/json`, {
      where: 'uai IS NOT NULL',
      select: 'uai, code_departement',
      group_by: 'uai, code_departement',
    });
    expect(body.length).toBeGreaterThan(300);
    for (const { uai, code_departement } of body) {
      expect(uai).toMatch(/^\d{7}[A-HJ-NPR-Z]$/);
      expect(uai.slice(0, 3)).toBe(code_departement.padStart(3, '0'));
    }
  });
});
