/**
 * The requests subgraph (read side) over the GRC stand-in, on both storages: root fields, filters,
 * paging, timelines, entity extensions batched into one SQL query each, input validation and GRC
 * failures. Call counts come from the stand-in's wire proxy.
 */
import { readFileSync } from 'node:fs';
import { parse, visit } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idfCommunes } from '../../legacy/kit/index.ts';
import { implementations, startTestGrc, startTestSubgraph, TEST_REQUESTS, type Grc, type Storage, type Subgraph } from './harness.ts';

interface RequestNode {
  id: string;
  reference: string;
  status: string;
  createdAt: string;
  commune: { code: string } | null;
  lycee: { uai: string } | null;
  service: { code: string };
}
interface Connection<T> {
  totalCount: number;
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}
interface Stats {
  total: number;
  open: number;
  resolved: number;
  medianResolutionDays: number | null;
}

const SEARCH = `query Search($filter: RequestFilter, $first: Int, $after: String) {
  requests(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id reference status createdAt commune { code } lycee { uai } service { code } } }
  }
}`;

describe('Schema', () => {
  it('describes every type, field, argument and enum value', () => {
    const undocumented: string[] = [];
    const check = (node: { description?: { value: string }; name: { value: string } }) => {
      if (!node.description?.value.trim()) undocumented.push(node.name.value);
    };
    visit(parse(readFileSync('subgraphs/requests/schema.graphql', 'utf8')), {
      ObjectTypeDefinition: check, InputObjectTypeDefinition: check, EnumTypeDefinition: check, ScalarTypeDefinition: check,
      FieldDefinition: check, InputValueDefinition: check, EnumValueDefinition: check,
    });
    expect(undocumented).toEqual([]);
  });
});

