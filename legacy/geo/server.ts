/**
 * The geodata system's wire interface, shaped like the public French geo API (geo.api.gouv.fr):
 * French field names, a `fields=` parameter choosing what comes back (with the same defaults as
 * the real API), 404 for an unknown code, and no batch endpoint — one code per call.
 * Only Île-de-France is served: other régions, départements and communes are unknown (404).
 */
import { HttpError, HttpSystem, type Faults, type LegacyRequest } from '../kit/index.ts';
import type { RefCommune, RefDepartement, RefEpci, RefRegion } from '../kit/index.ts';
import { departementOfCode, type GeoStore } from './data.ts';

/** How one record is written for each field the API knows; `undefined` omits the field. */
type FieldWriters<T> = Record<string, (item: T) => unknown>;

/** The real API's default fields when `fields=` is absent. */
const DEFAULT_FIELDS = {
  region: ['nom', 'code'],
  departement: ['nom', 'code', 'codeRegion'],
  commune: ['nom', 'code', 'codesPostaux', 'siren', 'codeEpci', 'codeDepartement', 'codeRegion', 'population'],
  epci: ['nom', 'code', 'codesDepartements', 'codesRegions', 'population'],
};

export function createGeoApi(store: GeoStore, faults: Faults): HttpSystem {
  const writers = fieldWriters(store);
  const region = (item: RefRegion, request: LegacyRequest) => project(item, writers.region, fieldsOf(request, DEFAULT_FIELDS.region));
  const departement = (item: RefDepartement, request: LegacyRequest) =>
    project(item, writers.departement, fieldsOf(request, DEFAULT_FIELDS.departement));
  const commune = (item: RefCommune, request: LegacyRequest) => project(item, writers.commune, fieldsOf(request, DEFAULT_FIELDS.commune));
  const epci = (item: RefEpci, request: LegacyRequest) => project(item, writers.epci, fieldsOf(request, DEFAULT_FIELDS.epci));

  const findRegion = (code: string) => store.regions.get(code) ?? notFound('Région non trouvée');
  const findDepartement = (code: string) => store.departements.get(code) ?? notFound('Département non trouvé');
  const findEpci = (code: string) => store.epcis.get(code) ?? notFound('EPCI non trouvé');
  const communesOf = (items: Iterable<RefCommune>, request: LegacyRequest) => [...items].map((c) => commune(c, request));

  return new HttpSystem({ system: 'geo-api', faults })
    .get('/regions', (request) => [...store.regions.values()].map((r) => region(r, request)))
    .get('/regions/:code', (request) => region(findRegion(request.params.code!), request))
    .get('/regions/:code/departements', (request) => {
      const code = findRegion(request.params.code!).code;
      return [...store.departements.values()].filter((d) => d.region === code).map((d) => departement(d, request));
    })
    .get('/departements', (request) => {
      const codeRegion = request.query.get('codeRegion');
      return [...store.departements.values()]
        .filter((d) => codeRegion === null || d.region === codeRegion)
        .map((d) => departement(d, request));
    })
    .get('/departements/:code', (request) => departement(findDepartement(request.params.code!), request))
    .get('/departements/:code/communes', (request) => {
      const code = findDepartement(request.params.code!).code;
      return communesOf(store.communesByDepartement.get(code) ?? [], request);
    })
    .get('/communes', (request) => searchCommunes(store, request).map(({ item, score }) => {
      const body = commune(item, request);
      // Like the real API, a name search reports how well each commune matched.
      return score === undefined ? body : { ...body, _score: score };
    }))
    .get('/communes/:code', (request) => commune(store.communes.get(request.params.code!) ?? notFound('Commune non trouvée'), request))
    .get('/epcis/:code', (request) => epci(findEpci(request.params.code!), request))
    .get('/epcis/:code/communes', (request) => {
      const members = findEpci(request.params.code!).members;
      // Members outside Île-de-France exist but are not served, like every non-IdF commune.
      return communesOf(members.flatMap((code) => store.communes.get(code) ?? []), request);
    });
}

