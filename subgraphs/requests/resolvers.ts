/**
 * Resolvers of the requests subgraph. They validate arguments and call only the loaders; what a
 * GRC row means is the connector's business, who may see it the row rules' (access/rules.ts):
 * every request reached here passes `access.visible`, every list `access.restriction()`, every
 * personal field `access.personal`.
 */
import { GraphQLScalarType, Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { badUserInput } from '../../common/errors.ts';
import { COMMUNE_CODE, DEPARTEMENT_CODE, REQUEST_REFERENCE, UAI, expectFormat, pageWindow, toConnection, type PageArgs } from '../kit/index.ts';
import type { Access } from './access/rules.ts';
import type { CategoryRecord, Page, RequestEventRecord, RequestFilter, RequestRecord, RequestStatus, ServiceRecord } from './connector.ts';
import type { Loaders } from './loaders.ts';
import { Mutation, estimatedCompletion, type RequestWorkflow } from './workflow/index.ts';

export interface RequestsContext {
  loaders: Loaders;
  /** Largest `first` a connection accepts (MAX_PAGE_SIZE). */
  maxPageSize: number;
  /** The write side (workflow/): intake, agents' workflow, audit log. */
  workflow: RequestWorkflow;
  /** Who is calling, and the row rules applied to them. */
  access: Access;
  /** The change feed's position now, as a `cursor` (capture/index.ts `head`). */
  feedPosition: () => Promise<string>;
}

/** Service codes as the GRC writes them (e.g. "TRANSPORTS", "TER-93"). */
const SERVICE_CODE = /^[A-Za-z][A-Za-z0-9_-]{0,19}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * A DateTime argument that is not one. The scalar does not throw on it: graphql-js would turn the
 * throw into a code-less validation error (which reaches clients as SUBGRAPH_UNAVAILABLE or
 * INTERNAL); the resolver that reads the argument answers BAD_USER_INPUT naming it instead.
 */
export class InvalidDateTime {
  constructor(readonly value: unknown) {}
}

/** Years PostgreSQL and ISO 8601 both take: year 0000 does not exist in the GRC's calendar. */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

function parseDateTime(value: unknown): Date | InvalidDateTime {
  const date = typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() < MIN_YEAR || date.getUTCFullYear() > MAX_YEAR) return new InvalidDateTime(value);
  return date;
}

/** The Date of a DateTime argument; BAD_USER_INPUT naming `argument` when it is not a valid one. */
function dateArgument(argument: string, value: Date | InvalidDateTime): Date {
  if (value instanceof InvalidDateTime) {
    const shown = typeof value.value === 'string' ? JSON.stringify(value.value.slice(0, 40)) : 'the value';
    throw badUserInput(argument, `${shown} is not an ISO 8601 date or date-time between years ${MIN_YEAR} and ${MAX_YEAR}, e.g. "2026-03-14T09:30:00Z"`);
  }
  return value;
}

