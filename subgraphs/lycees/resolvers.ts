/**
 * Resolvers of the lycées subgraph. They validate arguments and call only the per-request
 * loaders; records arrive already in the schema's shape from the connector.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { COMMUNE_CODE, DEPARTEMENT_CODE, UAI, expectFormat, pageWindow, toConnection } from '../kit/index.ts';
import type { Lycee, LyceeListFilter } from './connector.ts';
import type { Loaders } from './loaders.ts';

export interface LyceesContext {
  loaders: Loaders;
  /** Largest `first` the connection accepts (MAX_PAGE_SIZE). */
  maxPageSize: number;
}

interface LyceesArgs {
  filter?: LyceeListFilter | null;
  first?: number | null;
  after?: string | null;
}

export const resolvers = {
  Query: {
    lycee: (_: unknown, args: { uai: string }, { loaders }: LyceesContext) => loaders.lycee.load(expectFormat('uai', args.uai, UAI)),

    async lycees(_: unknown, args: LyceesArgs, { loaders, maxPageSize }: LyceesContext) {
      const filter = args.filter ?? {};
      if (filter.commune != null) expectFormat('filter.commune', filter.commune, COMMUNE_CODE);
      if (filter.departement != null) expectFormat('filter.departement', filter.departement, DEPARTEMENT_CODE);
      const { offset, limit } = pageWindow(args, maxPageSize);
      const { items, total } = await loaders.page(filter, offset, limit);
      return toConnection(items, offset, total);
    },
  },

  Lycee: {
    // Representations come from other subgraphs' data (e.g. a GRC request naming a lycée): a
    // malformed UAI there is not the client's input, so it resolves to null like an unknown one.
    __resolveReference: (reference: { uai: string }, { loaders }: LyceesContext) =>
      UAI.test(reference.uai) ? loaders.lycee.load(reference.uai) : null,
    commune: (lycee: Lycee) => ({ code: lycee.communeCode }),
    equipment: async (lycee: Lycee, _: unknown, { loaders }: LyceesContext) => (await loaders.equipment.load(lycee.uai))?.lines ?? [],
    ent: (lycee: Lycee, _: unknown, { loaders }: LyceesContext) => loaders.ent.load(lycee.uai),
    connectivity: (lycee: Lycee, _: unknown, { loaders }: LyceesContext) => loaders.connectivity.load(lycee.uai),
  },

  Commune: {
    __resolveReference: (reference: { code: string }) => ({ code: reference.code }),
    lycees: (commune: { code: string }, _: unknown, { loaders }: LyceesContext) =>
      COMMUNE_CODE.test(commune.code) ? loaders.lyceesOfCommune.load(commune.code) : [],
  },
} satisfies GraphQLResolverMap<LyceesContext>;
