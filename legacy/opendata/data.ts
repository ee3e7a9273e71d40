/**
 * The decision-support warehouse's published datasets, generated from the seed: the region's
 * programmes, every investment (2021–2026) placed in a real Île-de-France commune, and yearly
 * indicators per commune and per département. Lycée investments carry the UAI of a public lycée
 * of the shared establishment register (legacy/kit/establishments.ts), as the real warehouse does.
 */
import { createRng, establishmentRegister, idfCommunes, idfDepartements, type RefCommune, type Rng } from '../kit/index.ts';
import type { FieldSpec, Row } from './evaluate.ts';

export interface Dataset {
  id: string;
  title: string;
  description: string;
  fields: FieldSpec[];
  records: Row[];
}

interface ProgrammeTemplate {
  id: string;
  nom: string;
  thematique: string;
  annee_debut: number;
  annee_fin: number;
  /** Who receives the money: lycées (with a UAI) or communes. */
  target: 'lycee' | 'commune';
  amount: [number, number];
  objects: string[];
  /** Relative frequency for a commune of this population. */
  weight: (population: number) => number;
}

const everywhere = () => 1;
const PROGRAMMES: ProgrammeTemplate[] = [
  { id: 'PRG-001', nom: 'Lycées numériques', thematique: 'numerique', annee_debut: 2017, annee_fin: 2027, target: 'lycee', amount: [20_000, 450_000], objects: ['tablettes et ordinateurs portables', 'réseau wifi', 'écrans interactifs', 'serveurs pédagogiques'], weight: everywhere },
  { id: 'PRG-002', nom: 'Équipement des lycées', thematique: 'equipement', annee_debut: 2016, annee_fin: 2028, target: 'lycee', amount: [15_000, 600_000], objects: ['mobilier', 'équipements de laboratoire', 'plateaux techniques', 'équipements sportifs'], weight: everywhere },
  { id: 'PRG-003', nom: 'Rénovation énergétique des lycées', thematique: 'energie', annee_debut: 2020, annee_fin: 2030, target: 'lycee', amount: [150_000, 4_500_000], objects: ['isolation des façades', 'remplacement des menuiseries', 'raccordement au chauffage urbain', 'panneaux photovoltaïques'], weight: everywhere },
  { id: 'PRG-004', nom: 'Plan vélo', thematique: 'mobilite', annee_debut: 2017, annee_fin: 2027, target: 'commune', amount: [30_000, 1_200_000], objects: ['piste cyclable', 'stationnement vélo sécurisé', 'jalonnement cyclable', 'résorption de coupure'], weight: (p) => (p > 5_000 ? 3 : 1) },
  { id: 'PRG-005', nom: 'Soutien aux communes rurales', thematique: 'amenagement', annee_debut: 2016, annee_fin: 2028, target: 'commune', amount: [10_000, 300_000], objects: ['rénovation de la mairie', 'aménagement du centre-bourg', 'école communale', 'salle polyvalente'], weight: (p) => (p < 2_000 ? 8 : p < 10_000 ? 1 : 0) },
  { id: 'PRG-006', nom: 'Très haut débit', thematique: 'numerique', annee_debut: 2015, annee_fin: 2025, target: 'commune', amount: [20_000, 800_000], objects: ['déploiement de la fibre', 'montée en débit', 'raccordement des écoles'], weight: (p) => (p < 5_000 ? 3 : 1) },
  { id: 'PRG-007', nom: "Contrats d'aménagement régionaux", thematique: 'amenagement', annee_debut: 2018, annee_fin: 2028, target: 'commune', amount: [100_000, 2_000_000], objects: ['requalification de place', 'équipement public de proximité', 'voirie et espaces publics'], weight: everywhere },
  { id: 'PRG-008', nom: 'Plan vert', thematique: 'environnement', annee_debut: 2017, annee_fin: 2030, target: 'commune', amount: [20_000, 900_000], objects: ['création d’espace vert', 'renaturation de cour', 'plantation d’arbres', 'îlot de fraîcheur'], weight: (p) => (p > 10_000 ? 3 : 1) },
  { id: 'PRG-009', nom: 'Équipements sportifs de proximité', thematique: 'sport', annee_debut: 2019, annee_fin: 2026, target: 'commune', amount: [50_000, 1_500_000], objects: ['gymnase', 'terrain synthétique', 'piscine', 'city-stade'], weight: everywhere },
  { id: 'PRG-010', nom: 'Fabriques de culture', thematique: 'culture', annee_debut: 2018, annee_fin: 2027, target: 'commune', amount: [25_000, 700_000], objects: ['médiathèque', 'salle de spectacle', 'cinéma', 'lieu de création'], weight: (p) => (p > 3_000 ? 2 : 0.5) },
  { id: 'PRG-011', nom: 'Santé de proximité', thematique: 'sante', annee_debut: 2020, annee_fin: 2028, target: 'commune', amount: [80_000, 1_000_000], objects: ['maison de santé pluriprofessionnelle', 'centre de santé', 'cabinet médical'], weight: (p) => (p < 20_000 ? 2 : 1) },
  { id: 'PRG-012', nom: 'Aménagement des gares', thematique: 'mobilite', annee_debut: 2021, annee_fin: 2030, target: 'commune', amount: [100_000, 3_000_000], objects: ['pôle d’échanges', 'parc relais', 'accessibilité de la gare'], weight: (p) => (p > 8_000 ? 1.5 : 0.2) },
];