function fieldWriters(store: GeoStore) {
  const named = (item: { code: string; name: string } | undefined) => (item ? { code: item.code, nom: item.name } : undefined);
  const region: FieldWriters<RefRegion> = { nom: (r) => r.name, code: (r) => r.code };
  const departement: FieldWriters<RefDepartement> = {
    nom: (d) => d.name,
    code: (d) => d.code,
    codeRegion: (d) => d.region,
    region: (d) => named(store.regions.get(d.region)),
  };
  const commune: FieldWriters<RefCommune> = {
    nom: (c) => c.name,
    code: (c) => c.code,
    codesPostaux: (c) => c.postalCodes,
    siren: (c) => c.siren ?? undefined,
    codeEpci: (c) => store.epciOfCommune.get(c.code)?.code,
    codeDepartement: (c) => c.departement,
    codeRegion: (c) => c.region,
    population: (c) => c.population,
    type: () => 'commune-actuelle',
    departement: (c) => named(store.departements.get(c.departement)),
    region: (c) => named(store.regions.get(c.region)),
    epci: (c) => named(store.epciOfCommune.get(c.code)),
    // No `centre`, `contour`, `surface`, `bbox`: the reference package has no geometry.
  };
  const epci: FieldWriters<RefEpci> = {
    nom: (e) => e.name,
    code: (e) => e.code,
    type: (e) => e.type,
    population: (e) => e.population ?? undefined,
    codesDepartements: (e) => [...new Set(e.members.map(departementOfCode))].sort(),
    // Only Île-de-France's régions are known here, so régions of outside members are left out.
    codesRegions: (e) => [...new Set(e.members.flatMap((m) => store.communes.get(m)?.region ?? []))].sort(),
  };
  return { region, departement, commune, epci };
}

function fieldsOf(request: LegacyRequest, defaults: string[]): string[] {
  const raw = request.query.get('fields');
  if (raw === null || raw.trim() === '') return defaults;
  return raw.split(',').map((f) => f.trim()).filter(Boolean);
}

/** Writes the selected fields in the order asked; unknown fields are ignored, as the real API does. */
function project<T>(item: T, writers: FieldWriters<T>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = writers[field]?.(item);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function notFound(message: string): never {
  throw new HttpError(404, message);
}

interface Hit {
  item: RefCommune;
  score?: number;
}

/**
 * `GET /communes` filters. The real API's `nom` is a fuzzy full-text search; the stand-in keeps
 * what clients can observe of it: accent- and case-insensitive, best match first (exact name,
 * then name prefix, then word prefix, then substring; more populated first among equals).
 */
function searchCommunes(store: GeoStore, request: LegacyRequest): Hit[] {
  const { query } = request;
  const codeDepartement = query.get('codeDepartement');
  const codeRegion = query.get('codeRegion');
  const codePostal = query.get('codePostal');
  const codeEpci = query.get('codeEpci');
  const nom = query.get('nom');
  const limit = parseLimit(query.get('limit'));

  let items: RefCommune[] =
    codeDepartement === null ? [...store.communes.values()] : (store.communesByDepartement.get(codeDepartement) ?? []);
  if (codeRegion !== null) items = items.filter((c) => c.region === codeRegion);
  if (codePostal !== null) items = items.filter((c) => c.postalCodes.includes(codePostal));
  if (codeEpci !== null) items = items.filter((c) => store.epciOfCommune.get(c.code)?.code === codeEpci);

  let hits: Hit[] = items.map((item) => ({ item }));
  if (nom !== null && fold(nom) !== '') {
    const wanted = fold(nom);
    hits = items
      .map((item) => ({ item, score: matchScore(fold(item.name), wanted) }))
      .filter((hit) => hit.score > 0)
      .sort((a, b) => b.score - a.score || b.item.population - a.item.population || a.item.code.localeCompare(b.item.code));
  }
  return limit === undefined ? hits : hits.slice(0, limit);
}

function matchScore(name: string, wanted: string): number {
  if (name === wanted) return 1;
  if (name.startsWith(wanted)) return 0.9;
  if (name.split(' ').some((word) => word.startsWith(wanted))) return 0.75;
  if (name.includes(wanted)) return 0.5;
  return 0;
}

/** Accent-, case- and punctuation-insensitive form ("Épinay-sur-Seine" → "epinay sur seine"). */
function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function parseLimit(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1) throw new HttpError(400, 'limit doit être un entier positif');
  return limit;
}
