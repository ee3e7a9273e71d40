/**
 * The routing rules file (ROUTING_RULES_PATH, default `subgraphs/requests/intake/routing-rules.json`):
 * configuration the region's staff edit without a release, read and checked once at start-up so a
 * typo stops the subgraph with a message naming the file and the JSON path, not a misrouted request.
 *
 * Format (keys starting with `$` are comments and ignored):
 * {
 *   "lycee":      { "category": "LYC-BAT" },        // category of a lycée request filed without one
 *   "categories": { "GEN-REC": "TER", "X": "SPORT" }, // category → service code; "TER" = the territorial
 *                                                     // service of the commune's département. Categories
 *                                                     // not listed use the GRC's t_categorie.id_service_defaut.
 *   "keywords": [                                      // tried in order; the best score wins, ties go to the first
 *     { "service": "TRANSPORTS", "category": "TRA-LIG", "terms": ["bus", "transport*", "vélo*", "forfait navigo"] }
 *   ],
 *   "territory":  { "category": "GEN-INF" }           // category of a request no rule placed
 * }
 * A term is one or more words, matched on whole words of the subject and description, in a row,
 * accent- and case-insensitively; a word ending in `*` is a prefix ("transport*" matches
 * "transports", "dépôt* sauvage*" matches "dépôts sauvages").
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../../../common/env.ts';
import { foldText } from '../../kit/index.ts';
import type { CategoryRecord, ServiceRecord } from '../connector.ts';

/** In `categories`, routes to the territorial service of the commune's département. */
export const TERRITORIAL = 'TER';

export interface KeywordTerm {
  /** As written in the file, for the `matched` answer. */
  text: string;
  /** Folded words (lower case, no accents), each whole or, when written with `*`, a prefix. */
  words: { word: string; prefix: boolean }[];
}

export interface KeywordRule {
  service: string;
  category: string;
  terms: KeywordTerm[];
}

export interface RoutingRules {
  /** Where the rules were read, for messages. */
  source: string;
  lyceeCategory: string;
  categories: ReadonlyMap<string, string>;
  keywords: KeywordRule[];
  territoryCategory: string;
}

/** Reads and checks the file; throws ConfigError listing every problem with its JSON path. */
export function loadRoutingRules(path: string): RoutingRules {
  const source = resolve(path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(source, 'utf8'));
  } catch (error) {
    throw new ConfigError(`ROUTING_RULES_PATH=${path}: cannot read the routing rules (${(error as Error).message})`);
  }
  return parseRoutingRules(raw, source);
}

/** Checks the shape of already-parsed rules (exported for tests and tools). */
export function parseRoutingRules(raw: unknown, source: string): RoutingRules {
  const problems: string[] = [];
  const at = (path: string, message: string) => void problems.push(`${path}: ${message}`);
  const root = object(raw, '$', at, ['lycee', 'categories', 'keywords', 'territory']);
  const code = (value: unknown, path: string): string => {
    if (typeof value === 'string' && /^[A-Za-z][A-Za-z0-9_-]{0,19}$/.test(value)) return value;
    at(path, `expected a GRC code (letters, digits, "-" or "_"), got ${JSON.stringify(value)}`);
    return '';
  };

  const lyceeCategory = code(object(root?.lycee, '$.lycee', at, ['category'])?.category, '$.lycee.category');
  const territoryCategory = code(object(root?.territory, '$.territory', at, ['category'])?.category, '$.territory.category');
  const categories = new Map<string, string>();
  const overrides = object(root?.categories, '$.categories', at, null) ?? {};
  for (const [category, service] of Object.entries(overrides)) {
    if (category.startsWith('$')) continue;
    categories.set(code(category, `$.categories (key)`), code(service, `$.categories.${category}`));
  }

  const keywords: KeywordRule[] = [];
  const list = root?.keywords;
  if (!isArray(list)) at('$.keywords', 'expected an array of keyword rules');
  else {
    list.forEach((entry, i) => {
      const path = `$.keywords[${i}]`;
      const rule = object(entry, path, at, ['service', 'category', 'terms']);
      if (!rule) return;
      const terms: KeywordTerm[] = [];
      if (!isArray(rule.terms) || rule.terms.length === 0) at(`${path}.terms`, 'expected a non-empty array of terms');
      else {
        rule.terms.forEach((term, j) => {
          const parsed = typeof term === 'string' ? parseTerm(term) : null;
          if (!parsed) at(`${path}.terms[${j}]`, `expected words with an optional trailing "*", got ${JSON.stringify(term)}`);
          else terms.push(parsed);
        });
      }
      keywords.push({ service: code(rule.service, `${path}.service`), category: code(rule.category, `${path}.category`), terms });
    });
  }

  if (problems.length > 0) throw new ConfigError(`Invalid routing rules in ${source}:\n  ${problems.join('\n  ')}`);
  return { source, lyceeCategory, categories, keywords, territoryCategory };
}

/**
 * What the rules name that the GRC does not have (or no longer uses): checked at start-up against
 * `t_service` and `t_categorie`, so a renamed service is caught before a request is routed to it.
 */
export function checkAgainstGrc(rules: RoutingRules, services: ServiceRecord[], categories: CategoryRecord[]): string[] {
  const activeServices = new Set(services.filter((s) => s.active).map((s) => s.code));
  const activeCategories = new Set(categories.filter((c) => c.active).map((c) => c.code));
  const problems: string[] = [];
  const category = (value: string, path: string) => {
    if (!activeCategories.has(value)) problems.push(`${path}: no active GRC category "${value}"`);
  };
  const service = (value: string, path: string) => {
    if (value !== TERRITORIAL && !activeServices.has(value)) problems.push(`${path}: no active GRC service "${value}"`);
  };
  category(rules.lyceeCategory, '$.lycee.category');
  category(rules.territoryCategory, '$.territory.category');
  for (const [key, value] of rules.categories) {
    category(key, `$.categories.${key}`);
    service(value, `$.categories.${key}`);
  }
  rules.keywords.forEach((rule, i) => {
    service(rule.service, `$.keywords[${i}].service`);
    category(rule.category, `$.keywords[${i}].category`);
  });
  if (!services.some((s) => s.active && s.kind === 'LYCEES')) problems.push('the GRC has no active lycée service (type_service LYC)');
  return problems;
}

/** Splits a text into folded words: the unit keyword terms are matched on. */
export function words(text: string): string[] {
  return foldText(text).split(/[^a-z0-9]+/).filter((word) => word !== '');
}

function parseTerm(text: string): KeywordTerm | null {
  const termWords: KeywordTerm['words'] = [];
  for (const token of text.trim().split(/\s+/)) {
    const prefix = token.endsWith('*');
    const folded = words(prefix ? token.slice(0, -1) : token);
    if (folded.length === 0 || /\*./.test(token)) return null;
    // "l'eau*" folds to two words: only the last one is a prefix.
    folded.forEach((word, i) => termWords.push({ word, prefix: prefix && i === folded.length - 1 }));
  }
  return { text: text.trim(), words: termWords };
}

type Json = Record<string, unknown>;

const isArray = (value: unknown): value is unknown[] => Array.isArray(value);

/** An object whose keys are among `allowed` (null: any); a typo'd key is an error, not ignored. */
function object(value: unknown, path: string, at: (path: string, message: string) => void, allowed: string[] | null): Json | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    at(path, 'expected an object');
    return null;
  }
  if (allowed) {
    for (const key of Object.keys(value)) if (!key.startsWith('$') && !allowed.includes(key)) at(`${path}.${key}`, `unknown key (expected ${allowed.join(', ')})`);
  }
  return value as Json;
}