export const INVESTMENT_YEARS = [2021, 2022, 2023, 2024, 2025, 2026] as const;
const INDICATOR_YEARS = [2019, 2020, 2021, 2022, 2023, 2024, 2025] as const;

interface Lycee {
  uai: string;
  commune: RefCommune;
}

function roundTo(value: number, step: number): number {
  // toFixed: 0.1 steps would otherwise publish values such as 98.10000000000001.
  return Number((Math.round(value / step) * step).toFixed(Math.max(0, -Math.floor(Math.log10(step)))));
}

/** The public lycées of the shared register: the portal funds the same establishments, by UAI, that the other systems know. */
function makeLycees(seed: number): Lycee[] {
  const communes = new Map(idfCommunes.map((c) => [c.code, c]));
  return establishmentRegister(seed)
    .etablissements.filter((e) => e.secteur === 'PU')
    .map((e) => ({ uai: e.uai, commune: communes.get(e.code_commune)! }));
}

function statusFor(rng: Rng, year: number): string {
  if (year <= 2022) return rng.chance(0.9) ? 'solde' : 'en_cours';
  if (year <= 2024) return rng.pick(['en_cours', 'en_cours', 'solde']);
  if (year === 2025) return rng.pick(['engage', 'en_cours']);
  return rng.pick(['vote', 'vote', 'engage']);
}

function makeInvestments(rng: Rng, lycees: Lycee[]): Row[] {
  const records: Row[] = [];
  const add = (p: ProgrammeTemplate, year: number, commune: RefCommune, uai: string | null, where: string) => {
    records.push({
      id: `INV-${String(records.length + 1).padStart(6, '0')}`,
      programme_id: p.id,
      annee: year,
      montant_eur: roundTo(p.amount[0] + rng.next() ** 2 * (p.amount[1] - p.amount[0]), 100),
      code_insee: commune.code,
      code_departement: commune.departement,
      uai,
      libelle: `${p.nom} — ${rng.pick(p.objects)}, ${where}`,
      statut: statusFor(rng, year),
    });
  };
  for (const year of INVESTMENT_YEARS) {
    const active = PROGRAMMES.filter((p) => p.annee_debut <= year && year <= p.annee_fin);
    const forCommunes = active.filter((p) => p.target === 'commune');
    const forLycees = active.filter((p) => p.target === 'lycee');
    for (const commune of idfCommunes) {
      const eligible = forCommunes.filter((p) => p.weight(commune.population) > 0);
      const count = rng.int(0, 4) + Math.floor(commune.population / 15_000);
      for (let i = 0; i < count && eligible.length; i++) {
        add(rng.weighted(eligible, (p) => p.weight(commune.population)), year, commune, null, commune.name);
      }
    }
    for (const lycee of lycees) {
      const count = rng.int(0, 3);
      for (let i = 0; i < count; i++) add(rng.pick(forLycees), year, lycee.commune, lycee.uai, `lycée ${lycee.uai}`);
    }
  }
  return records;
}

function makeProgrammes(rng: Rng, investments: Row[]): Row[] {
  return PROGRAMMES.map((p) => {
    const invested = investments.filter((i) => i.programme_id === p.id).reduce((s, i) => s + Number(i.montant_eur), 0);
    return {
      id: p.id,
      nom: p.nom,
      thematique: p.thematique,
      annee_debut: p.annee_debut,
      annee_fin: p.annee_fin,
      budget_eur: Math.ceil((invested * (1.1 + rng.next() * 0.3)) / 100_000) * 100_000,
    };
  });
}

