/**
 * The Lycées numériques REST/JSON API (`/api/v1`), as the Direction du numérique serves it: a
 * paginated list with filters, one-establishment reads, and batch endpoints taking up to 1,000
 * keys. Errors are `{ error, message }` with 400 for a malformed request and 404 for an unknown UAI.
 */
import { HttpError, HttpSystem, type Faults, type LegacyRequest } from '../kit/index.ts';
import type { Etablissement, LyceesDatabase } from './data.ts';

/** Most keys a batch body may carry; past it the API answers 400. */
export const BATCH_MAX_KEYS = 1000;
/** Largest `per_page` the list endpoint accepts. */
export const MAX_PER_PAGE = 100;
const DEFAULT_PER_PAGE = 50;

const UAI = /^\d{7}[A-Z]$/;
const CODE_COMMUNE = /^(?:\d{5}|2[AB]\d{3})$/;
const CODE_DEPARTEMENT = /^(?:\d{2}|2[AB]|97\d)$/;
const TYPES = new Set(['LGT', 'LP', 'LPO', 'LEGTA']);
const SECTEURS = new Set(['PU', 'PR']);

export function createLyceesApi(db: LyceesDatabase, faults: Faults): HttpSystem {
  const system = new HttpSystem({ system: 'lycees-api', faults });

  system.get('/api/v1/etablissements', ({ query }) => list(db, query));
  system.get('/api/v1/etablissements/:uai', ({ params }) => found(db.byUai.get(checkUai(params.uai!))));
  system.get('/api/v1/etablissements/:uai/equipements', ({ params }) => found(db.equipements.get(knownUai(db, params.uai!))));
  system.get('/api/v1/etablissements/:uai/ent', ({ params }) => found(db.ent.get(knownUai(db, params.uai!))));
  system.get('/api/v1/etablissements/:uai/connectivite', ({ params }) => found(db.connectivite.get(knownUai(db, params.uai!))));

  system.post('/api/v1/etablissements/batch', (request) => {
    const { field, keys } = batchKeys(request, ['uai', 'code_commune']);
    const data =
      field === 'uai'
        ? keys.flatMap((uai) => db.byUai.get(uai) ?? [])
        : keys.flatMap((code) => db.byCommune.get(code) ?? []);
    return { data };
  });
  system.post('/api/v1/equipements/batch', (request) => ({ data: byUais(db.equipements, request) }));
  system.post('/api/v1/ent/batch', (request) => ({ data: byUais(db.ent, request) }));
  system.post('/api/v1/connectivite/batch', (request) => ({ data: byUais(db.connectivite, request) }));
  return system;
}

function list(db: LyceesDatabase, query: URLSearchParams) {
  const codeCommune = optional(query, 'code_commune', (v) => CODE_COMMUNE.test(v));
  const codeDepartement = optional(query, 'code_departement', (v) => CODE_DEPARTEMENT.test(v));
  const type = optional(query, 'type', (v) => TYPES.has(v));
  const secteur = optional(query, 'secteur', (v) => SECTEURS.has(v));
  const page = positiveInt(query, 'page', 1, Number.MAX_SAFE_INTEGER);
  const perPage = positiveInt(query, 'per_page', DEFAULT_PER_PAGE, MAX_PER_PAGE);

  const source: readonly Etablissement[] = codeCommune ? (db.byCommune.get(codeCommune) ?? []) : db.etablissements;
  const matching = source.filter(
    (e) =>
      (!codeDepartement || e.code_departement === codeDepartement) &&
      (!type || e.type_etablissement === type) &&
      (!secteur || e.secteur === secteur),
  );
  const start = (page - 1) * perPage;
  return { data: matching.slice(start, start + perPage), meta: { page, per_page: perPage, total: matching.length } };
}

function optional(query: URLSearchParams, name: string, valid: (value: string) => boolean): string | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!valid(value)) throw new HttpError(400, `Paramètre ${name} invalide : ${value.slice(0, 40)}`);
  return value;
}

function positiveInt(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new HttpError(400, `Paramètre ${name} invalide : entier entre 1 et ${max} attendu`);
  }
  return value;
}

function checkUai(uai: string): string {
  if (!UAI.test(uai)) throw new HttpError(400, `UAI invalide : ${uai.slice(0, 40)}`);
  return uai;
}

/** Sub-resources of an unknown lycée are 404, like the lycée itself. */
function knownUai(db: LyceesDatabase, uai: string): string {
  if (!db.byUai.has(checkUai(uai))) throw new HttpError(404, `Établissement inconnu : ${uai}`);
  return uai;
}

function found<T>(record: T | undefined): T {
  if (record === undefined) throw new HttpError(404, 'Ressource introuvable');
  return record;
}

/** Reads a batch body `{ "<field>": [...] }` with exactly one of the allowed fields. */
function batchKeys(request: LegacyRequest, fields: string[]): { field: string; keys: string[] } {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, `Corps attendu : { ${fields.map((f) => `"${f}": [...]`).join(' | ')} }`);
  }
  const present = fields.filter((f) => f in body);
  if (present.length !== 1) throw new HttpError(400, `Le corps doit contenir exactement un des champs ${fields.join(', ')}`);
  const field = present[0]!;
  const keys = (body as Record<string, unknown>)[field];
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new HttpError(400, `Le champ ${field} doit être un tableau de chaînes`);
  }
  if (keys.length > BATCH_MAX_KEYS) {
    throw new HttpError(400, `Trop de clés : ${keys.length} (maximum ${BATCH_MAX_KEYS} par appel)`);
  }
  return { field, keys: [...new Set(keys as string[])] };
}

function byUais<T>(records: Map<string, T>, request: LegacyRequest): T[] {
  return batchKeys(request, ['uai']).keys.flatMap((uai) => records.get(uai) ?? []);
}
