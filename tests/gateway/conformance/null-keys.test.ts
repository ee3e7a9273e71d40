/**
 * federation-gateway-audit "null-keys": books come from a by `upc`; b turns a `upc` into the `id`
 * that c's key needs, and knows no book "b3" (answers null). The third book then has no `id`, its
 * representation for c cannot be built and is not sent, and its `author` is null without an error.
 * Stock passes; the engine must too — it guards the engine's representation building, which the
 * keys-mashup repair (gateway/execute/engine/keys.ts) touches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditView, expectedView, startConformanceFederation, type AuditExpectation, type ConformanceFederation } from './harness.ts';

const books = [
  { id: '1', upc: 'b1', author: { id: 'a1', name: 'Alice' } },
  { id: '2', upc: 'b2', author: { id: 'a2', name: 'Bob' } },
  { id: '3', upc: 'b3', author: { id: 'a3', name: 'Jack' } },
];
const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

let federation: ConformanceFederation;

beforeAll(async () => {
  federation = await startConformanceFederation([
    {
      name: 'a',
      typeDefs: `${link}
        type Query { bookContainers: [BookContainer] }
        type BookContainer { book: Book }
        type Book @key(fields: "upc") { upc: ID! }`,
      resolvers: {
        Query: { bookContainers: () => books.map((book) => ({ book: { upc: book.upc } })) },
        Book: {
          __resolveReference: (reference: { upc: string }) => {
            const book = books.find((candidate) => candidate.upc === reference.upc);
            if (!book) throw new Error('Invalid reference');
            return { __typename: 'Book', upc: book.upc };
          },
        },
      },
    },
    {
      name: 'b',
      typeDefs: `${link}
        type Book @key(fields: "id") @key(fields: "upc") { id: ID! upc: ID! }`,
      resolvers: {
        Book: {
          __resolveReference: (reference: { id?: string; upc?: string }) => {
            const book = books.find((candidate) => ('id' in reference ? candidate.id === reference.id : candidate.upc === reference.upc));
            if (!book) throw new Error('Invalid reference');
            // b knows only b1 and b2: the third book cannot reach c through it.
            return book.id === '3' ? null : { __typename: 'Book', id: book.id, upc: book.upc };
          },
        },
      },
    },
    {
      name: 'c',
      typeDefs: `${link}
        type Book @key(fields: "id") { id: ID! author: Author }
        type Author { id: ID! name: String }`,
      resolvers: {
        Book: {
          __resolveReference: (reference: { id: string }) => {
            const book = books.find((candidate) => candidate.id === reference.id);
            if (!book) throw new Error('Invalid reference');
            return { __typename: 'Book', id: book.id, author: { __typename: 'Author', ...book.author } };
          },
        },
      },
    },
  ]);
}, 60_000);

afterAll(async () => {
  await federation?.close();
});

const QUERY = '{ bookContainers { book { upc author { name } } } }';
const EXPECTED: AuditExpectation = {
  data: {
    bookContainers: [{ book: { upc: 'b1', author: { name: 'Alice' } } }, { book: { upc: 'b2', author: { name: 'Bob' } } }, { book: { upc: 'b3', author: null } }],
  },
};

describe('null-keys', () => {
  it('an entity whose key could not be fetched is not sent on, and its field is null (stock passes too)', async () => {
    const { stock, engine, engineRequests } = await federation.both(QUERY);
    expect(auditView(engine, EXPECTED)).toEqual(expectedView(EXPECTED));
    expect(auditView(stock, EXPECTED)).toEqual(expectedView(EXPECTED));
    expect(engine).toEqual(stock);
    const toC = engineRequests.find((request) => request.subgraph === 'c');
    expect(toC?.variables.representations).toEqual([
      { __typename: 'Book', id: '1' },
      { __typename: 'Book', id: '2' },
    ]);
  });
});
