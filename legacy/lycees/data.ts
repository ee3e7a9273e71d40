/**
 * The Lycées numériques database, generated from the seed: no package ships the region's lycées,
 * their equipment or ENT figures, so they are drawn deterministically and placed in the real
 * Île-de-France communes, roughly in proportion to population. Records use the Direction du
 * numérique's own French snake_case vocabulary, as its API serves them.
 */
import { createRng, idfCommunes, type RefCommune, type Rng } from '../kit/index.ts';

export type TypeEtablissement = 'LGT' | 'LP' | 'LPO' | 'LEGTA';
export type Secteur = 'PU' | 'PR';
export type TypeEquipement =
  | 'ordinateur_portable'
  | 'poste_fixe'
  | 'tablette'
  | 'ecran_numerique_interactif'
  | 'videoprojecteur'
  | 'imprimante_3d'
  | 'borne_wifi';

export interface Etablissement {
  uai: string;
  nom: string;
  type_etablissement: TypeEtablissement;
  secteur: Secteur;
  academie: string;
  code_departement: string;
  code_commune: string;
  libelle_commune: string;
  adresse: string;
  code_postal: string;
  effectif: number;
  date_maj: string;
}

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

/** Public lycées of Île-de-France (the region's own network). */
export const PUBLIC_LYCEES = 470;
/** Private lycées under contract known to the Direction du numérique. */
export const PRIVATE_LYCEES = 190;

const EXTRACTION_DATE = '2026-01-05';
const ACADEMIES: Record<string, string> = {
  '75': 'Paris',
  '77': 'Créteil',
  '93': 'Créteil',
  '94': 'Créteil',
  '78': 'Versailles',
  '91': 'Versailles',
  '92': 'Versailles',
  '95': 'Versailles',
};

/** The official UAI check letter: the 7-digit number modulo 23, in this alphabet (no I, O, Q). */
const UAI_LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';

export function uaiCheckLetter(digits: string): string {
  return UAI_LETTERS[Number(digits) % 23]!;
}

const PATRONS = [
  'Jean Jaurès', 'Victor Hugo', 'Marie Curie', 'Jules Ferry', 'Paul Éluard', 'Louise Michel', 'Condorcet',
  'Voltaire', 'Jean Moulin', 'Albert Camus', 'Simone Veil', 'Romain Rolland', 'Gustave Eiffel', 'Paul Langevin',
  'Jacques Prévert', 'Henri Wallon', 'Jean Zay', 'Évariste Galois', 'Olympe de Gouges', 'Lucie Aubrac',
  'Flora Tristan', 'Marcel Pagnol', 'Camille Claudel', 'Jean Rostand', 'Pablo Picasso', 'Louis Armand',
  'Gaston Bachelard', 'Eugène Delacroix', 'Blaise Pascal', 'Frédéric Joliot-Curie', 'Rosa Parks',
  'Germaine Tillion', 'Aimé Césaire', 'Léonard de Vinci', 'George Sand', 'Alexandre Dumas', 'Jean Monnet',
  'Antoine de Saint-Exupéry', 'Charles de Gaulle', 'Nelson Mandela', 'Toussaint Louverture', 'René Cassin',
  'Guillaume Apollinaire', 'Jean Macé', 'Max Dormoy', 'Paul Robert', 'Auguste Blanqui', 'Suger',
  'Claude Monet', 'Hélène Boucher', 'Maximilien Perret', 'Théodore Monod', 'François Truffaut', 'Arago',
];
const PRIVATE_PATRONS = [
  'Saint-Joseph', 'Notre-Dame', 'Sainte-Marie', 'Saint-Jean-Baptiste de La Salle', 'Jeanne d’Arc',
  'Saint-Louis', 'Sainte-Geneviève', 'Saint-Vincent-de-Paul', 'Saint-Michel', 'La Providence',
  'Sainte-Thérèse', 'Saint-Charles', 'Fénelon', 'Saint-Nicolas', 'Sainte-Croix', 'Charles Péguy',
];
const STREET_KINDS = ['rue', 'avenue', 'boulevard', 'allée', 'place', 'chemin'];
const STREET_NAMES = [
  'de la République', 'du Général de Gaulle', 'Pasteur', 'des Écoles', 'Jean Jaurès', 'Victor Hugo',
  'de Paris', 'de la Gare', 'du Maréchal Leclerc', 'Gambetta', 'Carnot', 'des Lilas', 'de Verdun',
  'Anatole France', 'du 8 Mai 1945', 'Roger Salengro', 'de Stalingrad', 'Henri Barbusse', 'des Fossés',
];

const KIND_LABELS: Record<TypeEtablissement, string> = {
  LGT: 'Lycée général et technologique',
  LP: 'Lycée professionnel',
  LPO: 'Lycée polyvalent',
  LEGTA: "Lycée d'enseignement général et technologique agricole",
};

