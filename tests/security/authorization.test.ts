/**
 * Authorisation declared in the schema (@authenticated, @requiresScopes, @policy), enforced by the
 * gateway before planning (gateway/authorize, plugins/useAuthorization.ts): refused fields come back
 * null with one UNAUTHORIZED_FIELD_OR_TYPE error each at their path, the rest is answered — over
 * HTTP, graphql-ws and SSE, for queries, mutations and subscriptions; on the toy federation (the
 * gateway is generic) and on the region's own supergraph.
 *
 * Principals come from a stand-in authentication plugin run before the gateway's own
 * (`authorization: Test <kind> <scope,scope>`), so every kind and scope can be tried without
 * depending on how credentials are issued.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supergraph } from '@apollo/federation-internals';
import { ApolloGateway } from '@apollo/gateway';
import { buildSchema, getOperationAST, parse, type GraphQLSchema } from 'graphql';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';
import { graphql } from '../harness/graphql.ts';
import { subscribeSse, subscribeWs, waitFor, type Recording } from '../harness/streams.ts';
import type { GatewayPlugin, Principal, PrincipalKind } from '../../gateway/pipeline.ts';
import { analyseOperation, createAuthorizer, readAccessRules, readPolicies } from '../../gateway/authorize/index.ts';
import { forStockApolloGateway } from '../../bench/supergraph.ts';
import { withoutEnforcedSecurityPurpose } from '../../gateway/plan/security-features.ts';

const testPrincipals: GatewayPlugin = {
  name: 'test-principals',
  onAuthenticate(request) {
    const match = /^Test (\w+)(?: (\S+))?$/.exec(String(request.headers.authorization ?? ''));
    if (!match) return undefined;
    const kind = match[1] as PrincipalKind;
    return { id: `${kind}:test`, kind, scopes: match[2] ? match[2].split(',') : [] };
  },
};

const as = (kind: PrincipalKind, scopes: string[] = []) => `Test ${kind}${scopes.length ? ` ${scopes.join(',')}` : ''}`;
const UNAUTHORIZED = 'UNAUTHORIZED_FIELD_OR_TYPE';

let toy: ToyFederation;

beforeAll(async () => {
  toy = await startToyFederation({}, { before: [testPrincipals] });
});
afterAll(async () => {
  await toy?.stop();
});

async function ask(query: string, authorization?: string) {
  return graphql(toy.gatewayUrl, query, undefined, authorization ? { headers: { authorization } } : {});
}
const refusals = (errors: { path?: (string | number)[]; extensions?: { code?: string } }[] | undefined) =>
  (errors ?? []).filter((error) => error.extensions?.code === UNAUTHORIZED).map((error) => error.path);

describe('refused fields over HTTP', () => {
  it('nulls a refused field in every element of nested lists, with one error per field at its path', async () => {
    const result = await ask('{ products { name supplier { name } reviews { stars authorEmail } } }');
    expect(result.status).toBe(200);
    const products = result.body.data!.products as { name: string; supplier: unknown; reviews: { stars: number; authorEmail: unknown }[] | null }[];
    expect(products.map((product) => product.name)).toEqual(['Table', 'Chair', 'Lamp']);
    expect(products.every((product) => product.supplier === null)).toBe(true);
    const reviews = products.flatMap((product) => product.reviews ?? []);
    expect(reviews.length).toBe(3);
    expect(reviews.every((review) => review.authorEmail === null && typeof review.stars === 'number')).toBe(true);
    expect(refusals(result.body.errors)).toEqual([
      ['products', '@', 'supplier'],
      ['products', '@', 'reviews', '@', 'authorEmail'],
    ]);
  });

  it('follows fragments, inline fragments and aliases, and answers the rest', async () => {
    const result = await ask(`{
      a: product(id: "1") { ...P }
      b: product(id: "2") { label: name ... on Product { mails: reviews { authorEmail } } }
    }
    fragment P on Product { n: name s: supplier { name } ... on Product { mails: reviews { stars who: authorEmail } } }`);
    expect(result.body.data).toEqual({
      a: { n: 'Table', s: null, mails: [{ stars: 5, who: null }, { stars: 3, who: null }] },
      b: { label: 'Chair', mails: [{ authorEmail: null }] },
    });
    expect(refusals(result.body.errors)).toEqual(
      expect.arrayContaining([
        ['a', 's'],
        ['a', 'mails', '@', 'who'],
        ['b', 'mails', '@', 'authorEmail'],
      ]),
    );
    expect(result.body.errors).toHaveLength(3);
  });

  it('propagates the null of a refused non-null field to the nearest nullable position', async () => {
    const nested = await ask('{ product(id: "1") { name costCents } topReview { stars product { name costCents } } }');
    expect(nested.body.data).toEqual({ product: null, topReview: null });
    expect(refusals(nested.body.errors)).toEqual([
      ['product', 'costCents'],
      ['topReview', 'product', 'costCents'],
    ]);
    // products: [Product!]! — nothing nullable on the way up: data itself is null.
    const whole = await ask('{ products { costCents } }');
    expect(whole.status).toBe(200);
    expect(whole.body.data).toBeNull();
    expect(refusals(whole.body.errors)).toEqual([['products', '@', 'costCents']]);
  });

  it('answers 200 with null fields when every root field is refused', async () => {
    const result = await ask('{ stockReport }');
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ stockReport: null });
    expect(refusals(result.body.errors)).toEqual([['stockReport']]);
    const staff = await ask('{ stockReport }', as('agent', ['staff']));
    expect(staff.body).toEqual({ data: { stockReport: 'all in stock' } });
  });

  it('gives each caller its own answer to the same query text, in a row (no shared plan)', async () => {
    const query = '{ product(id: "1") { name supplier { name } reviews { authorEmail } } }';
    const anonymous = await ask(query);
    const citizen = await ask(query, as('citizen'));
    const again = await ask(query);
    const partner = await ask(query, as('partner', ['products:read']));
    const staff = await ask('{ product(id: "1") { costCents } }', as('partner', ['staff']));
    const noStaff = await ask('{ product(id: "1") { costCents } }', as('partner', ['products:read']));
    expect(anonymous.body.data).toEqual({ product: { name: 'Table', supplier: null, reviews: [{ authorEmail: null }, { authorEmail: null }] } });
    expect(again.body).toEqual(anonymous.body);
    expect(citizen.body).toEqual({
      data: { product: { name: 'Table', supplier: { name: 'Atelier' }, reviews: [{ authorEmail: 'r1@reviewers.example' }, { authorEmail: 'r2@reviewers.example' }] } },
    });
    expect(partner.body.data).toEqual({ product: { name: 'Table', supplier: { name: 'Atelier' }, reviews: [{ authorEmail: null }, { authorEmail: null }] } });
    expect(refusals(partner.body.errors)).toEqual([['product', 'reviews', '@', 'authorEmail']]);
    expect(staff.body).toEqual({ data: { product: { costCents: 4000 } } });
    expect(noStaff.body.data).toEqual({ product: null });
  });
});

describe('streams', () => {
  const transports: [string, typeof subscribeWs][] = [
    ['graphql-ws', subscribeWs],
    ['SSE', subscribeSse],
  ];

  it.each(transports)('%s: shapes a query like HTTP', async (_name, subscribe) => {
    const recording = subscribe(toy.gatewayUrl, { query: '{ product(id: "2") { name supplier { name } } }' });
    await waitFor(() => recording.results.length > 0 || recording.error !== undefined, 'the answer');
    recording.dispose();
    expect(recording.results[0]?.data).toEqual({ product: { name: 'Chair', supplier: null } });
    expect(refusals(recording.results[0]?.errors as never)).toEqual([['product', 'supplier']]);
  });

  it.each(transports)('%s: refuses a subscription whose root field is refused, before any upstream work', async (_name, subscribe) => {
    const recording = subscribe(toy.gatewayUrl, { query: 'subscription { reviewFlagged(productId: "1") { id } }', authorization: as('citizen') });
    await waitFor(() => recording.error !== undefined || recording.results.length > 0 || recording.completed, 'the refusal');
    recording.dispose();
    expect(codesOf(recording)).toContain(UNAUTHORIZED);
    expect(toy.upstreamSubscriptions()).toBe(0);
  });

  it.each(transports)('%s: shapes every event of an allowed subscription per caller', async (_name, subscribe) => {
    const query = 'subscription { reviewAdded(productId: "3") { stars authorEmail product { name supplier { name } } } }';
    const anonymous = subscribe(toy.gatewayUrl, { query });
    const citizen = subscribe(toy.gatewayUrl, { query, authorization: as('citizen') });
    try {
      await waitFor(() => toy.upstreamSubscriptions() >= 1, 'the upstream subscription');
      await waitFor(() => {
        toy.publishReview({ productId: '3', stars: 2 });
        return anonymous.results.length > 0 && citizen.results.length > 0;
      }, 'an event for both');
      const [shaped] = anonymous.results;
      expect(shaped?.data).toEqual({ reviewAdded: { stars: 2, authorEmail: null, product: { name: 'Lamp', supplier: null } } });
      expect(refusals(shaped?.errors as never)).toEqual([
        ['reviewAdded', 'authorEmail'],
        ['reviewAdded', 'product', 'supplier'],
      ]);
      const full = citizen.results[0]?.data as { reviewAdded: { authorEmail: string } };
      expect(full.reviewAdded.authorEmail).toMatch(/@reviewers\.example$/);
      expect(citizen.results[0]?.errors).toBeUndefined();
    } finally {
      anonymous.dispose();
      citizen.dispose();
    }
  });
});

function codesOf(recording: Recording): (string | undefined)[] {
  const errors: { extensions?: { code?: string } }[] = Array.isArray(recording.error)
    ? (recording.error as { extensions?: { code?: string } }[])
    : [...(recording.results.at(-1)?.errors ?? []), ...(recording.error && typeof recording.error === 'object' && 'extensions' in recording.error ? [recording.error as { extensions?: { code?: string } }] : [])];
  const codes = errors.map((error) => error.extensions?.code);
  // graphql-sse reports a refused operation as a thrown Error whose message is the error list's JSON.
  if (codes.length === 0 && recording.error instanceof Error && recording.error.message.includes(UNAUTHORIZED)) return [UNAUTHORIZED];
  return codes;
}

describe('analysis', () => {
  it('is linear in the document: 30 fragments each spreading the next twice are each read once', () => {
    const schema = buildSchema('type Query { t: T } type T { a: T b: T secret: String open: Int }');
    const fragments = Array.from({ length: 30 }, (_, index) =>
      index === 29 ? `fragment F${index} on T { open secret }` : `fragment F${index} on T { open secret a { ...F${index + 1} } b { ...F${index + 1} } }`,
    );
    const document = parse(`{ t { ...F0 } } ${fragments.join(' ')}`);
    const analysis = analyseOperation(schema, document, getOperationAST(document)!, (parent, field) => !(parent === 'T' && field === 'secret'));
    // Each fragment's 6 selections once (open, secret, a, b and a spread in each; the last one's 2),
    // plus the operation's 2 — walking each spread again would visit some 2^30.
    expect(analysis.work).toBe(29 * 6 + 2 + 2);
    // One error per refused field node (each fragment's `secret`), each at its first spread.
    expect(analysis.refused).toHaveLength(30);
    expect(analysis.refused[0]?.path).toEqual(['t', 'secret']);
    expect(analysis.refused[1]?.path).toEqual(['t', 'a', 'secret']);
    expect(analysis.refused[29]?.path).toEqual(['t', ...Array<string>(29).fill('a'), 'secret']);
  });
});

describe('reading the supergraph', () => {
  it('honours renamed imports, type-level requirements and interfaces', () => {
    const supergraph = buildSchema(`
      schema
        @link(url: "https://specs.apollo.dev/link/v1.0")
        @link(url: "https://specs.apollo.dev/authenticated/v0.1", import: [{ name: "@authenticated", as: "@signedIn" }])
        @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", as: "scoped")
      { query: Query }
      directive @link(url: String, as: String, for: String, import: [link__Import]) repeatable on SCHEMA
      directive @signedIn on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
      directive @scoped(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
      directive @authenticated on FIELD_DEFINITION
      scalar link__Import
      type Query { node: Node open: String notEnforced: String @authenticated level: Level }
      interface Node { id: ID! }
      type Open implements Node { id: ID! }
      type Closed implements Node { id: ID! @scoped(scopes: [["admin"]]) }
      enum Level @signedIn { LOW HIGH }
    `);
    const rules = readAccessRules(supergraph);
    expect(rules.field('Query', 'level')).toEqual([{ kind: 'authenticated' }]);
    // @authenticated is not the linked name here: a directive of that name is someone else's.
    expect(rules.field('Query', 'notEnforced')).toEqual([]);
    expect(rules.field('Node', 'id')).toEqual([{ kind: 'scopes', anyOf: [['admin']] }]);
    expect(rules.field('Open', 'id')).toEqual([]);
  });

  it('hands @apollo/gateway, our planner and the stock baseline a supergraph they accept', async () => {
    const raw = readFileSync('schema/supergraph.graphql', 'utf8');
    expect(() => Supergraph.build(raw)).toThrow(/SECURITY/);
    const cut = withoutEnforcedSecurityPurpose(raw);
    // Only the enforced features lose their purpose; @inaccessible, which every federation runtime knows, keeps it.
    expect(cut.match(/@link\(url: "[^"]+", for: SECURITY\)/g)).toEqual(['@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)']);
    expect(cut.length).toBeGreaterThan(raw.length - 100);
    const stock = new ApolloGateway({ supergraphSdl: forStockApolloGateway(raw) });
    expect((await stock.load()).executor).toBeDefined();
    await stock.stop();
  });
});

describe("the region's supergraph", () => {
  const sdl = withoutEnforcedSecurityPurpose(readFileSync('schema/supergraph.graphql', 'utf8'));
  const supergraph = Supergraph.build(sdl);
  const apiSchema: GraphQLSchema = supergraph.apiSchema().toGraphQLJSSchema();
  const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
  const authorizer = createAuthorizer({ policies: readPolicies('schema/policies.json'), maxCachedAnalyses: 100 });
  const refusedFor = (principal: Principal, source: string) => {
    const document = parse(source);
    const authorization = authorizer.authorize({ supergraph: supergraphSchema, apiSchema, document, operation: getOperationAST(document)!, operationName: undefined, principal });
    return authorization!.analysis.refused.map((field) => `${field.coordinate} @ ${field.path.join('.')}`);
  };
  const anonymous: Principal = { id: 'anonymous', kind: 'anonymous', scopes: [] };
  const partner: Principal = { id: 'key:p', kind: 'partner', scopes: ['requests:read'] };
  const citizen: Principal = { id: 'citizen:IDF-2026-000001', kind: 'citizen', scopes: ['track:IDF-2026-000001'] };
  const agent: Principal = { id: 'agent:AG0001', kind: 'agent', scopes: ['agent'] };

  it('never gives anonymous a request description, whatever the path', () => {
    expect(refusedFor(anonymous, '{ requests { totalCount edges { node { description } } } }')).toEqual(['Query.requests @ requests']);
    expect(refusedFor(anonymous, '{ request(reference: "IDF-2026-000001") { description } }')).toEqual(['Query.request @ request']);
    expect(refusedFor(anonymous, '{ lycee(uai: "0750655E") { openRequests { totalCount edges { node { description } } } } }')).toEqual([
      'RequestConnection.edges @ lycee.openRequests.edges',
    ]);
    expect(
      refusedFor(anonymous, 'mutation { submitRequest(input: { subject: "s", description: "d", commune: "93066", contact: { name: "n", email: "e" }, channel: WEB }, idempotencyKey: "k") { trackingToken request { reference description } } }'),
    ).toEqual(['Request.description @ submitRequest.request.description']);
    expect(refusedFor(anonymous, 'subscription { requestUpdated(reference: "IDF-2026-000001") { status timeline { message } } }')).toEqual([
      'Subscription.requestUpdated @ requestUpdated',
    ]);
  });

  it('memoises the analysis per document and rights', () => {
    const document = parse('{ requests { edges { node { subject } } } }');
    const input = { supergraph: supergraphSchema, apiSchema, document, operation: getOperationAST(document)!, operationName: undefined };
    const first = authorizer.authorize({ ...input, principal: partner });
    expect(authorizer.authorize({ ...input, principal: { ...partner, id: 'key:other' } })).toBe(first);
    expect(authorizer.authorize({ ...input, principal: agent })).not.toBe(first);
  });

  it('keeps public data public, text from partners, and the workflow for agents', () => {
    expect(refusedFor(anonymous, '{ commune(code: "93066") { name requestStats { open } lycees { name openRequests { totalCount } } } }')).toEqual([]);
    expect(refusedFor(partner, '{ requests { edges { node { reference status subject timeline { status message } } } } }')).toEqual([
      'Request.subject @ requests.edges.@.node.subject',
      'RequestEvent.message @ requests.edges.@.node.timeline.@.message',
    ]);
    expect(refusedFor(citizen, '{ request(reference: "IDF-2026-000001") { subject description timeline { message } } }')).toEqual([]);
    expect(refusedFor(citizen, 'mutation { addMessage(reference: "IDF-2026-000001", body: "b", visibleToCitizen: true) { status } }')).toEqual([
      'Mutation.addMessage @ addMessage',
    ]);
    expect(refusedFor(agent, 'mutation { addMessage(reference: "IDF-2026-000001", body: "b", visibleToCitizen: true) { status } }')).toEqual([]);
    expect(refusedFor(citizen, 'subscription { serviceQueue(service: "TRANSPORTS") { reference } }')).toEqual(['Subscription.serviceQueue @ serviceQueue']);
  });
});
