/**
 * The geodata stand-in speaks like geo.api.gouv.fr: French field names, the same default fields,
 * `fields=` choosing the rest, 404 for unknown codes, Île-de-France only, one code per call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGeoStack, type GeoStack } from './harness.ts';

type Row = Record<string, unknown>;

let stack: GeoStack;
beforeAll(async () => {
  stack = await startGeoStack();
});
afterAll(() => stack?.stop());

describe('Régions and départements', () => {
  it('lists Île-de-France with the default fields nom and code', async () => {
    const { status, body } = await stack.api<Row[]>('/regions');
    expect(status).toBe(200);
    expect(body).toEqual([{ nom: 'Île-de-France', code: '11' }]);
  });

  it('serves one région and its eight départements', async () => {
    expect((await stack.api('/regions/11')).body).toEqual({ nom: 'Île-de-France', code: '11' });
    const { body } = await stack.api<Row[]>('/regions/11/departements');
    expect(body.map((d) => d.code)).toEqual(['75', '77', '78', '91', '92', '93', '94', '95']);
  });

  it('serves départements with the default fields nom, code and codeRegion', async () => {
    const { body } = await stack.api<Row[]>('/departements');
    expect(body).toHaveLength(8);
    expect((await stack.api('/departements/93')).body).toEqual({ nom: 'Seine-Saint-Denis', code: '93', codeRegion: '11' });
  });

  it('lists the 39 communes of Seine-Saint-Denis', async () => {
    const { body } = await stack.api<Row[]>('/departements/93/communes');
    expect(body).toHaveLength(39);
    expect(body.every((c) => c.codeDepartement === '93')).toBe(true);
  });
});

describe('Communes', () => {
  it('serves a commune with the real API’s default fields', async () => {
    const { body } = await stack.api<Row>('/communes/75056');
    expect(Object.keys(body).sort()).toEqual(
      ['code', 'codeDepartement', 'codeEpci', 'codeRegion', 'codesPostaux', 'nom', 'population', 'siren'].sort(),
    );
    expect(body).toMatchObject({ nom: 'Paris', codeDepartement: '75', codeRegion: '11', codeEpci: '200054781' });
    expect(body.codesPostaux).toContain('75116');
  });

  it('returns exactly the fields asked with fields=, nested objects included', async () => {
    const { body } = await stack.api<Row>('/communes/93031?fields=nom,departement,epci');
    expect(body).toEqual({
      nom: 'Épinay-sur-Seine',
      departement: { code: '93', nom: 'Seine-Saint-Denis' },
      epci: { code: '200054781', nom: 'Métropole du Grand Paris' },
    });
  });

  it('omits centre: the reference data has no coordinates and none are invented', async () => {
    const { body } = await stack.api<Row>('/communes/75056?fields=code,centre');
    expect(body).toEqual({ code: '75056' });
  });

  it('filters by département and postal code', async () => {
    expect((await stack.api<Row[]>('/communes?codeDepartement=93&fields=code')).body).toHaveLength(39);
    const { body } = await stack.api<Row[]>('/communes?codePostal=93800&fields=nom');
    expect(body).toEqual([{ nom: 'Épinay-sur-Seine' }]);
  });

  it('searches names accent- and case-insensitively, best match first, with a score', async () => {
    const { body } = await stack.api<Row[]>('/communes?nom=EPINAY&fields=nom,code');
    expect(body.map((c) => c.code).sort()).toEqual(['91215', '91216', '93031', '95214']);
    expect(body[0]).toMatchObject({ nom: 'Épinay-sur-Seine' });
    expect(body[0]?._score).toBeTypeOf('number');

    const exact = await stack.api<Row[]>('/communes?nom=saint-denis&fields=code&limit=1');
    expect(exact.body).toEqual([{ code: '93066', _score: 1 }]);
  });

  it('rejects a limit that is not a positive integer', async () => {
    expect((await stack.api('/communes?nom=paris&limit=0')).status).toBe(400);
  });
});

describe('EPCI', () => {
  it('serves an EPCI and its Île-de-France member communes', async () => {
    const { body } = await stack.api<Row>('/epcis/200054781');
    expect(body).toMatchObject({ nom: 'Métropole du Grand Paris', code: '200054781', codesRegions: ['11'] });
    const members = await stack.api<Row[]>('/epcis/200054781/communes?fields=code');
    expect(members.body.map((c) => c.code)).toEqual(expect.arrayContaining(['75056', '93031']));
  });
});

describe('Unknown codes', () => {
  it.each(['/regions/84', '/regions/84/departements', '/departements/13', '/departements/13/communes', '/communes/13055', '/epcis/123456789'])(
    'answers %s with 404, like the real API (only Île-de-France is served)',
    async (path) => {
      const { status, body } = await stack.api<Row>(path);
      expect(status).toBe(404);
      expect(body.message).toBeTypeOf('string');
    },
  );
});

describe('Admin', () => {
  it('counts calls per route', async () => {
    await stack.resetCalls();
    await stack.api('/communes/75056');
    await stack.api('/communes/93031');
    await stack.api('/departements/93');
    expect(await stack.calls()).toEqual({ total: 3, byRoute: { 'GET /communes/:code': 2, 'GET /departements/:code': 1 } });
  });

  it('has no batch endpoint: codes are asked one per call', async () => {
    const response = await fetch(`${stack.apiUrl}/communes`, { method: 'POST', body: JSON.stringify(['75056', '93031']) });
    expect(response.status).toBe(404);
  });
});
