/**
 * The register of Île-de-France lycées (UAI, name, kind, sector, commune), like the national
 * "Annuaire de l'éducation" every real system refers to: the Lycées numériques API describes these
 * establishments, the GRC ties requests to them and the open data portal funds them, all by UAI.
 * No package ships it, so it is drawn from the seed; every stand-in that needs lycées reads this one
 * list, so a UAI means the same establishment in every system, as in production.
 */
import { createRng, type Rng } from './random.ts';
import { idfCommunes, type RefCommune } from './territory.ts';

export type TypeEtablissement = 'LGT' | 'LP' | 'LPO' | 'LEGTA';
export type Secteur = 'PU' | 'PR';
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

/** Public lycées of Île-de-France (the region's own network). */
export const PUBLIC_LYCEES = 470;
/** Private lycées under contract known to the Direction du numérique. */
export const PRIVATE_LYCEES = 190;

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

export interface EstablishmentRegister {
  /** Ordered by UAI. */
  etablissements: Etablissement[];
  byUai: Map<string, Etablissement>;
  byCommune: Map<string, Etablissement[]>;
}

const registers = new Map<number, EstablishmentRegister>();

/** The register for a seed (computed once per process and seed). */
export function establishmentRegister(seed: number): EstablishmentRegister {
  const cached = registers.get(seed);
  if (cached) return cached;
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
  const register = { etablissements, byUai, byCommune };
  registers.set(seed, register);
  return register;
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

