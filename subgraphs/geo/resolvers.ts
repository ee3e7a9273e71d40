/**
 * Geo resolvers: they validate arguments and read through `context.loaders` only. Codes that are
 * malformed are the client's error (BAD_USER_INPUT naming the argument); codes that are well formed
 * but unknown resolve to null.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import {
  COMMUNE_CODE,
  DEPARTEMENT_CODE,
  POSTAL_CODE,
  REGION_CODE,
  badUserInput,
  expectFormat,
  foldText,
  pageWindow,
  toConnection,
  type PageArgs,
} from '../kit/index.ts';
import type { CommuneRecord, DepartementRecord, RegionRecord } from './connector.ts';
import type { GeoLoaders } from './loaders.ts';

export interface GeoContext {
  loaders: GeoLoaders;
  /** Largest `first` a connection accepts (MAX_PAGE_SIZE). */
  maxPageSize: number;
}

interface CommuneFilter {
  departement?: string | null;
  nameStartsWith?: string | null;
  postalCode?: string | null;
}

const MAX_NAME_LENGTH = 100;

type CodeArgs = { code: string };

export const resolvers: GraphQLResolverMap<GeoContext> = {
  Query: {
    regions: (_: unknown, __: unknown, { loaders }: GeoContext) => loaders.regions(),
    region: (_: unknown, { code }: CodeArgs, { loaders }: GeoContext) => loaders.region.load(expectFormat('code', code, REGION_CODE)),
    departements: (_: unknown, __: unknown, { loaders }: GeoContext) => loaders.departements(),
    departement: (_: unknown, { code }: CodeArgs, { loaders }: GeoContext) =>
      loaders.departement.load(expectFormat('code', code, DEPARTEMENT_CODE)),
    commune: (_: unknown, { code }: CodeArgs, { loaders }: GeoContext) => loaders.commune.load(expectFormat('code', code, COMMUNE_CODE)),
    communes: async (_: unknown, args: PageArgs & { filter?: CommuneFilter | null }, { loaders, maxPageSize }: GeoContext) => {
      // Arguments are checked before any call, so a bad request costs the geo API nothing.
      const { offset, limit } = pageWindow(args, maxPageSize);
      const filter = readFilter(args.filter);
      const matches = (await candidates(filter, loaders)).filter((commune) => matchesFilter(commune, filter));
      return toConnection(matches.slice(offset, offset + limit), offset, matches.length);
    },
  },

  Region: {
    __resolveReference: (reference: CodeArgs, { loaders }: GeoContext) =>
      REGION_CODE.test(reference.code) ? loaders.region.load(reference.code) : null,
    departements: async (region: RegionRecord, _: unknown, { loaders }: GeoContext) =>
      (await loaders.departements()).filter((d) => d.regionCode === region.code),
    population: async (region: RegionRecord, _: unknown, { loaders }: GeoContext) =>
      sumPopulation((await loaders.allCommunes()).filter((c) => c.regionCode === region.code)),
  },

  Departement: {
    __resolveReference: (reference: CodeArgs, { loaders }: GeoContext) =>
      DEPARTEMENT_CODE.test(reference.code) ? loaders.departement.load(reference.code) : null,
    region: (departement: DepartementRecord, _: unknown, { loaders }: GeoContext) => loaders.region.load(departement.regionCode),
    population: async (departement: DepartementRecord, _: unknown, { loaders }: GeoContext) =>
      sumPopulation((await loaders.communesOfDepartement.load(departement.code)) ?? []),
    communes: async (departement: DepartementRecord, _: unknown, { loaders }: GeoContext) =>
      (await loaders.communesOfDepartement.load(departement.code)) ?? [],
    communeCount: async (departement: DepartementRecord, _: unknown, { loaders }: GeoContext) =>
      ((await loaders.communesOfDepartement.load(departement.code)) ?? []).length,
  },

  Commune: {
    __resolveReference: (reference: CodeArgs, { loaders }: GeoContext) =>
      COMMUNE_CODE.test(reference.code) ? loaders.commune.load(reference.code) : null,
    departement: (commune: CommuneRecord, _: unknown, { loaders }: GeoContext) => loaders.departement.load(commune.departementCode),
    region: (commune: CommuneRecord, _: unknown, { loaders }: GeoContext) => loaders.region.load(commune.regionCode),
  },
};

interface ParsedFilter {
  departement?: string;
  /** Folded form of the wanted name start. */
  namePrefix?: string;
  postalCode?: string;
}

function readFilter(filter: CommuneFilter | null | undefined): ParsedFilter {
  const parsed: ParsedFilter = {};
  if (filter?.departement != null) parsed.departement = expectFormat('filter.departement', filter.departement, DEPARTEMENT_CODE);
  if (filter?.postalCode != null) parsed.postalCode = expectFormat('filter.postalCode', filter.postalCode, POSTAL_CODE);
  if (filter?.nameStartsWith != null) {
    if (filter.nameStartsWith.length > MAX_NAME_LENGTH) throw badUserInput('filter.nameStartsWith', `must be at most ${MAX_NAME_LENGTH} characters`);
    const folded = foldName(filter.nameStartsWith);
    if (folded !== '') parsed.namePrefix = folded;
  }
  return parsed;
}

/**
 * The smallest list that holds every match: a département's list when only the département
 * narrows it; the region's whole list as soon as a name or postal code is involved, because the
 * API's own search cannot answer those exactly (see `GeoConnector.allCommunes`).
 */
async function candidates(filter: ParsedFilter, loaders: GeoLoaders): Promise<CommuneRecord[]> {
  if (filter.namePrefix === undefined && filter.postalCode === undefined && filter.departement !== undefined) {
    return (await loaders.communesOfDepartement.load(filter.departement)) ?? [];
  }
  return loaders.allCommunes();
}

function matchesFilter(commune: CommuneRecord, filter: ParsedFilter): boolean {
  return (
    (filter.departement === undefined || commune.departementCode === filter.departement) &&
    (filter.postalCode === undefined || commune.postalCodes.includes(filter.postalCode)) &&
    (filter.namePrefix === undefined || foldName(commune.name).startsWith(filter.namePrefix))
  );
}

/** Accents, case and punctuation ignored: "saint denis" and "Saint-Denis" are the same start. */
function foldName(name: string): string {
  return foldText(name).replace(/[^a-z0-9]+/g, ' ').trim();
}

function sumPopulation(communes: CommuneRecord[]): number {
  return communes.reduce((sum, c) => sum + c.population, 0);
}