describe.each(implementations)('requests subgraph on $name', (implementation) => {
  let storage: Storage;
  let grc: Grc;
  let subgraph: Subgraph;

  const search = async (variables: Record<string, unknown>) => {
    const response = await subgraph.query<{ requests: Connection<RequestNode> }>(SEARCH, variables);
    expect(response.errors).toBeUndefined();
    return response.data!.requests;
  };
  const count = async (where: string, params: unknown[] = []) =>
    (await grc.sql<{ n: number }>(`SELECT count(*)::int AS n FROM t_demande d WHERE ${where}`, params))[0]!.n;

  beforeAll(async () => {
    storage = await implementation.createStorage();
    grc = await startTestGrc(storage);
    subgraph = await startTestSubgraph(grc.urls.postgres!);
  });
  afterAll(async () => {
    await subgraph?.close();
    await grc?.close();
    await storage?.drop();
  });

  describe('Root fields', () => {
    it('request(reference) returns the request with its service, category, commune and lycée', async () => {
      const [row] = await grc.sql<{ num_demande: string; code_insee: string; code_uai: string }>(
        `SELECT d.num_demande, d.code_insee, d.code_uai FROM t_demande d JOIN t_categorie c USING (id_categorie)
         WHERE d.code_uai IS NOT NULL AND c.code_categorie LIKE 'LYC-%' ORDER BY d.id_demande LIMIT 1`,
      );
      const response = await subgraph.query<{ request: Record<string, unknown> }>(
        `query($ref: String!) { request(reference: $ref) {
          reference subject description status channel createdAt updatedAt closedAt
          commune { code } lycee { uai } service { code name kind } category { code name targetDays defaultService { code } } } }`,
        { ref: row!.num_demande },
      );
      expect(response.errors).toBeUndefined();
      expect(response.data!.request).toMatchObject({ reference: row!.num_demande, commune: { code: row!.code_insee }, lycee: { uai: row!.code_uai } });
      expect(response.data!.request.category).toMatchObject({ defaultService: { code: 'LYCEES' } });
    });

    it('an unknown well-formed reference resolves to null', async () => {
      const response = await subgraph.query(`{ request(reference: "IDF-1999-000001") { id } }`);
      expect(response).toEqual({ data: { request: null } });
    });

    it('services and categories list the GRC reference data', async () => {
      const response = await subgraph.query<{ services: { code: string; kind: string; departement: { code: string } | null }[]; categories: { code: string }[] }>(
        `{ services { code name kind departement { code } } categories { code name targetDays defaultService { code } } }`,
      );
      expect(response.errors).toBeUndefined();
      const services = response.data!.services;
      expect(services).toHaveLength(17);
      expect(services.filter((s) => s.kind === 'TERRITORIAL').map((s) => s.departement?.code).sort()).toEqual(['75', '77', '78', '91', '92', '93', '94', '95']);
      expect(response.data!.categories).toHaveLength(25);
    });

    it('never exposes contact details', async () => {
      const response = await subgraph.query<{ __type: { fields: { name: string }[] } }>(`{ __type(name: "Request") { fields { name } } }`);
      const names = response.data!.__type.fields.map((f) => f.name.toLowerCase());
      expect(names.filter((n) => /contact|email|phone|tel|name/.test(n))).toEqual([]);
    });
  });

  describe('Filters and paging', () => {
    it('without a filter, counts every request, newest first', async () => {
      const page = await search({ first: 10 });
      expect(page.totalCount).toBe(TEST_REQUESTS);
      const dates = page.edges.map((e) => e.node.createdAt);
      expect([...dates].sort().reverse()).toEqual(dates);
    });

    it('each filter keeps only matching requests, with an exact totalCount', async () => {
      const [sample] = await grc.sql<{ code_insee: string; code_uai: string }>(
        `SELECT code_insee, code_uai FROM t_demande WHERE code_uai IS NOT NULL GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1`,
      );
      const cases: [Record<string, unknown>, string, unknown[], (n: RequestNode) => boolean][] = [
        [{ service: 'TRANSPORTS' }, `id_service = (SELECT id_service FROM t_service WHERE code_service = 'TRANSPORTS')`, [], (n) => n.service.code === 'TRANSPORTS'],
        [{ status: 'IN_PROGRESS' }, `code_statut = 'ENC'`, [], (n) => n.status === 'IN_PROGRESS'],
        [{ commune: '75056' }, `code_insee = '75056'`, [], (n) => n.commune?.code === '75056'],
        [{ lycee: sample!.code_uai }, `code_uai = $1`, [sample!.code_uai], (n) => n.lycee?.uai === sample!.code_uai],
        [{ since: '2026-06-01T00:00:00Z' }, `date_creation >= '2026-06-01T00:00:00Z'`, [], (n) => n.createdAt >= '2026-06-01T00:00:00'],
        [{ service: 'TRANSPORTS', status: 'CLOSED', since: '2025-01-01' }, `code_statut = 'CLO' AND date_creation >= '2025-01-01T00:00:00Z' AND id_service = (SELECT id_service FROM t_service WHERE code_service = 'TRANSPORTS')`, [], (n) => n.status === 'CLOSED'],
      ];
      for (const [filter, where, params, matches] of cases) {
        const expected = await count(where, params);
        const page = await search({ filter, first: 100 });
        expect(expected, JSON.stringify(filter)).toBeGreaterThan(0);
        expect(page.totalCount, JSON.stringify(filter)).toBe(expected);
        expect(page.edges.length).toBe(Math.min(100, expected));
        expect(page.edges.every((e) => matches(e.node)), JSON.stringify(filter)).toBe(true);
      }
    });

    it('an unknown service or a commune without requests gives an empty connection', async () => {
      expect((await search({ filter: { service: 'NOPE' } })).totalCount).toBe(0);
      const empty = await search({ filter: { commune: '99999' }, first: 5 });
      expect(empty).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, endCursor: null } });
    });

    it('walking the pages visits every matching request once', async () => {
      const filter = { service: 'LYCEES' };
      const seen: string[] = [];
      let after: string | null = null;
      let total = 0;
      for (let guard = 0; guard < 50; guard++) {
        const page: Connection<RequestNode> = await search({ filter, first: 40, after });
        total = page.totalCount;
        seen.push(...page.edges.map((e) => e.node.reference));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(total);
      expect(total).toBe(await count(`id_service = (SELECT id_service FROM t_service WHERE code_service = 'LYCEES')`));
    });

    it('first is bounded and cursors are checked', async () => {
      const tooMany = await subgraph.query(SEARCH, { first: 1000 });
      expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
      const badCursor = await subgraph.query(SEARCH, { first: 1, after: 'not-a-cursor' });
      expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    });
  });

  describe('Timeline', () => {
    it('lists the events the citizen may see, oldest first, starting with the creation', async () => {
      const [row] = await grc.sql<{ num_demande: string; id_demande: number }>(
        `SELECT d.num_demande, d.id_demande FROM t_demande d JOIN t_evenement e USING (id_demande)
         GROUP BY 1, 2 HAVING bool_or(NOT e.visible_usager) AND count(*) > 5 ORDER BY d.id_demande LIMIT 1`,
      );
      const visible = (await grc.sql<{ n: number }>(`SELECT count(*)::int AS n FROM t_evenement WHERE id_demande = $1 AND visible_usager`, [row!.id_demande]))[0]!.n;
      const response = await subgraph.query<{ request: { status: string; timeline: { at: string; kind: string; status: string; previousStatus: string | null; message: string | null }[] } }>(
        `query($ref: String!) { request(reference: $ref) { status timeline { at kind status previousStatus message } } }`,
        { ref: row!.num_demande },
      );
      const { status, timeline } = response.data!.request;
      expect(timeline).toHaveLength(visible);
      expect(timeline[0]).toMatchObject({ kind: 'CREATED', status: 'NEW', previousStatus: null });
      expect(timeline.map((e) => e.at)).toEqual([...timeline.map((e) => e.at)].sort());
      expect(timeline.at(-1)!.status).toBe(status);
    });

    it('timelines of a whole page are fetched with one query', async () => {
      await grc.resetCalls();
      const response = await subgraph.query(`{ requests(first: 30) { edges { node { timeline { kind } } } } }`);
      expect(response.errors).toBeUndefined();
      expect((await grc.calls()).byRoute).toEqual({ searchRequests: 1, requestTimelines: 1 });
    });
  });

  describe('Entities', () => {
    it('resolves requests by id and by reference', async () => {
      const [row] = await grc.sql<{ id_demande: number; num_demande: string }>(`SELECT id_demande, num_demande FROM t_demande ORDER BY id_demande DESC LIMIT 1`);
      const response = await subgraph.query<{ _entities: ({ reference: string } | null)[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Request { reference } } }`,
        { r: [{ __typename: 'Request', id: String(row!.id_demande) }, { __typename: 'Request', reference: row!.num_demande }, { __typename: 'Request', id: '999999' }] },
      );
      expect(response.data!._entities).toEqual([{ reference: row!.num_demande }, { reference: row!.num_demande }, null]);
    });

    it('requestStats of 40 communes take ONE SQL query', async () => {
      const codes = idfCommunes.slice(0, 40).map((c) => c.code);
      await grc.resetCalls();
      const response = await subgraph.query<{ _entities: { requestStats: Stats }[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Commune { requestStats { total open resolved medianResolutionDays } } } }`,
        { r: codes.map((code) => ({ __typename: 'Commune', code })) },
      );
      expect(response.errors).toBeUndefined();
      expect(await grc.calls()).toEqual({ total: 1, byRoute: { communeRequestStats: 1 } });
      const stats = response.data!._entities.map((e) => e.requestStats);
      const expected = await grc.sql<{ code_insee: string; total: number; open: number }>(
        `SELECT code_insee, count(*)::int AS total, (count(*) FILTER (WHERE code_statut IN ('NOU','QUA','ENC','ATT')))::int AS open
         FROM t_demande WHERE code_insee = ANY($1) GROUP BY 1`,
        [codes],
      );
      codes.forEach((code, i) => {
        const row = expected.find((e) => e.code_insee === code);
        expect(stats[i]).toMatchObject({ total: row?.total ?? 0, open: row?.open ?? 0 });
        if (stats[i]!.resolved === 0) expect(stats[i]!.medianResolutionDays).toBeNull();
      });
    });

    it('requestStats of the 8 départements take one query and add up to every request', async () => {
      await grc.resetCalls();
      const response = await subgraph.query<{ _entities: { requestStats: Stats }[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Departement { requestStats { total resolved medianResolutionDays } } } }`,
        { r: ['75', '77', '78', '91', '92', '93', '94', '95'].map((code) => ({ __typename: 'Departement', code })) },
      );
      expect(await grc.calls()).toEqual({ total: 1, byRoute: { departementRequestStats: 1 } });
      const stats = response.data!._entities.map((e) => e.requestStats);
      expect(stats.reduce((sum, s) => sum + s.total, 0)).toBe(TEST_REQUESTS);
      for (const s of stats) expect(s.medianResolutionDays).toBeGreaterThan(0);
    });

    it('Lycee.openRequests { totalCount } of 50 lycées take ONE SQL query', async () => {
      const rows = await grc.sql<{ code_uai: string; open: number }>(
        `SELECT code_uai, (count(*) FILTER (WHERE code_statut IN ('NOU','QUA','ENC','ATT')))::int AS open
         FROM t_demande WHERE code_uai IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 48`,
      );
      const uais = [...rows.map((r) => r.code_uai), '0750000A', '0930999Z'];
      await grc.resetCalls();
      const response = await subgraph.query<{ _entities: { openRequests: Connection<RequestNode> }[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Lycee { openRequests(first: 2) { totalCount edges { node { lycee { uai } status } } } } } }`,
        { r: uais.map((uai) => ({ __typename: 'Lycee', uai })) },
      );
      expect(response.errors).toBeUndefined();
      expect(await grc.calls()).toEqual({ total: 1, byRoute: { lyceeOpenRequests: 1 } });
      const totals = response.data!._entities.map((e) => e.openRequests.totalCount);
      expect(totals).toEqual([...rows.map((r) => r.open), 0, 0]);
      response.data!._entities.forEach((e, i) => {
        expect(e.openRequests.edges.length).toBe(Math.min(2, totals[i]!));
        for (const edge of e.openRequests.edges) expect(edge.node.lycee?.uai).toBe(uais[i]);
      });
    });

    it('Lycee.openRequests pages past the first window', async () => {
      const [row] = await grc.sql<{ code_uai: string; open: number }>(
        `SELECT code_uai, count(*)::int AS open FROM t_demande WHERE code_uai IS NOT NULL AND code_statut IN ('NOU','QUA','ENC','ATT')
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`,
      );
      const query = `query($r: [_Any!]!, $after: String) { _entities(representations: $r) { ... on Lycee { openRequests(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { reference } } } } } }`;
      const first = await subgraph.query<{ _entities: { openRequests: Connection<{ reference: string }> }[] }>(query, { r: [{ __typename: 'Lycee', uai: row!.code_uai }] });
      const page1 = first.data!._entities[0]!.openRequests;
      const second = await subgraph.query<{ _entities: { openRequests: Connection<{ reference: string }> }[] }>(query, { r: [{ __typename: 'Lycee', uai: row!.code_uai }], after: page1.pageInfo.endCursor });
      const page2 = second.data!._entities[0]!.openRequests;
      expect(page2.totalCount).toBe(row!.open);
      expect(page2.edges).toHaveLength(row!.open > 1 ? 1 : 0);
      if (row!.open > 1) expect(page2.edges[0]!.node.reference).not.toBe(page1.edges[0]!.node.reference);
    });
  });

  describe('Validation', () => {
    it.each([
      ['{ request(reference: "IDF-26-1") { id } }', 'reference'],
      ['{ requests(filter: { commune: "7505" }) { totalCount } }', 'filter.commune'],
      ['{ requests(filter: { lycee: "12345678" }) { totalCount } }', 'filter.lycee'],
      ['{ requests(filter: { service: "x; DROP TABLE t_demande" }) { totalCount } }', 'filter.service'],
    ])('%s → BAD_USER_INPUT naming %s, without reaching the GRC', async (query, argument) => {
      await grc.resetCalls();
      const response = await subgraph.query(query);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      expect((await grc.calls()).total).toBe(0);
    });

    it('a malformed DateTime is refused', async () => {
      const response = await subgraph.query(SEARCH, { filter: { since: 'yesterday' } });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('GRC failures', () => {
    it('GRC failing every query → LEGACY_UNAVAILABLE with system "grc", and the subgraph recovers', async () => {
      await grc.setFaults({ failureRate: 1 });
      try {
        const response = await subgraph.query(`{ request(reference: "IDF-2026-000001") { id } }`);
        expect(response.data).toEqual({ request: null });
        expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'LEGACY_UNAVAILABLE', system: 'grc' });
      } finally {
        await grc.setFaults({ failureRate: 0 });
      }
      const again = await subgraph.query(`{ requests(first: 1) { totalCount } }`);
      expect(again.data).toEqual({ requests: { totalCount: TEST_REQUESTS } });
    });

    it('GRC slower than the timeout → LEGACY_TIMEOUT with system "grc"', async () => {
      const impatient = await startTestSubgraph(grc.urls.postgres!, { UPSTREAM_TIMEOUT_MS: '150' });
      await grc.setFaults({ latencyMs: [3000, 3000] });
      try {
        const response = await impatient.query(`{ requests(first: 1) { totalCount } }`);
        expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'LEGACY_TIMEOUT', system: 'grc' });
      } finally {
        await grc.setFaults({ latencyMs: [0, 0] });
        await impatient.close();
      }
    });

    it('GRC unreachable → LEGACY_UNAVAILABLE with system "grc"', async () => {
      const orphan = await startTestSubgraph('postgres://postgres@127.0.0.1:1/postgres', { UPSTREAM_RETRIES: '0' });
      try {
        const response = await orphan.query(`{ services { code } }`);
        expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'LEGACY_UNAVAILABLE', system: 'grc' });
      } finally {
        await orphan.close();
      }
    });
  });
});
