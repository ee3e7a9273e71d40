/**
 * The Lycées numériques database, generated from the seed: no package ships the region's lycées,
 * their equipment or ENT figures, so they are drawn deterministically and placed in the real
 * Île-de-France communes, roughly in proportion to population. Records use the Direction du
 * numérique's own French snake_case vocabulary, as its API serves them.
 */
import { createRng, establishmentRegister, type Etablissement, type Rng } from '../kit/index.ts';

export { PUBLIC_LYCEES, PRIVATE_LYCEES, uaiCheckLetter, type Etablissement, type TypeEtablissement, type Secteur } from '../kit/index.ts';

export type TypeEquipement =
  | 'ordinateur_portable'
  | 'poste_fixe'
  | 'tablette'
  | 'ecran_numerique_interactif'
  | 'videoprojecteur'
  | 'imprimante_3d'
  | 'borne_wifi';

export interface LigneEquipement {
  type_equipement: TypeEquipement;
  quantite: number;
  annee_acquisition: number;
}

export interface EquipementsEtablissement {
  uai: string;
  equipements: LigneEquipement[];
}

export interface EntEtablissement {
  uai: string;
  comptes_eleves: number;
  comptes_enseignants: number;
  comptes_parents: number;
  actifs_30j_eleves: number;
  actifs_30j_enseignants: number;
  actifs_30j_parents: number;
  date_extraction: string;
}

export interface ConnectiviteEtablissement {
  uai: string;
  debit_mbps: number;
  fibre: boolean;
  couverture_wifi_pct: number;
  date_mesure: string;
}

export interface LyceesDatabase {
  /** Ordered by UAI, the order the list endpoint pages in. */
  etablissements: Etablissement[];
  byUai: Map<string, Etablissement>;
  byCommune: Map<string, Etablissement[]>;
  equipements: Map<string, EquipementsEtablissement>;
  /** Only lycées on the regional ENT have figures. */
  ent: Map<string, EntEtablissement>;
  /** Only lycées whose network the region manages have a measure. */
  connectivite: Map<string, ConnectiviteEtablissement>;
}

const EXTRACTION_DATE = '2026-01-05';

export function generateLycees(seed: number): LyceesDatabase {
  const { etablissements, byUai, byCommune } = establishmentRegister(seed);
  // The register is shared with the other stand-ins; what only this system knows draws on its own stream.
  const rng = createRng(seed + 1);
  const equipements = new Map<string, EquipementsEtablissement>();
  const ent = new Map<string, EntEtablissement>();
  const connectivite = new Map<string, ConnectiviteEtablissement>();
  for (const e of etablissements) {
    equipements.set(e.uai, { uai: e.uai, equipements: makeEquipment(rng, e) });
    // The regional ENT and network cover every public lycée, but only the private ones that joined.
    if (e.secteur === 'PU' || rng.chance(0.6)) ent.set(e.uai, makeEnt(rng, e));
    if (e.secteur === 'PU' || rng.chance(0.35)) connectivite.set(e.uai, makeConnectivity(rng, e));
  }
  return { etablissements, byUai, byCommune, equipements, ent, connectivite };
}

/** Equipment grows with enrolment; some kinds were bought in several waves. */
function makeEquipment(rng: Rng, e: Etablissement): LigneEquipement[] {
  if (e.secteur === 'PR' && rng.chance(0.3)) return [];
  const perStudent = (ratio: number) => Math.max(1, Math.round(e.effectif * ratio * (0.6 + 0.8 * rng.next())));
  const plan: [TypeEquipement, () => number, number][] = [
    ['ordinateur_portable', () => perStudent(0.35), 2],
    ['poste_fixe', () => perStudent(0.12), 1],
    ['tablette', () => perStudent(0.1), 1],
    ['ecran_numerique_interactif', () => Math.max(2, Math.round(e.effectif / 40)), 2],
    ['videoprojecteur', () => Math.max(2, Math.round(e.effectif / 60)), 1],
    ['imprimante_3d', () => rng.int(1, e.type_etablissement === 'LP' || e.type_etablissement === 'LPO' ? 8 : 3), 1],
    ['borne_wifi', () => Math.max(4, Math.round(e.effectif / 25)), 1],
  ];
  const lines: LigneEquipement[] = [];
  for (const [type, quantity, waves] of plan) {
    if (type === 'tablette' && rng.chance(0.4)) continue;
    if (type === 'imprimante_3d' && rng.chance(0.35)) continue;
    const years = new Set<number>();
    for (let w = 0; w < rng.int(1, waves); w++) years.add(rng.int(2016, 2025));
    for (const year of [...years].sort()) lines.push({ type_equipement: type, quantite: quantity(), annee_acquisition: year });
  }
  return lines;
}

function makeEnt(rng: Rng, e: Etablissement): EntEtablissement {
  const students = Math.round(e.effectif * (0.95 + 0.05 * rng.next()));
  const teachers = Math.max(10, Math.round(e.effectif / rng.int(10, 14)));
  const parents = Math.round(students * (1.1 + 0.5 * rng.next()));
  return {
    uai: e.uai,
    comptes_eleves: students,
    comptes_enseignants: teachers,
    comptes_parents: parents,
    actifs_30j_eleves: Math.round(students * (0.55 + 0.4 * rng.next())),
    actifs_30j_enseignants: Math.round(teachers * (0.7 + 0.28 * rng.next())),
    actifs_30j_parents: Math.round(parents * (0.15 + 0.4 * rng.next())),
    date_extraction: EXTRACTION_DATE,
  };
}

function makeConnectivity(rng: Rng, e: Etablissement): ConnectiviteEtablissement {
  const fibre = e.code_departement === '75' || e.code_departement === '92' || rng.chance(0.85);
  return {
    uai: e.uai,
    debit_mbps: fibre ? rng.pick([200, 500, 1000, 1000, 2000]) : rng.pick([20, 50, 100]),
    fibre,
    couverture_wifi_pct: rng.int(fibre ? 70 : 40, 100),
    date_mesure: `2025-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
  };
}
