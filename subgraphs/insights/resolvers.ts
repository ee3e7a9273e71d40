/**
 * Insights resolvers: they validate arguments and read through `context.loaders` only. Entities
 * owned elsewhere (Commune, Departement, Lycee) arrive as representations carrying their key, and
 * for `impact` the fields `@requires` brings (population, requestStats.open).
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { badUserInput, passerelleError } from '../kit/index.ts';
import { SYSTEM, type Indicator, type Investment } from './connector.ts';
import { lyceeBudget, territoryImpact, type RequiredTerritoryFields } from './impact.ts';
import type { InsightsLoaders } from './loaders.ts';

export interface InsightsContext {
  loaders: InsightsLoaders;
}

const PROGRAMME_ID = /^PRG-\d{3}$/;
const MIN_YEAR = 2000;
const MAX_YEAR = 2100;

type YearArgs = { year?: number | null };
type CodeRef = { code: string } & RequiredTerritoryFields;
type LyceeRef = { uai: string };

function optionalYear(year: number | null | undefined): number | null {
  if (year === null || year === undefined) return null;
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw badUserInput('year', `${year} is not a year between ${MIN_YEAR} and ${MAX_YEAR}`);
  }
  return year;
}

function requiredYear(year: number | null | undefined): number {
  const checked = optionalYear(year);
  if (checked === null) throw badUserInput('year', 'is required');
  return checked;
}

export const resolvers: GraphQLResolverMap<InsightsContext> = {
  Query: {
    programmes: (_: unknown, __: unknown, { loaders }: InsightsContext) => loaders.programmes(),
    programme: (_: unknown, { id }: { id: string }, { loaders }: InsightsContext) => {
      if (!PROGRAMME_ID.test(id)) throw badUserInput('id', `${JSON.stringify(id.slice(0, 40))} is not a programme identifier (e.g. "PRG-004")`);
      return loaders.programme.load(id);
    },
  },

  Programme: {
    __resolveReference: (ref: { id: string }, { loaders }: InsightsContext) => (PROGRAMME_ID.test(ref.id) ? loaders.programme.load(ref.id) : null),
  },

  Investment: {
    __resolveReference: (ref: { id: string }, { loaders }: InsightsContext) => loaders.investment.load(ref.id),
    programme: async (investment: Investment, _: unknown, { loaders }: InsightsContext) => {
      const programme = await loaders.programme.load(investment.programmeId);
      if (!programme) {
        throw passerelleError('LEGACY_ERROR', `${SYSTEM} published investment ${investment.id} under unknown programme ${investment.programmeId}`, {
          system: SYSTEM,
        });
      }
      return programme;
    },
    commune: (investment: Investment) => (investment.communeCode ? { code: investment.communeCode } : null),
    lycee: (investment: Investment) => (investment.uai ? { uai: investment.uai } : null),
  },

  Indicator: {
    __resolveReference: (ref: { id: string }, { loaders }: InsightsContext) => loaders.indicator.load(ref.id),
    commune: (indicator: Indicator) => (indicator.communeCode ? { code: indicator.communeCode } : null),
    departement: (indicator: Indicator) => (indicator.departementCode ? { code: indicator.departementCode } : null),
  },

  Commune: {
    __resolveReference: (ref: CodeRef) => ref,
    investments: (commune: CodeRef, { year }: YearArgs, { loaders }: InsightsContext) =>
      loaders.investmentsOfCommune.load({ code: commune.code, year: optionalYear(year) }),
    indicators: (commune: CodeRef, { year }: YearArgs, { loaders }: InsightsContext) =>
      loaders.indicatorsOfCommune.load({ code: commune.code, year: optionalYear(year) }),
    impact: async (commune: CodeRef, { year }: YearArgs, { loaders }: InsightsContext) => {
      const checked = requiredYear(year);
      const [totals, programmes] = await Promise.all([loaders.totalsOfCommune.load({ code: commune.code, year: checked }), loaders.programmes()]);
      return territoryImpact(checked, totals, programmes, commune);
    },
  },

  Departement: {
    __resolveReference: (ref: CodeRef) => ref,
    indicators: (departement: CodeRef, { year }: YearArgs, { loaders }: InsightsContext) =>
      loaders.indicatorsOfDepartement.load({ code: departement.code, year: optionalYear(year) }),
    impact: async (departement: CodeRef, { year }: YearArgs, { loaders }: InsightsContext) => {
      const checked = requiredYear(year);
      const [totals, programmes] = await Promise.all([
        loaders.totalsOfDepartement.load({ code: departement.code, year: checked }),
        loaders.programmes(),
      ]);
      return territoryImpact(checked, totals, programmes, departement);
    },
  },

  Lycee: {
    __resolveReference: (ref: LyceeRef) => ref,
    investments: (lycee: LyceeRef, { year }: YearArgs, { loaders }: InsightsContext) =>
      loaders.investmentsOfLycee.load({ code: lycee.uai, year: optionalYear(year) }),
    budget: async (lycee: LyceeRef, { year }: YearArgs, { loaders }: InsightsContext) => {
      const checked = requiredYear(year);
      const [investments, programmes] = await Promise.all([loaders.investmentsOfLycee.load({ code: lycee.uai, year: checked }), loaders.programmes()]);
      return lyceeBudget(checked, investments, programmes);
    },
  },
};
