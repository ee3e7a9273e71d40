/**
 * Deterministic generation of the GRC's content: services, categories, agents, and requests with
 * their event history, over the three years before a FIXED reference date (not `now()`), so the
 * same seed and request count always yield the same rows, byte for byte.
 *
 * Requests are placed in real communes weighted by population. Lycée-related ones carry the UAI of
 * a public lycée of the shared establishment register (legacy/kit/establishments.ts), the same
 * UAIs the Lycées API serves, as in production where every system uses the national register.
 */
import { createRng, establishmentRegister, idfCommunes, idfDepartements, type RefCommune, type Rng } from '../kit/index.ts';
import { CATEGORIES, FIRST_NAMES, LAST_NAMES, TEXTS, TERRITORIAL_PACE, THEMATIC_SERVICES, territorialServiceCode } from './catalogue.ts';

/** End of the generated history; every event happens before it. */
export const REFERENCE_DATE = new Date('2026-11-01T00:00:00.000Z');
const HISTORY_MS = 3 * 365.25 * 24 * 3600_000;
const HOUR = 3600_000;
const DAY = 24 * HOUR;

export type StatusCode = 'NOU' | 'QUA' | 'ENC' | 'ATT' | 'RES' | 'CLO' | 'REJ';
export type Canal = 'WEB' | 'MAIL' | 'TEL' | 'COURRIER' | 'GUICHET';

export interface ServiceRow { id_service: number; code_service: string; libelle: string; type_service: 'THE' | 'TER' | 'LYC'; code_departement: string | null; email_service: string; pace: number }
export interface CategoryRow { id_categorie: number; code_categorie: string; libelle: string; id_service_defaut: number | null; delai_cible_jours: number }
export interface AgentRow { id_agent: number; matricule: string; nom: string; prenom: string; email: string; id_service: number }
export interface DemandeRow {
  id_demande: number; num_demande: string; objet: string; description: string; code_statut: StatusCode;
  id_service: number; id_categorie: number; code_insee: string; code_uai: string | null; canal: Canal;
  contact_nom: string; contact_email: string | null; contact_tel: string | null; id_agent: number | null;
  date_creation: Date; date_maj: Date; date_cloture: Date | null;
}
export interface EvenementRow {
  id_evenement: number; id_demande: number; date_evenement: Date; type_evenement: 'CRE' | 'STA' | 'AFF' | 'MSG';
  code_statut_avant: StatusCode | null; code_statut_apres: StatusCode; commentaire: string; visible_usager: boolean;
  auteur: string; id_agent: number | null; id_service: number | null;
}
export interface LyceeRef { uai: string; commune: RefCommune }

export interface GrcDataset {
  services: ServiceRow[];
  categories: CategoryRow[];
  agents: AgentRow[];
  lycees: LyceeRef[];
  demandes: DemandeRow[];
  evenements: EvenementRow[];
}

export interface GenerateOptions {
  seed: number;
  /** How many requests to generate (GRC_SEED_REQUESTS). */
  requestCount: number;
}

export { uaiCheckLetter } from '../kit/index.ts';

export function generateGrcData(options: GenerateOptions): GrcDataset {
  // Separate streams, so the request count does not change services, agents or lycées.
  const services = buildServices();
  const categories = buildCategories(services);
  const agents = buildAgents(services, createRng(options.seed ^ 0x5a5a));
  const lycees = buildLycees(options.seed);
  const { demandes, evenements } = buildRequests(options, services, categories, agents, lycees);
  return { services, categories, agents, lycees, demandes, evenements };
}

function buildServices(): ServiceRow[] {
  const rows: ServiceRow[] = THEMATIC_SERVICES.map((s, i) => ({
    id_service: i + 1, code_service: s.code, libelle: s.libelle, type_service: s.type,
    code_departement: null, email_service: `${s.code.toLowerCase()}@grc.iledefrance.example`, pace: s.pace,
  }));
  for (const dep of idfDepartements) {
    const code = territorialServiceCode(dep.code);
    rows.push({
      id_service: rows.length + 1, code_service: code, libelle: `Antenne territoriale ${dep.name}`, type_service: 'TER',
      code_departement: dep.code, email_service: `${code.toLowerCase()}@grc.iledefrance.example`, pace: TERRITORIAL_PACE,
    });
  }
  return rows;
}

