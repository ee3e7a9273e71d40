/**
 * Routing rules without a database: the rules file is checked with messages naming the JSON path,
 * keywords match whole words or prefixes whatever the accents and case, the best score wins, and
 * the rules are applied in order (lycée, category, keywords, territory).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/env.ts';
import type { CategoryRecord, ServiceRecord } from '../../subgraphs/requests/connector.ts';
import { checkAgainstGrc, loadRoutingRules, parseRoutingRules } from '../../subgraphs/requests/intake/routing-rules.ts';
import { bestKeywordRule, route, type RoutingInput } from '../../subgraphs/requests/intake/routing.ts';

const service = (id: number, code: string, kind: ServiceRecord['kind'], departementCode: string | null = null): ServiceRecord =>
  ({ id, code, name: code, kind, departementCode, active: true });
const category = (id: number, code: string, defaultServiceId: number | null): CategoryRecord =>
  ({ id, code, name: code, defaultServiceId, targetDays: 10, active: true });

const SERVICES = [service(1, 'TRANSPORTS', 'THEMATIC'), service(2, 'LYCEES', 'LYCEES'), service(3, 'CULTURE', 'THEMATIC'), service(4, 'TER-93', 'TERRITORIAL', '93')];
const CATEGORIES = [category(1, 'TRA-ABO', 1), category(2, 'LYC-BAT', 2), category(3, 'GEN-INF', null), category(4, 'CUL-SUB', 3), category(5, 'TRA-LIG', 1)];
const RULES = parseRoutingRules(
  {
    $comment: 'test rules',
    lycee: { category: 'LYC-BAT' },
    categories: { 'TRA-ABO': 'CULTURE', 'CUL-SUB': 'TER' },
    keywords: [
      { service: 'TRANSPORTS', category: 'TRA-LIG', terms: ['bus', 'vélo*', 'forfait navigo', 'dépôt* de bus*'] },
      { service: 'CULTURE', category: 'CUL-SUB', terms: ['festival*', 'concert*', 'bus'] },
    ],
    territory: { category: 'GEN-INF' },
  },
  'test',
);
const input = (overrides: Partial<RoutingInput>): RoutingInput => ({
  category: null, uai: null, departementCode: '93', subject: 'Une question', description: 'Sans mot-clé particulier.', ...overrides,
});
const decide = (overrides: Partial<RoutingInput>) => route(RULES, input(overrides), { services: SERVICES, categories: CATEGORIES });

describe('Routing rules file', () => {
  it('the committed file is valid', () => {
    const rules = loadRoutingRules('subgraphs/requests/intake/routing-rules.json');
    expect(rules.keywords.length).toBeGreaterThan(5);
    expect(rules.territoryCategory).toBe('GEN-INF');
  });

  it('names the JSON path of every problem', () => {
    try {
      parseRoutingRules({ lycee: {}, categories: { 'TRA-ABO': 42 }, keywords: [{ service: 'TRANSPORTS', category: 'TRA-LIG', terms: ['ok', 'bad*word'], colour: 'red' }] }, 'bad.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      for (const path of ['$.lycee.category', '$.territory', '$.categories.TRA-ABO', '$.keywords[0].terms[1]', '$.keywords[0].colour']) expect(message).toContain(path);
    }
  });

  it('refuses a file that is missing or not JSON, naming ROUTING_RULES_PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    writeFileSync(join(dir, 'broken.json'), '{ "lycee": ');
    expect(() => loadRoutingRules(join(dir, 'broken.json'))).toThrow(/ROUTING_RULES_PATH=.*broken\.json/);
    expect(() => loadRoutingRules(join(dir, 'missing.json'))).toThrow(ConfigError);
  });

  it('lists the codes the GRC does not have', () => {
    const rules = parseRoutingRules({ lycee: { category: 'LYC-BAT' }, categories: { 'NOPE-1': 'SPORT' }, keywords: [], territory: { category: 'GEN-INF' } }, 'x');
    expect(checkAgainstGrc(rules, SERVICES, CATEGORIES)).toEqual(['$.categories.NOPE-1: no active GRC category "NOPE-1"', '$.categories.NOPE-1: no active GRC service "SPORT"']);
    expect(checkAgainstGrc(RULES, SERVICES, CATEGORIES)).toEqual([]);
  });
});

describe('Keyword matching', () => {
  const best = (subject: string, description = '') => bestKeywordRule(RULES.keywords, subject, description);

  it('ignores accents and case, on whole words or prefixes', () => {
    for (const text of ['VÉLO', 'velo', 'Vélos électriques', 'un velo-cargo']) expect(best(text)?.matched).toEqual(['vélo*']);
    expect(best('Autobus en retard')).toBeNull();
    expect(best('Abus de pouvoir')).toBeNull();
    expect(best('Vélodrome')?.matched).toEqual(['vélo*']);
  });

  it('matches terms of several words in a row, each possibly a prefix', () => {
    expect(best('Remboursement du FORFAIT Navigo')?.matched).toEqual(['forfait navigo']);
    expect(best('Forfait annuel Navigo')).toBeNull();
    expect(best('Les dépôts de bus', '')?.matched).toEqual(['bus', 'dépôt* de bus*']);
  });

  it('scores each term once, the subject counting double; ties go to the rule listed first', () => {
    expect(best('Concert', 'Un bus pour le festival')).toMatchObject({ rule: { service: 'CULTURE' }, score: 4 });
    expect(best('Bus')).toMatchObject({ rule: { service: 'TRANSPORTS' }, score: 2 });
  });
});

describe('Rule order', () => {
  it('LYCEE first, even with a category', () => {
    expect(decide({ uai: '0930001A', category: CATEGORIES[0]! })).toMatchObject({ rule: 'LYCEE', service: { code: 'LYCEES' }, category: { code: 'TRA-ABO' } });
    expect(decide({ uai: '0930001A' })).toMatchObject({ rule: 'LYCEE', category: { code: 'LYC-BAT' }, matched: '0930001A' });
  });

  it("CATEGORY: the rules file's service wins over the GRC's default, TER meaning the territorial service", () => {
    expect(decide({ category: CATEGORIES[0]!, subject: 'bus' })).toMatchObject({ rule: 'CATEGORY', service: { code: 'CULTURE' }, matched: 'TRA-ABO' });
    expect(decide({ category: CATEGORIES[3]! })).toMatchObject({ rule: 'CATEGORY', service: { code: 'TER-93' } });
    expect(decide({ category: CATEGORIES[4]! })).toMatchObject({ rule: 'CATEGORY', service: { code: 'TRANSPORTS' } });
    expect(decide({ category: CATEGORIES[2]! })).toMatchObject({ rule: 'CATEGORY', service: { code: 'TER-93' } });
  });

  it('KEYWORD, then TERRITORY', () => {
    expect(decide({ subject: 'Ligne de bus' })).toMatchObject({ rule: 'KEYWORD', service: { code: 'TRANSPORTS' }, category: { code: 'TRA-LIG' }, matched: 'bus' });
    expect(decide({})).toMatchObject({ rule: 'TERRITORY', service: { code: 'TER-93' }, category: { code: 'GEN-INF' }, matched: '93' });
  });

  it('refuses a commune of a département the region has no service for', () => {
    expect(() => decide({ departementCode: '13' })).toThrow(/outside the region/);
  });
});
