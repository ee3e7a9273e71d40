/**
 * The only code that knows the Lycées numériques API (`/api/v1/…`): its URLs, its French field
 * names and codes, its page and batch limits. It returns the subgraph's own English records, so
 * nothing else changes if the Direction du numérique renames a field.
 */
import { createHttpClient, passerelleError, type LegacyGuards } from '../kit/index.ts';

export const SYSTEM = 'lycees-api';
/** Most keys the API accepts in one batch body; larger key sets are split into parallel calls. */
export const BATCH_LIMIT = 1000;
/** Largest `per_page` the list endpoint accepts. */
export const API_MAX_PER_PAGE = 100;

export type LyceeKind = 'GENERAL_TECHNOLOGICAL' | 'PROFESSIONAL' | 'MULTI_PURPOSE' | 'AGRICULTURAL';
export type Sector = 'PUBLIC' | 'PRIVATE';
export type EquipmentKind =
  | 'LAPTOP'
  | 'DESKTOP'
  | 'TABLET'
  | 'INTERACTIVE_DISPLAY'
  | 'VIDEO_PROJECTOR'
  | 'THREE_D_PRINTER'
  | 'WIFI_ACCESS_POINT'
  | 'OTHER';

export interface Lycee {
  uai: string;
  name: string;
  kind: LyceeKind;
  sector: Sector;
  students: number;
  address: { street: string; postalCode: string; city: string };
  communeCode: string;
  departementCode: string;
}

export interface EquipmentLine {
  kind: EquipmentKind;
  quantity: number;
  year: number;
}

export interface LyceeEquipment {
  uai: string;
  lines: EquipmentLine[];
}

export interface EntAudience {
  students: number;
  teachers: number;
  parents: number;
}

export interface EntFigures {
  uai: string;
  accounts: EntAudience;
  activeLast30Days: EntAudience;
  extractedOn: string;
}

export interface Connectivity {
  uai: string;
  bandwidthMbps: number;
  fibre: boolean;
  wifiCoveragePercent: number;
  measuredOn: string;
}

export interface LyceeListFilter {
  commune?: string | null;
  departement?: string | null;
  kind?: LyceeKind | null;
  sector?: Sector | null;
}

export interface LyceesConnector {
  /** Lycées with these UAIs (unknown ones are absent), by the batch endpoint. */
  getMany(uais: readonly string[]): Promise<Lycee[]>;
  /** Every lycée of these communes, by the batch endpoint. */
  byCommunes(codes: readonly string[]): Promise<Lycee[]>;
  /** One page of the filtered list (`page` from 1, `perPage` ≤ API_MAX_PER_PAGE) and the total. */
  list(filter: LyceeListFilter, page: number, perPage: number): Promise<{ items: Lycee[]; total: number }>;
  equipment(uais: readonly string[]): Promise<LyceeEquipment[]>;
  ent(uais: readonly string[]): Promise<EntFigures[]>;
  connectivity(uais: readonly string[]): Promise<Connectivity[]>;
  close(): Promise<void>;
}

export interface LyceesConnectorOptions {
  /** Base URL of the API (LYCEES_API_URL). */
  baseUrl: string;
  /** Per-attempt timeout in ms; past it, LEGACY_TIMEOUT. */
  timeoutMs: number;
  /** Extra attempts on 502/503/504 or a network error; past them, LEGACY_UNAVAILABLE. */
  retries: number;
  /** Keep-alive connections to the API. */
  connections: number;
  /** The subgraph's guards of its legacy systems (kit/legacy-guards.ts: breaker, bulkhead, retry budget); default: this connector's own. */
  guards?: LegacyGuards;
}

// Wire format of the API.
interface Etablissement {
  uai: string;
  nom: string;
  type_etablissement: string;
  secteur: string;
  code_commune: string;
  libelle_commune: string;
  code_departement: string;
  adresse: string;
  code_postal: string;
  effectif: number;
}
interface Equipements {
  uai: string;
  equipements: { type_equipement: string; quantite: number; annee_acquisition: number }[];
}
interface Ent {
  uai: string;
  comptes_eleves: number;
  comptes_enseignants: number;
  comptes_parents: number;
  actifs_30j_eleves: number;
  actifs_30j_enseignants: number;
  actifs_30j_parents: number;
  date_extraction: string;
}
interface Connectivite {
  uai: string;
  debit_mbps: number;
  fibre: boolean;
  couverture_wifi_pct: number;
  date_mesure: string;
}
interface Batch<T> {
  data: T[];
}
interface Page<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number };
}