const DateTime = new GraphQLScalarType<Date | InvalidDateTime, string>({
  name: 'DateTime',
  description: 'An instant in time, as an ISO 8601 string in UTC.',
  serialize: (value) => {
    const date = value instanceof Date ? value : parseDateTime(value);
    if (date instanceof InvalidDateTime) throw new TypeError('DateTime cannot represent a non-date value');
    return date.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** Largest offset a connection cursor may name: the GRC's row counts are 32-bit. */
const MAX_OFFSET = 2_147_483_647;

/** `pageWindow`, refusing a well-formed cursor whose offset no database type holds (BAD_USER_INPUT on `after`). */
function checkedWindow(args: PageArgs, maxPageSize: number): { offset: number; limit: number } {
  const window = pageWindow(args, maxPageSize);
  if (!Number.isSafeInteger(window.offset) || window.offset + window.limit > MAX_OFFSET) throw badUserInput('after', 'is out of range: use a cursor this field returned');
  return window;
}

interface FilterInput {
  service?: string | null;
  status?: RequestStatus | null;
  commune?: string | null;
  lycee?: string | null;
  since?: Date | InvalidDateTime | null;
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
  if (input.since != null) filter.since = dateArgument('filter.since', input.since);
  return filter;
}

/** A timeline entry with its request, which the row rules need for `message`. */
type TimelineEvent = RequestEventRecord & { request: RequestRecord };

/** Whether the field's own selection (through inline fragments and fragment spreads, each once) asks for `name`. */
function selects(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const within = (set: SelectionSetNode | undefined): boolean =>
    set?.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return within(selection.selectionSet);
      if (seen.has(selection.name.value)) return false;
      seen.add(selection.name.value);
      return within(info.fragments[selection.name.value]?.selectionSet);
    }) ?? false;
  return info.fieldNodes.some((node) => within(node.selectionSet));
}

const connection = (page: Page<RequestRecord>) => toConnection(page.items, page.offset, page.totalCount);

export const resolvers = {
  DateTime,
  Mutation,
  Query: {
    request: async (_: unknown, args: { reference: string }, { loaders, access, feedPosition }: RequestsContext, info: GraphQLResolveInfo) => {
      const reference = expectFormat('reference', args.reference, REQUEST_REFERENCE);
      // The feed's position is read before the request: subscribing after it misses no change made since.
      const position = selects(info, 'cursor') ? await feedPosition() : null;
      const request = await access.visible(await loaders.requestByReference.load(reference));
      return request && position !== null ? { ...request, cursor: position } : request;
    },
    requests: async (_: unknown, args: PageArgs & { filter?: FilterInput | null }, { loaders, maxPageSize, access }: RequestsContext) => {
      const filter = { ...toFilter(args.filter), ...(await access.restriction()) };
      const window = checkedWindow(args, maxPageSize);
      return connection(await loaders.search.load({ filter, ...window }));
    },
    services: async (_: unknown, __: unknown, { loaders }: RequestsContext) => (await loaders.services.load('all')).filter((s) => s.active),
    categories: async (_: unknown, __: unknown, { loaders }: RequestsContext) => (await loaders.categories.load('all')).filter((c) => c.active),
  },
  Request: {
    // Representations come from other subgraphs' data (or a direct caller): malformed keys never join a batch.
    __resolveReference: async (ref: { id?: unknown; reference?: unknown }, { loaders, access }: RequestsContext) => {
      if (typeof ref.id === 'string' || typeof ref.id === 'number') {
        const id = String(ref.id);
        return /^\d{1,9}$/.test(id) ? access.visible(await loaders.requestById.load(id)) : null;
      }
      if (typeof ref.reference === 'string' && REQUEST_REFERENCE.test(ref.reference)) return access.visible(await loaders.requestByReference.load(ref.reference));
      return null;
    },
    subject: (request: RequestRecord, _: unknown, { access }: RequestsContext) => access.personal(request, 'subject', request.subject),
    description: (request: RequestRecord, _: unknown, { access }: RequestsContext) => access.personal(request, 'description', request.description),
    service: (request: RequestRecord, _: unknown, { loaders }: RequestsContext) => loaders.serviceById.load(request.serviceId),
    category: (request: RequestRecord, _: unknown, { loaders }: RequestsContext) => loaders.categoryById.load(request.categoryId),
    commune: (request: RequestRecord) => ({ code: request.communeCode }),
    lycee: (request: RequestRecord) => (request.uai ? { uai: request.uai } : null),
    timeline: async (request: RequestRecord, _: unknown, { loaders }: RequestsContext): Promise<TimelineEvent[]> =>
      (await loaders.timeline.load(request.id)).map((event) => ({ ...event, request })),
    estimatedCompletion,
  },
  RequestEvent: {
    // Checked whether or not there is a message: a null would tell who may not read that there is none.
    message: (event: TimelineEvent, _: unknown, { access }: RequestsContext) => access.personal(event.request, 'timeline.message', event.message),
  },
  Service: {
    departement: (service: ServiceRecord) => (service.departementCode ? { code: service.departementCode } : null),
  },
  Category: {
    defaultService: (category: CategoryRecord, _: unknown, { loaders }: RequestsContext) =>
      category.defaultServiceId === null ? null : loaders.serviceById.load(category.defaultServiceId),
  },
  // Entity keys come from representations: a malformed one answers null rather than joining a batch.
  Commune: {
    requestStats: (commune: { code: unknown }, _: unknown, { loaders }: RequestsContext) =>
      typeof commune.code === 'string' && COMMUNE_CODE.test(commune.code) ? loaders.communeStats.load(commune.code) : null,
  },
  Departement: {
    requestStats: (departement: { code: unknown }, _: unknown, { loaders }: RequestsContext) =>
      typeof departement.code === 'string' && DEPARTEMENT_CODE.test(departement.code) ? loaders.departementStats.load(departement.code) : null,
  },
  Lycee: {
    openRequests: async (lycee: { uai: unknown }, args: PageArgs, { loaders, maxPageSize, access }: RequestsContext) => {
      const window = checkedWindow(args, maxPageSize);
      if (typeof lycee.uai !== 'string' || !UAI.test(lycee.uai)) return null;
      return connection(await loaders.lyceeOpenRequests.load({ uai: lycee.uai, ...window, rows: (await access.restriction()) ?? {} }));
    },
  },
};