function makeIndicators(rng: Rng, lycees: Lycee[]): Row[] {
  const records: Row[] = [];
  const push = (level: { code_insee: string | null; code_departement: string | null }, annee: number, indicateur: string, valeur: number, unite: string) =>
    records.push({ id: `IND-${String(records.length + 1).padStart(6, '0')}`, ...level, annee, indicateur, valeur, unite });

  const byDep = new Map<string, { population: number; chomage: number; social: number; fibre: number }[]>();
  for (const commune of idfCommunes) {
    const chomage = 4 + rng.next() * 10 + (commune.departement === '93' ? 3 : 0);
    const social = commune.population < 2_000 ? rng.next() * 8 : 5 + rng.next() * 45;
    const fibreStart = commune.population < 2_000 ? 20 + rng.next() * 40 : 60 + rng.next() * 35;
    INDICATOR_YEARS.forEach((annee, k) => {
      const level = { code_insee: commune.code, code_departement: null };
      const c = Math.max(2, chomage + (annee === 2020 ? 1.2 : 0) - k * 0.15 + (rng.next() - 0.5));
      const s = Math.min(80, social + k * 0.3);
      const f = Math.min(100, fibreStart + k * (100 - fibreStart) * 0.18);
      push(level, annee, 'taux_chomage', roundTo(c, 0.1), '%');
      push(level, annee, 'part_logements_sociaux', roundTo(s, 0.1), '%');
      push(level, annee, 'couverture_fibre', roundTo(f, 0.1), '%');
      let list = byDep.get(commune.departement);
      if (!list) byDep.set(commune.departement, (list = []));
      if (k === 0) list.push({ population: commune.population, chomage: c, social: s, fibre: f });
    });
  }
  for (const dep of idfDepartements) {
    const communes = byDep.get(dep.code) ?? [];
    const population = communes.reduce((s, c) => s + c.population, 0) || 1;
    const mean = (pick: (c: (typeof communes)[number]) => number) => communes.reduce((s, c) => s + pick(c) * c.population, 0) / population;
    const lyceeCount = lycees.filter((l) => l.commune.departement === dep.code).length;
    INDICATOR_YEARS.forEach((annee, k) => {
      const level = { code_insee: null, code_departement: dep.code };
      push(level, annee, 'taux_chomage', roundTo(mean((c) => c.chomage) - k * 0.15, 0.1), '%');
      push(level, annee, 'part_logements_sociaux', roundTo(mean((c) => c.social) + k * 0.3, 0.1), '%');
      push(level, annee, 'couverture_fibre', roundTo(Math.min(100, mean((c) => c.fibre) + k * 4), 0.1), '%');
      push(level, annee, 'nb_eleves_lycee', lyceeCount * rng.int(820, 980), 'élèves');
    });
  }
  return records;
}

const text = (name: string, label: string): FieldSpec => ({ name, type: 'text', label });
const int = (name: string, label: string): FieldSpec => ({ name, type: 'int', label });
const double = (name: string, label: string): FieldSpec => ({ name, type: 'double', label });

/** Every dataset of the portal, by id. Deterministic for a given seed. */
export function generateDatasets(seed: number): Map<string, Dataset> {
  const rng = createRng(seed ^ 0x0da7a);
  const lycees = makeLycees(seed);
  const investments = makeInvestments(rng, lycees);
  const datasets: Dataset[] = [
    {
      id: 'programmes',
      title: 'Programmes régionaux',
      description: "Programmes d'intervention de la Région, avec leur thématique, leur période et leur budget.",
      fields: [text('id', 'Identifiant'), text('nom', 'Nom'), text('thematique', 'Thématique'), int('annee_debut', 'Année de début'), int('annee_fin', 'Année de fin'), double('budget_eur', 'Budget (€)')],
      records: makeProgrammes(rng, investments),
    },
    {
      id: 'investissements',
      title: 'Investissements de la Région par territoire',
      description: 'Opérations financées par la Région, par commune, lycée et année.',
      fields: [
        text('id', 'Identifiant'), text('programme_id', 'Programme'), int('annee', 'Année'), double('montant_eur', 'Montant (€)'),
        text('code_insee', 'Code INSEE de la commune'), text('code_departement', 'Code du département'), text('uai', 'UAI du lycée'),
        text('libelle', 'Libellé'), text('statut', 'Statut (vote, engage, en_cours, solde)'),
      ],
      records: investments,
    },
    {
      id: 'indicateurs',
      title: 'Indicateurs territoriaux',
      description: 'Indicateurs annuels par commune (code_insee) ou par département (code_departement).',
      fields: [
        text('id', 'Identifiant'), text('code_insee', 'Code INSEE de la commune'), text('code_departement', 'Code du département'),
        int('annee', 'Année'), text('indicateur', 'Indicateur'), double('valeur', 'Valeur'), text('unite', 'Unité'),
      ],
      records: makeIndicators(rng, lycees),
    },
  ];
  return new Map(datasets.map((d) => [d.id, d]));
}
