/**
 * The heavy benchmark's four small subgraphs — accounts, inventory, products, reviews — shaped like
 * The Guild's federation gateway benchmark: users write reviews of products; inventory extends
 * Product with `shippingEstimate @requires(fields: "price weight")`; reviews `@provides` the
 * author's username. A few products carry most reviews, so the gateway's entity fetches repeat the
 * same `upc` keys many times over. Data are in memory and fixed: every gateway must give the same
 * answer, byte for byte.
 */
import { parse, type DocumentNode } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';

export const HEAVY_SUBGRAPHS = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type HeavySubgraphName = (typeof HEAVY_SUBGRAPHS)[number];

const LINK = (imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [${imports.map((name) => JSON.stringify(name)).join(', ')}])`;

const SDL: Record<HeavySubgraphName, string> = {
  accounts: `${LINK(['@key', '@shareable'])}
type Query { me: User user(id: ID!): User users: [User] }
type User @key(fields: "id") { id: ID! name: String username: String @shareable birthday: Int }`,

  products: `${LINK(['@key'])}
type Query { topProducts(first: Int = 5): [Product] }
type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`,

  inventory: `${LINK(['@key', '@external', '@requires'])}
type Product @key(fields: "upc") {
  upc: String!
  weight: Int @external
  price: Int @external
  inStock: Boolean
  shippingEstimate: Int @requires(fields: "price weight")
}`,

  reviews: `${LINK(['@key', '@external', '@provides'])}
type Review @key(fields: "id") { id: ID! body: String author: User @provides(fields: "username") product: Product }
type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
type Product @key(fields: "upc") { upc: String! reviews: [Review] }`,
};

export function subgraphTypeDefs(name: HeavySubgraphName): DocumentNode {
  return parse(SDL[name]);
}

interface User {
  id: string;
  name: string;
  username: string;
  birthday: number;
}
interface Product {
  upc: string;
  name: string;
  price: number;
  weight: number;
}
interface Review {
  id: string;
  body: string;
  authorId: string;
  upc: string;
}

const USERS: User[] = [
  ['Camille Martin', 'camille'],
  ['Léa Bernard', 'lea.b'],
  ['Hugo Dubois', 'hdubois'],
  ['Inès Thomas', 'ines'],
  ['Louis Robert', 'lrobert'],
  ['Jade Petit', 'jadep'],
].map(([name, username], i) => ({ id: String(i + 1), name: name!, username: username!, birthday: 946_684_800 + i * 31_536_000 }));

const PRODUCTS: Product[] = [
  ['Table', 899, 100],
  ['Couch', 1299, 1000],
  ['Glass', 15, 20],
  ['Chair', 499, 100],
  ['TV', 1299, 1000],
  ['Lamp', 6999, 300],
  ['Grill', 3999, 2000],
  ['Fridge', 100_000, 6000],
  ['Sofa', 9999, 800],
].map(([name, price, weight], i) => ({ upc: String(i + 1), name: name as string, price: price as number, weight: weight as number }));

const IN_STOCK: Record<string, boolean> = { 1: true, 2: false, 3: false, 4: false, 5: true, 6: true, 7: true, 8: false, 9: true };

/** Products 1 and 2 carry 11 of the 20 reviews: the repeated keys of the entity fetches. */
const REVIEWED_UPCS = ['1', '1', '2', '1', '3', '2', '1', '4', '2', '1', '5', '3', '2', '6', '1', '7', '3', '8', '2', '9'];

const WORDS = (
  'la livraison est arrivée vite et le produit correspond bien à la description solide léger pratique ' +
  'un peu cher pour la qualité mais le montage reste simple avec la notice fournie je recommande sans hésiter ' +
  'après trois mois usage quotidien aucun défaut visible couleur fidèle aux photos emballage soigné service client réactif'
).split(' ');

/** A fixed pseudo-random text of about `length` characters (a small LCG, so it never changes). */
function text(seed: number, length: number): string {
  let state = seed * 2_654_435_761;
  const words: string[] = [];
  let size = 0;
  while (size < length) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const word = WORDS[state % WORDS.length]!;
    words.push(word);
    size += word.length + 1;
  }
  const sentence = words.join(' ');
  return `${sentence[0]!.toUpperCase()}${sentence.slice(1)}.`;
}

const REVIEWS: Review[] = REVIEWED_UPCS.map((upc, i) => ({
  id: String(i + 1),
  upc,
  authorId: String(((i * 5) % USERS.length) + 1),
  body: text(i + 1, 40 + ((i * 37) % 100)),
}));

const userById = new Map(USERS.map((user) => [user.id, user]));
const productByUpc = new Map(PRODUCTS.map((product) => [product.upc, product]));
const reviewById = new Map(REVIEWS.map((review) => [review.id, review]));

type Reference<K extends string> = { [key in K]: string } & Record<string, unknown>;

const RESOLVERS: Record<HeavySubgraphName, GraphQLResolverMap<unknown>> = {
  accounts: {
    Query: {
      me: () => USERS[0],
      user: (_: unknown, args: { id: string }) => userById.get(args.id) ?? null,
      users: () => USERS,
    },
    User: { __resolveReference: (reference: Reference<'id'>) => userById.get(reference.id) ?? null },
  },
  products: {
    Query: { topProducts: (_: unknown, args: { first?: number }) => PRODUCTS.slice(0, args.first ?? 5) },
    Product: { __resolveReference: (reference: Reference<'upc'>) => productByUpc.get(reference.upc) ?? null },
  },
  inventory: {
    Product: {
      // The reference carries price and weight (@requires), fetched from products by the gateway.
      __resolveReference: (reference: Reference<'upc'> & { price?: number; weight?: number }) => ({ ...reference, inStock: IN_STOCK[reference.upc] ?? false }),
      shippingEstimate: (product: { price?: number | null; weight?: number | null }) => {
        if (product.price == null || product.weight == null) return null;
        return product.price > 1000 ? 0 : Math.round(product.weight / 2);
      },
    },
  },
  reviews: {
    Review: {
      __resolveReference: (reference: Reference<'id'>) => reviewById.get(reference.id) ?? null,
      author: (review: Review) => ({ id: review.authorId, username: userById.get(review.authorId)!.username }),
      product: (review: Review) => ({ upc: review.upc }),
    },
    User: {
      __resolveReference: (reference: Reference<'id'>) => ({ id: reference.id, username: userById.get(reference.id)?.username }),
      reviews: (user: { id: string }) => REVIEWS.filter((review) => review.authorId === user.id),
    },
    Product: {
      __resolveReference: (reference: Reference<'upc'>) => ({ upc: reference.upc }),
      reviews: (product: { upc: string }) => REVIEWS.filter((review) => review.upc === product.upc),
    },
  },
};

export function subgraphResolvers(name: HeavySubgraphName): GraphQLResolverMap<unknown> {
  return RESOLVERS[name];
}