function buildCategories(services: ServiceRow[]): CategoryRow[] {
  return CATEGORIES.map((c, i) => ({
    id_categorie: i + 1, code_categorie: c.code, libelle: c.libelle,
    id_service_defaut: c.service === null ? null : services.find((s) => s.code_service === c.service)!.id_service,
    delai_cible_jours: c.targetDays,
  }));
}

function buildAgents(services: ServiceRow[], rng: Rng): AgentRow[] {
  const agents: AgentRow[] = [];
  for (const service of services) {
    const count = service.type_service === 'TER' ? rng.int(2, 4) : rng.int(4, 8);
    for (let i = 0; i < count; i++) {
      const id = agents.length + 1;
      const prenom = rng.pick(FIRST_NAMES);
      const nom = rng.pick(LAST_NAMES);
      agents.push({
        id_agent: id, matricule: `AG${String(id).padStart(4, '0')}`, nom, prenom,
        email: `${ascii(prenom)}.${ascii(nom)}${id}@grc.iledefrance.example`, id_service: service.id_service,
      });
    }
  }
  return agents;
}

/** The public lycées of the shared register, with their commune. */
function buildLycees(seed: number): LyceeRef[] {
  const communes = new Map(idfCommunes.map((c) => [c.code, c]));
  return establishmentRegister(seed)
    .etablissements.filter((e) => e.secteur === 'PU')
    .map((e) => ({ uai: e.uai, commune: communes.get(e.code_commune)! }));
}

interface Draft {
  created: Date;
  category: CategoryRow;
  spec: (typeof CATEGORIES)[number];
  commune: RefCommune;
  uai: string | null;
  canal: Canal;
}

function buildRequests(
  options: GenerateOptions,
  services: ServiceRow[],
  categories: CategoryRow[],
  agents: AgentRow[],
  lycees: LyceeRef[],
): { demandes: DemandeRow[]; evenements: EvenementRow[] } {
  const rng = createRng(options.seed);
  const populated = idfCommunes.filter((c) => c.population > 0);
  const canals: [Canal, number][] = [['WEB', 55], ['MAIL', 20], ['TEL', 15], ['COURRIER', 5], ['GUICHET', 5]];

  const drafts: Draft[] = [];
  for (let i = 0; i < options.requestCount; i++) {
    const index = rng.weighted(CATEGORIES.map((_, k) => k), (k) => CATEGORIES[k]!.weight);
    const spec = CATEGORIES[index]!;
    let commune = rng.weighted(populated, (c) => c.population);
    let uai: string | null = null;
    if (lycees.length > 0 && rng.chance(spec.lyceeShare)) {
      const lycee = rng.pick(lycees);
      uai = lycee.uai;
      commune = lycee.commune;
    }
    drafts.push({ created: drawCreationDate(rng), category: categories[index]!, spec, commune, uai, canal: rng.weighted(canals, (c) => c[1])[0] });
  }
  drafts.sort((a, b) => a.created.getTime() - b.created.getTime());

  const perYear = new Map<number, number>();
  const demandes: DemandeRow[] = [];
  const drafted: Omit<EvenementRow, 'id_evenement'>[] = [];
  drafts.forEach((draft, i) => {
    const id = i + 1;
    const year = draft.created.getUTCFullYear();
    const sequence = (perYear.get(year) ?? 0) + 1;
    perYear.set(year, sequence);
    const { demande, events } = simulate(rng, draft, id, `IDF-${year}-${String(sequence).padStart(6, '0')}`, services, agents);
    demandes.push(demande);
    drafted.push(...events);
  });

  // Event ids follow time, as in the real GRC: pollers rely on `id_evenement` growing.
  drafted.sort((a, b) => a.date_evenement.getTime() - b.date_evenement.getTime() || a.id_demande - b.id_demande);
  return { demandes, evenements: drafted.map((e, i) => ({ id_evenement: i + 1, ...e })) };
}