/** Enrolment range by kind: vocational and agricultural lycées are smaller. */
const ENROLMENT: Record<TypeEtablissement, [number, number]> = {
  LGT: [750, 2100],
  LP: [250, 800],
  LPO: [900, 2400],
  LEGTA: [200, 650],
};

export function generateLycees(seed: number): LyceesDatabase {
  const rng = createRng(seed);
  const taken = new Set<string>();
  const names = new Set<string>();
  const etablissements: Etablissement[] = [];

  const plans: [Secteur, number][] = [
    ['PU', PUBLIC_LYCEES],
    ['PR', PRIVATE_LYCEES],
  ];
  for (const [secteur, total] of plans) {
    for (const [commune, count] of allocate(total, idfCommunes, rng)) {
      for (let i = 0; i < count; i++) etablissements.push(makeEtablissement(rng, commune, secteur, taken, names));
    }
  }
  etablissements.sort((a, b) => (a.uai < b.uai ? -1 : 1));

  const byUai = new Map(etablissements.map((e) => [e.uai, e]));
  const byCommune = new Map<string, Etablissement[]>();
  for (const e of etablissements) {
    const list = byCommune.get(e.code_commune) ?? [];
    list.push(e);
    byCommune.set(e.code_commune, list);
  }

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

/**
 * Spreads `total` lycées over communes by largest remainder on a jittered population, so large
 * communes get several, mid-sized ones one, and small ones none.
 */
function allocate(total: number, communes: readonly RefCommune[], rng: Rng): Map<RefCommune, number> {
  const weights = communes.map((c) => c.population * (0.6 + 0.8 * rng.next()));
  const sum = weights.reduce((a, b) => a + b, 0);
  const quotas = weights.map((w) => (w / sum) * total);
  const counts = quotas.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = quotas.map((q, i) => [q - Math.floor(q), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    counts[i]!++;
  }
  const out = new Map<RefCommune, number>();
  communes.forEach((c, i) => {
    if (counts[i]! > 0) out.set(c, counts[i]!);
  });
  return out;
}

function makeEtablissement(rng: Rng, commune: RefCommune, secteur: Secteur, taken: Set<string>, names: Set<string>): Etablissement {
  const dep = commune.departement;
  let digits: string;
  do digits = `0${dep}${String(rng.int(1, 9999)).padStart(4, '0')}`;
  while (taken.has(digits));
  taken.add(digits);

  const type = pickKind(rng, secteur);
  // Paris alone has dozens of lycées, more than there are patron names per kind: after a few
  // draws, a site number keeps names unique within the commune, as the real registry does.
  let nom = makeName(rng, type, secteur);
  for (let attempt = 1; names.has(`${commune.code}|${nom}`); attempt++) {
    nom = attempt < 8 ? makeName(rng, type, secteur) : `${makeName(rng, type, secteur)} (site ${attempt - 6})`;
  }
  names.add(`${commune.code}|${nom}`);

  const [low, high] = ENROLMENT[type];
  const effectif = Math.round(rng.int(low, high) * (secteur === 'PR' ? 0.7 : 1));
  return {
    uai: digits + uaiCheckLetter(digits),
    nom,
    type_etablissement: type,
    secteur,
    academie: ACADEMIES[dep] ?? 'Versailles',
    code_departement: dep,
    code_commune: commune.code,
    libelle_commune: commune.name,
    adresse: `${rng.int(1, 180)} ${rng.pick(STREET_KINDS)} ${rng.pick(STREET_NAMES)}`,
    code_postal: commune.postalCodes.length > 0 ? rng.pick(commune.postalCodes) : commune.code,
    effectif,
    date_maj: `2025-${String(rng.int(9, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
  };
}

function pickKind(rng: Rng, secteur: Secteur): TypeEtablissement {
  const r = rng.next();
  if (secteur === 'PU') return r < 0.42 ? 'LGT' : r < 0.68 ? 'LP' : r < 0.985 ? 'LPO' : 'LEGTA';
  return r < 0.55 ? 'LGT' : r < 0.75 ? 'LP' : r < 0.99 ? 'LPO' : 'LEGTA';
}

function makeName(rng: Rng, type: TypeEtablissement, secteur: Secteur): string {
  if (secteur === 'PR') {
    return rng.chance(0.3) ? `Ensemble scolaire privé ${rng.pick(PRIVATE_PATRONS)}` : `Lycée privé ${rng.pick(PRIVATE_PATRONS)}`;
  }
  if (type === 'LP' && rng.chance(0.3)) return `Lycée des métiers ${rng.pick(PATRONS)}`;
  return `${KIND_LABELS[type]} ${rng.pick(PATRONS)}`;
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