const KINDS: Record<string, LyceeKind> = {
  LGT: 'GENERAL_TECHNOLOGICAL',
  LP: 'PROFESSIONAL',
  LPO: 'MULTI_PURPOSE',
  LEGTA: 'AGRICULTURAL',
};
const SECTORS: Record<string, Sector> = { PU: 'PUBLIC', PR: 'PRIVATE' };
const EQUIPMENT_KINDS: Record<string, EquipmentKind> = {
  ordinateur_portable: 'LAPTOP',
  poste_fixe: 'DESKTOP',
  tablette: 'TABLET',
  ecran_numerique_interactif: 'INTERACTIVE_DISPLAY',
  videoprojecteur: 'VIDEO_PROJECTOR',
  imprimante_3d: 'THREE_D_PRINTER',
  borne_wifi: 'WIFI_ACCESS_POINT',
};

export function createLyceesConnector(options: LyceesConnectorOptions): LyceesConnector {
  const http = createHttpClient({ system: SYSTEM, ...options });

  /** POSTs `{ [field]: keys }` in chunks the API accepts, in parallel; batch reads are safe to retry. */
  async function batch<T>(path: string, field: 'uai' | 'code_commune', keys: readonly string[]): Promise<T[]> {
    const unique = [...new Set(keys)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_LIMIT) chunks.push(unique.slice(i, i + BATCH_LIMIT));
    const pages = await Promise.all(
      chunks.map((chunk) => http.post<Batch<T>>(path, { [field]: chunk }, { idempotent: true }).then((body) => dataOf<T>(body, path))),
    );
    return pages.flat();
  }

  return {
    getMany: async (uais) => (uais.length === 0 ? [] : (await batch<Etablissement>('/api/v1/etablissements/batch', 'uai', uais)).map(toLycee)),
    byCommunes: async (codes) =>
      codes.length === 0 ? [] : (await batch<Etablissement>('/api/v1/etablissements/batch', 'code_commune', codes)).map(toLycee),
    async list(filter, page, perPage) {
      const path = '/api/v1/etablissements';
      const body = await http.get<Page<Etablissement>>(path, {
        code_commune: filter.commune ?? undefined,
        code_departement: filter.departement ?? undefined,
        type: filter.kind ? wireCode(KINDS, filter.kind) : undefined,
        secteur: filter.sector ? wireCode(SECTORS, filter.sector) : undefined,
        page,
        per_page: perPage,
      });
      if (body === null || typeof body.meta?.total !== 'number') throw unexpected(`GET ${path} answered without a page`);
      return { items: dataOf<Etablissement>(body, path).map(toLycee), total: body.meta.total };
    },
    equipment: async (uais) =>
      uais.length === 0
        ? []
        : (await batch<Equipements>('/api/v1/equipements/batch', 'uai', uais)).map((e) => ({
            uai: e.uai,
            lines: e.equipements.map((line) => ({
              kind: EQUIPMENT_KINDS[line.type_equipement] ?? 'OTHER',
              quantity: line.quantite,
              year: line.annee_acquisition,
            })),
          })),
    ent: async (uais) =>
      uais.length === 0
        ? []
        : (await batch<Ent>('/api/v1/ent/batch', 'uai', uais)).map((e) => ({
            uai: e.uai,
            accounts: { students: e.comptes_eleves, teachers: e.comptes_enseignants, parents: e.comptes_parents },
            activeLast30Days: { students: e.actifs_30j_eleves, teachers: e.actifs_30j_enseignants, parents: e.actifs_30j_parents },
            extractedOn: e.date_extraction,
          })),
    connectivity: async (uais) =>
      uais.length === 0
        ? []
        : (await batch<Connectivite>('/api/v1/connectivite/batch', 'uai', uais)).map((c) => ({
            uai: c.uai,
            bandwidthMbps: c.debit_mbps,
            fibre: c.fibre,
            wifiCoveragePercent: c.couverture_wifi_pct,
            measuredOn: c.date_mesure,
          })),
    close: () => http.close(),
  };
}

function toLycee(e: Etablissement): Lycee {
  const kind = KINDS[e.type_etablissement];
  const sector = SECTORS[e.secteur];
  if (!kind || !sector) throw unexpected(`unknown type_etablissement/secteur ${e.type_etablissement}/${e.secteur} for ${e.uai}`);
  return {
    uai: e.uai,
    name: e.nom,
    kind,
    sector,
    students: e.effectif,
    address: { street: e.adresse, postalCode: e.code_postal, city: e.libelle_commune },
    communeCode: e.code_commune,
    departementCode: e.code_departement,
  };
}

function wireCode<T extends string>(table: Record<string, T>, value: T): string {
  return Object.keys(table).find((code) => table[code] === value)!;
}

function dataOf<T>(body: { data?: unknown } | null, path: string): T[] {
  if (body === null || !Array.isArray(body.data)) throw unexpected(`${path} answered without a data array`);
  return body.data as T[];
}

function unexpected(detail: string) {
  return passerelleError('LEGACY_ERROR', `${SYSTEM} answered unexpectedly: ${detail}`, { system: SYSTEM });
}