/** Three years of requests, slowly growing, mostly on working days and hours (UTC). */
function drawCreationDate(rng: Rng): Date {
  for (;;) {
    const x = rng.next();
    if (rng.next() > 0.75 + 0.25 * x) continue;
    const day = new Date(REFERENCE_DATE.getTime() - HISTORY_MS + x * HISTORY_MS);
    const weekend = day.getUTCDay() === 0 || day.getUTCDay() === 6;
    if (weekend && rng.chance(0.65)) continue;
    day.setUTCHours(rng.int(6, 19), rng.int(0, 59), rng.int(0, 59), rng.int(0, 999));
    if (day.getTime() < REFERENCE_DATE.getTime()) return day;
  }
}

function simulate(
  rng: Rng,
  draft: Draft,
  id: number,
  reference: string,
  services: ServiceRow[],
  agents: AgentRow[],
): { demande: DemandeRow; events: Omit<EvenementRow, 'id_evenement'>[] } {
  const territorial = services.find((s) => s.code_service === territorialServiceCode(draft.commune.departement))!;
  let service = services.find((s) => s.id_service === draft.category.id_service_defaut) ?? territorial;
  const pace = service.pace * lognormal(rng, 0.35);
  const events: Omit<EvenementRow, 'id_evenement'>[] = [];
  let t = draft.created.getTime();
  let status: StatusCode = 'NOU';
  const push = (type: EvenementRow['type_evenement'], after: StatusCode, commentaire: string, visible: boolean, auteur: string, extra: Partial<EvenementRow> = {}) => {
    events.push({
      id_demande: id, date_evenement: new Date(t), type_evenement: type, code_statut_avant: type === 'CRE' ? null : status,
      code_statut_apres: after, commentaire, visible_usager: visible, auteur, id_agent: null, id_service: null, ...extra,
    });
    status = after;
  };
  const serviceAgent = () => rng.pick(agents.filter((a) => a.id_service === service.id_service));

  const canalText = { WEB: 'formulaire en ligne', MAIL: 'courriel', TEL: 'téléphone', COURRIER: 'courrier postal', GUICHET: 'accueil physique' }[draft.canal];
  push('CRE', 'NOU', TEXTS.created.replace('{canal}', canalText), true, draft.canal === 'WEB' || draft.canal === 'MAIL' ? 'USAGER' : 'SYSTEME');

  // Qualification: rejected, re-routed, or accepted by the service.
  t += exponential(rng, 20 * HOUR * pace);
  if (rng.chance(draft.spec.rejectShare)) {
    push('STA', 'REJ', rng.pick(TEXTS.rejected), true, serviceAgent().matricule);
  } else {
    if (service.type_service !== 'TER' && rng.chance(0.07)) {
      service = territorial;
      push('AFF', status, TEXTS.rerouted.replace('{service}', territorial.libelle), true, 'SYSTEME', { id_service: territorial.id_service });
      t += exponential(rng, 6 * HOUR);
    }
    push('STA', 'QUA', TEXTS.qualified.replace('{service}', service.libelle), true, 'SYSTEME');
    t += exponential(rng, 30 * HOUR * pace);
    const agent = serviceAgent();
    push('AFF', status, `Affectée à ${agent.prenom} ${agent.nom}`, false, 'SYSTEME', { id_agent: agent.id_agent, id_service: service.id_service });
    push('STA', 'ENC', TEXTS.inProgress, true, agent.matricule);

    let remaining = draft.category.delai_cible_jours * DAY * pace * lognormal(rng, 0.6);
    for (let n = rng.int(0, 2); n > 0; n--) {
      const step = remaining * rng.next() * 0.5;
      t += step;
      remaining -= step;
      push('MSG', status, rng.pick(TEXTS.internalNotes), false, agent.matricule);
    }
    let abandoned = false;
    if (rng.chance(0.22)) {
      t += remaining * 0.3;
      remaining *= 0.7;
      push('MSG', status, rng.pick(TEXTS.askCitizen), true, agent.matricule);
      push('STA', 'ATT', 'En attente de précisions de votre part.', true, agent.matricule);
      if (rng.chance(0.85)) {
        t += exponential(rng, 4 * DAY);
        push('MSG', status, rng.pick(TEXTS.citizenReplies), true, 'USAGER');
        push('STA', 'ENC', TEXTS.inProgress, true, 'SYSTEME');
      } else {
        t += 30 * DAY;
        push('STA', 'REJ', TEXTS.noReply, true, 'SYSTEME');
        abandoned = true;
      }
    }
    if (!abandoned) {
      t += remaining;
      push('STA', 'RES', rng.pick(TEXTS.resolved), true, agent.matricule);
      t += rng.int(10, 30) * DAY + rng.int(0, 3600_000);
      push('STA', 'CLO', TEXTS.closed, true, 'SYSTEME');
    }
  }

  // What the GRC holds today: the history up to the reference date, and a few requests that
  // were simply forgotten at some step.
  let kept = events.filter((e) => e.date_evenement.getTime() < REFERENCE_DATE.getTime());
  if (rng.chance(0.03)) kept = kept.slice(0, rng.int(1, kept.length));
  const last = kept.at(-1)!;
  const ending = [...kept].reverse().find((e) => e.code_statut_apres === 'RES' || e.code_statut_apres === 'REJ');
  const final = last.code_statut_apres;
  const assigned = [...kept].reverse().find((e) => e.type_evenement === 'AFF' && e.id_agent !== null);
  const routed = [...kept].reverse().find((e) => e.type_evenement === 'AFF' && e.id_service !== null);
  const firstService = services.find((s) => s.id_service === draft.category.id_service_defaut) ?? territorial;

  const prenom = rng.pick(FIRST_NAMES);
  const nom = rng.pick(LAST_NAMES);
  const hasEmail = draft.canal !== 'COURRIER' && draft.canal !== 'TEL' ? true : rng.chance(0.5);
  const subject = rng.pick(draft.spec.subjects).replaceAll('{commune}', draft.commune.name);
  const lyceeLine = draft.uai ? ` Établissement concerné : lycée ${draft.uai}.` : '';
  return {
    demande: {
      id_demande: id, num_demande: reference, objet: subject,
      description: `${rng.pick(TEXTS.descriptionOpenings).replaceAll('{commune}', draft.commune.name)} ${subject}.${lyceeLine} ${rng.pick(TEXTS.descriptionClosings)}`,
      code_statut: final, id_service: routed?.id_service ?? firstService.id_service, id_categorie: draft.category.id_categorie,
      code_insee: draft.commune.code, code_uai: draft.uai, canal: draft.canal,
      contact_nom: `${prenom} ${nom}`,
      contact_email: hasEmail ? `${ascii(prenom)}.${ascii(nom)}${rng.int(1, 99)}@courriel.example` : null,
      contact_tel: draft.canal === 'TEL' || rng.chance(0.4) ? `06${String(rng.int(0, 99_999_999)).padStart(8, '0')}` : null,
      id_agent: assigned?.id_agent ?? null,
      date_creation: draft.created, date_maj: last.date_evenement,
      date_cloture: ending && (final === 'RES' || final === 'CLO' || final === 'REJ') ? ending.date_evenement : null,
    },
    events: kept,
  };
}

function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng.next()) * mean;
}

/** exp(σ·N(0,1)): a positive factor around 1 with a long right tail, like real handling times. */
function lognormal(rng: Rng, sigma: number): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

function ascii(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().replace(/[^a-z]/g, '');
}
