/**
 * federation-gateway-audit "requires-with-argument": `@requires` whose required field takes
 * arguments — `shippingEstimate @requires(fields: "price(currency: \"USD\") weight")`, `Post.author
 * @requires(fields: "comments(limit: 3) { authorId }")` next to a client's own `comments(limit: 1)`,
 * `isCommentSpam @requires(fields: "sameCommentOnOtherPosts { comments(limit: 50) { id } }")`.
 * The audit's published results for @apollo/gateway mark three of them failed (those where the
 * required `comments(limit: 3)` meets the client's own `comments(limit: …)`); with
 * @apollo/query-planner 2.14.4 the plans keep each argument where it belongs (the required list
 * from c, the client's from d) and stock passes all six, as does the engine: nothing to fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditView, expectedView, startConformanceFederation, type AuditExpectation, type ConformanceFederation } from './harness.ts';

const products = [
  { upc: 'p1', name: 'p-name-1', price: 11, weight: 1 },
  { upc: 'p2', name: 'p-name-2', price: 22, weight: 2 },
];
const posts = [{ id: 'p1' }, { id: 'p2' }];
const comments = [
  { id: 'c1', postId: 'p1', authorId: 'a2', body: 'c1-body' },
  { id: 'c2', postId: 'p1', authorId: 'a2', body: 'c2-body' },
  { id: 'c3', postId: 'p1', authorId: 'a2', body: 'c3-body' },
  { id: 'c4', postId: 'p2', authorId: 'a1', body: 'c4-body' },
  { id: 'c5', postId: 'p2', authorId: 'a1', body: 'c5-body' },
  { id: 'c6', postId: 'p2', authorId: 'a1', body: 'c6-body' },
  { id: 'c7', postId: 'p2', authorId: 'a1', body: 'c3-body' },
];
const authors = [{ id: 'a1', name: 'a1-name' }, { id: 'a2', name: 'a2-name' }];
const link = (imports: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [${imports}])`;

let federation: ConformanceFederation;
beforeAll(async () => {
  federation = await startConformanceFederation([
    {
      name: 'a',
      typeDefs: `${link('"@key", "@external", "@requires"')}
        type Product @key(fields: "upc") {
          upc: String!
          weight: Int @external
          price(currency: String!): Int @external
          shippingEstimate: Int @requires(fields: "price(currency: \\"USD\\") weight")
        }`,
      resolvers: {
        Product: {
          __resolveReference: (key: { upc: string; price?: number; weight?: number }) => ({ ...key }),
          shippingEstimate: (product: { price: number; weight: number }) => product.price * product.weight * 10,
        },
      },
    },
    {
      name: 'b',
      typeDefs: `${link('"@key"')}
        type Query { products: [Product] }
        type Product @key(fields: "upc") { upc: String! name: String price(currency: String!): Int weight: Int }`,
      resolvers: {
        Query: { products: () => products },
        Product: {
          __resolveReference: (key: { upc: string }) => products.find((product) => product.upc === key.upc) ?? null,
          price: (product: { price: number }, args: { currency: string }) => (args.currency === 'USD' ? product.price : null),
        },
      },
    },
    {
      name: 'c',
      typeDefs: `${link('"@key", "@external", "@requires"')}
        type Query { feed: [Post] }
        type Post @key(fields: "id") { id: ID! comments(limit: Int!): [Comment] @external }
        type Comment @key(fields: "id") {
          id: ID!
          authorId: ID
          body: String!
          sameCommentOnOtherPosts: [Post] @external
          isCommentSpam: Boolean @requires(fields: "sameCommentOnOtherPosts { comments(limit: 50) { id } }")
        }`,
      resolvers: {
        Query: { feed: () => posts.map((post) => ({ id: post.id })) },
        Post: {
          __resolveReference: (key: { id: string }) => (posts.some((post) => post.id === key.id) ? { id: key.id } : null),
          comments: (post: { id: string }, { limit }: { limit: number }) => comments.filter((c) => c.postId === post.id).slice(0, limit),
        },
        Comment: {
          __resolveReference: (ref: { id: string; sameCommentOnOtherPosts?: { comments: { id: string }[] }[] }) => {
            const comment = comments.find((c) => c.id === ref.id);
            if (!comment) return null;
            return {
              id: comment.id,
              authorId: comment.authorId,
              body: comment.body,
              isCommentSpam: ref.sameCommentOnOtherPosts?.length ? ref.sameCommentOnOtherPosts.every((p) => p.comments.every((c) => c.id)) : false,
            };
          },
        },
      },
    },
    {
      name: 'd',
      typeDefs: `${link('"@key", "@external", "@requires"')}
        type Post @key(fields: "id") {
          id: ID!
          author: Author @requires(fields: "comments(limit: 3) { authorId }")
          comments(limit: Int!): [Comment]
        }
        type Comment @key(fields: "id") { id: ID! date: String authorId: ID @external sameCommentOnOtherPosts: [Post] }
        type Author { id: ID! name: String }`,
      resolvers: {
        Post: {
          __resolveReference: (key: { id: string; comments?: { authorId: string }[] }) => {
            if (!posts.some((post) => post.id === key.id)) return null;
            if (key.comments) {
              if (key.comments.length !== 3) throw new Error('Expected 3 comments');
              return { id: key.id, authorId: key.comments[2]!.authorId };
            }
            return { id: key.id };
          },
          author: (post: { authorId?: string }) => authors.find((author) => author.id === post.authorId) ?? null,
          comments: (post: { id: string }, { limit }: { limit: number }) => comments.filter((c) => c.postId === post.id).slice(0, limit).map((c) => ({ id: c.id })),
        },
        Comment: {
          __resolveReference: (key: { id: string }) => (comments.some((c) => c.id === key.id) ? { id: key.id } : null),
          sameCommentOnOtherPosts: ({ id }: { id: string }) => {
            const comment = comments.find((c) => c.id === id);
            if (!comment) return [];
            return comments.filter((c) => c.body === comment.body && c.postId !== comment.postId).map((c) => ({ id: c.postId }));
          },
        },
      },
    },
  ]);
}, 60_000);
afterAll(async () => {
  await federation?.close();
});

const feedWithComments = { data: { feed: [{ author: { id: 'a2' }, comments: [{ id: 'c1' }] }, { author: { id: 'a1' }, comments: [{ id: 'c4' }] }] } };

const CASES: { query: string; expected: AuditExpectation }[] = [
  {
    query: '{ products { upc name shippingEstimate } }',
    expected: { data: { products: [{ upc: 'p1', name: 'p-name-1', shippingEstimate: 110 }, { upc: 'p2', name: 'p-name-2', shippingEstimate: 440 }] } },
  },
  { query: '{ feed { author { id } } }', expected: { data: { feed: [{ author: { id: 'a2' } }, { author: { id: 'a1' } }] } } },
  { query: '{ feed { author { id } comments(limit: 1) { id } } }', expected: feedWithComments },
  {
    query: '{ feed { comments(limit: 3) { isCommentSpam } } }',
    expected: {
      data: {
        feed: [
          { comments: [{ isCommentSpam: false }, { isCommentSpam: false }, { isCommentSpam: true }] },
          { comments: [{ isCommentSpam: false }, { isCommentSpam: false }, { isCommentSpam: false }] },
        ],
      },
    },
  },
  { query: 'query ($limit: Int = 1) { feed { author { id } comments(limit: $limit) { id } } }', expected: feedWithComments },
  {
    query: 'query ($limit: Int = 1) { feed { author { id } ...Foo ...Bar } } fragment Foo on Post { comments(limit: $limit) { id } } fragment Bar on Post { comments(limit: $limit) { id } }',
    expected: feedWithComments,
  },
];

describe('requires-with-argument', () => {
  it.each(CASES)('$query: as the audit expects, on the engine and on stock', async ({ query, expected }) => {
    const { stock, engine } = await federation.both(query);
    expect(auditView(engine, expected)).toEqual(expectedView(expected));
    expect(engine.errors).toBeUndefined();
    expect(auditView(stock, expected)).toEqual(expectedView(expected));
  });

  it("the required list and the client's own list of the same field never mix", async () => {
    const { engine, engineRequests } = await federation.both('{ feed { author { id } comments(limit: 1) { id } } }');
    expect(engine.data).toEqual(feedWithComments.data);
    // d gets the three comments its @requires asked for, and answers the client's limit of one.
    const representations = engineRequests.find((request) => request.subgraph === 'd')?.variables.representations as { comments: unknown[] }[];
    expect(representations.map((representation) => representation.comments.length)).toEqual([3, 3]);
  });
});
