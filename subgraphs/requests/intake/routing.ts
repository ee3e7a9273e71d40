/**
 * Where a new request goes: the one intake address routes every request to one service, by the
 * first rule that applies, in this order (the answer says which, so a citizen or an agent can see
 * why a request landed where it did):
 *   LYCEE     the request is about a lycée → the GRC's lycée service (`type_service` LYC);
 *   CATEGORY  the citizen chose a category → its service in the rules file, else the GRC's default
 *             (`t_categorie.id_service_defaut`; NULL = the territorial service of the département);
 *   KEYWORD   words of the subject or description → the keyword rule with the best score;
 *   TERRITORY nothing else applies → the territorial service of the commune's département (`TER-xx`).
 * A pure function of the rules and the GRC's services and categories, read by the caller.
 */
import { badUserInput, passerelleError } from '../../../common/errors.ts';
import type { CategoryRecord, ServiceRecord } from '../connector.ts';
import { TERRITORIAL, words, type KeywordRule, type KeywordTerm, type RoutingRules } from './routing-rules.ts';

export type RoutingRule = 'LYCEE' | 'CATEGORY' | 'KEYWORD' | 'TERRITORY';

export interface RoutingInput {
  /** The category the citizen chose, already checked to exist; null when none. */
  category: CategoryRecord | null;
  uai: string | null;
  /** Département of the request's commune. */
  departementCode: string;
  subject: string;
  description: string;
}

export interface RoutingDecision {
  service: ServiceRecord;
  /** The category the request is filed under (the GRC requires one). */
  category: CategoryRecord;
  rule: RoutingRule;
  /** What decided: the UAI, the category code, the matched keywords, or the département code. */
  matched: string;
}

export interface ReferenceData {
  services: ServiceRecord[];
  categories: CategoryRecord[];
}

/** Keywords found in the subject weigh this much more than in the description. */
const SUBJECT_WEIGHT = 2;

export function route(rules: RoutingRules, input: RoutingInput, grc: ReferenceData): RoutingDecision {
  const active = grc.services.filter((s) => s.active);
  const territorial = active.find((s) => s.kind === 'TERRITORIAL' && s.departementCode === input.departementCode);
  // Checked first: a commune the region has no antenna for is outside its remit, whatever the rule.
  if (!territorial) throw badUserInput('input.commune', `the commune is outside the region (no territorial service for département ${input.departementCode})`);
  const category = (code: string) => {
    const found = grc.categories.find((c) => c.code === code && c.active);
    if (!found) throw misconfigured(rules, `category "${code}"`);
    return found;
  };
  const service = (code: string) => {
    if (code === TERRITORIAL) return territorial;
    const found = active.find((s) => s.code === code);
    if (!found) throw misconfigured(rules, `service "${code}"`);
    return found;
  };

  if (input.uai !== null) {
    const lycees = active.find((s) => s.kind === 'LYCEES');
    if (!lycees) throw misconfigured(rules, 'lycée service (type_service LYC)');
    return { service: lycees, category: input.category ?? category(rules.lyceeCategory), rule: 'LYCEE', matched: input.uai };
  }

  if (input.category !== null) {
    const override = rules.categories.get(input.category.code);
    // A default service since deactivated takes no new requests: the territorial service does.
    const byDefault = active.find((s) => s.id === input.category!.defaultServiceId) ?? territorial;
    return { service: override ? service(override) : byDefault, category: input.category, rule: 'CATEGORY', matched: input.category.code };
  }

  const best = bestKeywordRule(rules.keywords, input.subject, input.description);
  if (best) {
    return { service: service(best.rule.service), category: category(best.rule.category), rule: 'KEYWORD', matched: best.matched.join(', ') };
  }

  return { service: territorial, category: category(rules.territoryCategory), rule: 'TERRITORY', matched: input.departementCode };
}

export interface KeywordMatch {
  rule: KeywordRule;
  score: number;
  /** The terms found, as written in the rules. */
  matched: string[];
}

/**
 * The keyword rule whose terms best match the text: each distinct term found scores 1, or
 * SUBJECT_WEIGHT when it is in the subject (what the citizen put first says most); ties go to the
 * rule listed first. Null when no term of any rule is found.
 */
export function bestKeywordRule(rules: readonly KeywordRule[], subject: string, description: string): KeywordMatch | null {
  const subjectWords = words(subject);
  const descriptionWords = words(description);
  let best: KeywordMatch | null = null;
  for (const rule of rules) {
    let score = 0;
    const matched: string[] = [];
    for (const term of rule.terms) {
      const inSubject = contains(subjectWords, term.words);
      if (!inSubject && !contains(descriptionWords, term.words)) continue;
      score += inSubject ? SUBJECT_WEIGHT : 1;
      matched.push(term.text);
    }
    if (score > 0 && (best === null || score > best.score)) best = { rule, score, matched };
  }
  return best;
}

/** Whether `text` holds the words of `term` in a row (prefix words matching any word they start). */
function contains(text: readonly string[], term: KeywordTerm['words']): boolean {
  for (let start = 0; start + term.length <= text.length; start++) {
    if (term.every(({ word, prefix }, k) => (prefix ? text[start + k]!.startsWith(word) : text[start + k] === word))) return true;
  }
  return false;
}

function misconfigured(rules: RoutingRules, what: string) {
  return passerelleError('LEGACY_ERROR', `The routing rules (${rules.source}) name a ${what} the GRC does not have active.`, { system: 'grc' });
}
