/**
 * A small federation that has nothing to do with the region — products and reviews — to prove the
 * gateway is generic: it serves whatever supergraph it is given. Each toy subgraph runs on a free
 * port; `delayMs` and `stop()` let tests make one slow or take it down.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { readEnv } from '../../common/env.ts';
import { gatewayEnv } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/kit/index.ts';
import { startGateway } from '../../gateway/index.ts';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@requires", "@external", "@shareable"])';

const PRODUCTS_SDL = `${LINK}
type Query { product(id: ID!): Product products: [Product!]! }
type Product @key(fields: "id") { id: ID! name: String! priceCents: Int! weightGrams: Int! }`;

const REVIEWS_SDL = `${LINK}
type Product @key(fields: "id") {
  id: ID!
  weightGrams: Int! @external
  reviews: [Review!]
  shippingCents: Int! @requires(fields: "weightGrams")
}
type Review { id: ID! stars: Int! body: String! product: Product! }
type Query { topReview: Review }`;

const products = [
  { id: '1', name: 'Table', priceCents: 9900, weightGrams: 12000 },
  { id: '2', name: 'Chair', priceCents: 4900, weightGrams: 4000 },
  { id: '3', name: 'Lamp', priceCents: 1900, weightGrams: 800 },
];
const reviews = [
  { id: 'r1', productId: '1', stars: 5, body: 'Solid.' },
  { id: 'r2', productId: '1', stars: 3, body: 'Heavy.' },
  { id: 'r3', productId: '2', stars: 4, body: 'Comfy.' },
];

export interface ToyFederation {
  gatewayUrl: string;
  products: RunningSubgraph;
  reviews: RunningSubgraph;
  /** Entity fetches received by the reviews subgraph (to prove batching). */
  reviewsEntityCalls: () => number;
  setReviewsDelay(ms: number): void;
  stop(): Promise<void>;
}

export async function startToyFederation(gatewayEnvOverrides: Record<string, string> = {}): Promise<ToyFederation> {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-toy-'));
  const logger = createLogger('toy', 'silent');
  writeFileSync(join(dir, 'products.graphql'), PRODUCTS_SDL);
  writeFileSync(join(dir, 'reviews.graphql'), REVIEWS_SDL);
  let delay = 0;
  let entityCalls = 0;

  const productsSubgraph = await startSubgraph({
    name: 'products',
    schemaPath: join(dir, 'products.graphql'),
    host: '127.0.0.1',
    port: 0,
    logger,
    createContext: () => ({}),
    resolvers: {
      Query: {
        product: (_: unknown, args: { id: string }) => products.find((p) => p.id === args.id) ?? null,
        products: () => products,
      },
      Product: { __resolveReference: (ref: { id: string }) => products.find((p) => p.id === ref.id) ?? null },
    },
  });
  const reviewsSubgraph = await startSubgraph({
    name: 'reviews',
    schemaPath: join(dir, 'reviews.graphql'),
    host: '127.0.0.1',
    port: 0,
    logger,
    createContext: () => ({}),
    resolvers: {
      Query: {
        topReview: async () => {
          if (delay) await new Promise((r) => setTimeout(r, delay));
          return reviews[0];
        },
      },
      Product: {
        __resolveReference: async (ref: { id: string; weightGrams?: number }) => {
          entityCalls += 1;
          if (delay) await new Promise((r) => setTimeout(r, delay));
          return ref;
        },
        reviews: (product: { id: string }) => reviews.filter((r) => r.productId === product.id),
        shippingCents: (product: { weightGrams: number }) => 500 + Math.ceil(product.weightGrams / 1000) * 100,
      },
      Review: { product: (review: { productId: string }) => ({ id: review.productId }) },
    },
  });

  const composed = composeServices([
    { name: 'products', url: productsSubgraph.url, typeDefs: parse(PRODUCTS_SDL) },
    { name: 'reviews', url: reviewsSubgraph.url, typeDefs: parse(REVIEWS_SDL) },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composed.supergraphSdl);

  const config = readEnv(gatewayEnv, { PORT: '0', SUPERGRAPH_PATH: supergraphPath, LOG_LEVEL: 'silent', ...gatewayEnvOverrides });
  const gateway = await startGateway(config, logger);

  return {
    gatewayUrl: gateway.url,
    products: productsSubgraph,
    reviews: reviewsSubgraph,
    reviewsEntityCalls: () => entityCalls,
    setReviewsDelay: (ms) => {
      delay = ms;
    },
    async stop() {
      await gateway.close();
      await Promise.allSettled([productsSubgraph.close(), reviewsSubgraph.close()]);
    },
  };
}
