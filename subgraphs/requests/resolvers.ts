/**
 * Resolvers of the requests subgraph. They validate arguments and call only the loaders; what a
 * GRC row means is the connector's business.
 */
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { badUserInput } from '../../common/errors.ts';
import { COMMUNE_CODE, REQUEST_REFERENCE, UAI, expectFormat, pageWindow, toConnection, type PageArgs } from '../kit/index.ts';
import type { CategoryRecord, Page, RequestFilter, RequestRecord, RequestStatus, ServiceRecord } from './connector.ts';
import type { Loaders } from './loaders.ts';
import { Mutation, estimatedCompletion, type RequestWorkflow } from './mutations.ts';

export interface RequestsContext {
  loaders: Loaders;
  /** Largest `first` a connection accepts (MAX_PAGE_SIZE). */
  maxPageSize: number;
  /** The write side (mutations.ts): intake, agents' workflow, and who is calling. */
  workflow: RequestWorkflow;
}

/** Service codes as the GRC writes them (e.g. "TRANSPORTS", "TER-93"). */
const SERVICE_CODE = /^[A-Za-z][A-Za-z0-9_-]{0,19}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError('DateTime must be an ISO 8601 date or date-time, e.g. "2026-03-14T09:30:00Z"');
  }
  return date;
}

const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant in time, as an ISO 8601 string in UTC.',
  serialize: (value) => (value instanceof Date ? value : parseDateTime(value)).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});

interface FilterInput {
  service?: string | null;
  status?: RequestStatus | null;
  commune?: string | null;
  lycee?: string | null;
  since?: Date | null;
}

function toFilter(input: FilterInput | null | undefined): RequestFilter {
  const filter: RequestFilter = {};
  if (!input) return filter;
  if (input.service != null) {
    if (!SERVICE_CODE.test(input.service)) throw badUserInput('filter.service', `${JSON.stringify(input.service.slice(0, 40))} is not a service code (see \`services\`)`);
    filter.serviceCode = input.service;
  }
  if (input.status != null) filter.status = input.status;
  if (input.commune != null) filter.communeCode = expectFormat('filter.commune', input.commune, COMMUNE_CODE);
  if (input.lycee != null) filter.uai = expectFormat('filter.lycee', input.lycee, UAI);
  if (input.since != null) filter.since = input.since;
  return filter;
}

const connection = (page: Page<RequestRecord>) => toConnection(page.items, page.offset, page.totalCount);

export const resolvers = {
  DateTime,
  Mutation,
  Query: {
    request: (_: unknown, args: { reference: string }, { loaders }: RequestsContext) =>
      loaders.requestByReference.load(expectFormat('reference', args.reference, REQUEST_REFERENCE)),
    requests: async (_: unknown, args: PageArgs & { filter?: FilterInput | null }, { loaders, maxPageSize }: RequestsContext) => {
      const filter = toFilter(args.filter);
      const window = pageWindow(args, maxPageSize);
      return connection(await loaders.search.load({ filter, ...window }));
    },
    services: async (_: unknown, __: unknown, { loaders }: RequestsContext) => (await loaders.services.load('all')).filter((s) => s.active),
    categories: async (_: unknown, __: unknown, { loaders }: RequestsContext) => (await loaders.categories.load('all')).filter((c) => c.active),
  },
  Request: {
    __resolveReference: (ref: { id?: string; reference?: string }, { loaders }: RequestsContext) => {
      if (ref.id != null) return loaders.requestById.load(String(ref.id));
      if (ref.reference != null && REQUEST_REFERENCE.test(ref.reference)) return loaders.requestByReference.load(ref.reference);
      return null;
    },
    service: (request: RequestRecord, _: unknown, { loaders }: RequestsContext) => loaders.serviceById.load(request.serviceId),
    category: (request: RequestRecord, _: unknown, { loaders }: RequestsContext) => loaders.categoryById.load(request.categoryId),
    commune: (request: RequestRecord) => ({ code: request.communeCode }),
    lycee: (request: RequestRecord) => (request.uai ? { uai: request.uai } : null),
    timeline: (request: RequestRecord, _: unknown, { loaders }: RequestsContext) => loaders.timeline.load(request.id),
    estimatedCompletion,
  },
  Service: {
    departement: (service: ServiceRecord) => (service.departementCode ? { code: service.departementCode } : null),
  },
  Category: {
    defaultService: (category: CategoryRecord, _: unknown, { loaders }: RequestsContext) =>
      category.defaultServiceId === null ? null : loaders.serviceById.load(category.defaultServiceId),
  },
  Commune: {
    requestStats: (commune: { code: string }, _: unknown, { loaders }: RequestsContext) => loaders.communeStats.load(commune.code),
  },
  Departement: {
    requestStats: (departement: { code: string }, _: unknown, { loaders }: RequestsContext) => loaders.departementStats.load(departement.code),
  },
  Lycee: {
    openRequests: async (lycee: { uai: string }, args: PageArgs, { loaders, maxPageSize }: RequestsContext) =>
      connection(await loaders.lyceeOpenRequests.load({ uai: lycee.uai, ...pageWindow(args, maxPageSize) })),
  },
};
