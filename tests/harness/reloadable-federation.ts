/**
 * A toy federation whose supergraph the tests change while the gateway runs: reviews and products
 * subgraphs each serve MORE than any one composition declares, and `compose(version)` writes the
 * gateway's supergraph file (SUPERGRAPH_PATH, watched) with one of four compositions:
 * - `base`: `Review.headline` owned by reviews (it answers "from reviews");
 * - `adds`: the same plus `Product.colour`;
 * - `moves`: `Review.headline` owned by products instead (it answers "from products");
 * - `removes`: `Review.stars` gone.
 *
 * `reviewAdded(productId, after)` follows the resume convention (gateway/execute/resumable-fetch.ts):
 * every review published goes into a journal, its `cursor` is its position, and subscribing with
 * `after` replays the reviews after it before the live ones — as the requests subgraph does.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { readEnv } from '../../common/env.ts';
import { gatewayEnv } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { identityKey, startSubgraph, type RunningSubgraph } from '../../subgraphs/kit/index.ts';
import { startGateway, type RunningGateway } from '../../gateway/index.ts';
import { PushChannel } from './push-channel.ts';
import { serveToySubscriptions } from './subgraph-subscriptions.ts';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

/** What each subgraph actually serves (a superset of every composition). */
const REVIEWS_SERVED = `${LINK}
type Query { topReview: Review }
type Review @key(fields: "id") { id: ID! stars: Int! body: String! headline: String! cursor: String product: Product! }
type Product @key(fields: "id", resolvable: false) { id: ID! }
type Subscription { reviewAdded(productId: ID!, after: String): Review! }`;
const PRODUCTS_SERVED = `${LINK}
type Query { product(id: ID!): Product }
type Product @key(fields: "id") { id: ID! name: String! colour: String }
type Review @key(fields: "id") { id: ID! headline: String! }`;

export type Composition = 'base' | 'adds' | 'moves' | 'removes';

/** What each composition says each subgraph has. */
function declared(version: Composition): { reviews: string; products: string } {
  const headline = version === 'moves' ? '' : 'headline: String!';
  const stars = version === 'removes' ? '' : 'stars: Int!';
  return {
    reviews: `${LINK}
type Query { topReview: Review }
type Review @key(fields: "id") { id: ID! ${stars} body: String! ${headline} cursor: String product: Product! }
type Product @key(fields: "id", resolvable: false) { id: ID! }
type Subscription { reviewAdded(productId: ID!, after: String): Review! }`,
    products: `${LINK}
type Query { product(id: ID!): Product }
type Product @key(fields: "id") { id: ID! name: String! ${version === 'adds' ? 'colour: String' : ''} }
${version === 'moves' ? 'type Review @key(fields: "id") { id: ID! headline: String! }' : ''}`,
  };
}

interface ToyReview {
  id: string;
  productId: string;
  stars: number;
  body: string;
  cursor: string;
}

const products = [
  { id: '1', name: 'Table', colour: 'oak' },
  { id: '2', name: 'Chair', colour: 'black' },
];

export interface ReloadableFederation {
  gatewayUrl: string;
  gateway: RunningGateway;
  reviews: RunningSubgraph;
  /** Writes the gateway's supergraph file with this composition (the gateway picks it up by itself). */
  compose(version: Composition): void;
  /** Journals a review and pushes it to the live `reviewAdded` subscriptions of its product; returns its id. */
  publish(productId: string, body: string): string;
  /** `reviewAdded` subscriptions the reviews subgraph is serving right now. */
  upstreamSubscriptions(): number;
  /** The `after` of every `reviewAdded` subscribe the reviews subgraph received, in order (null: none). */
  subscribedAfter: (string | null)[];
  stop(): Promise<void>;
}

export async function startReloadableFederation(gatewayEnvOverrides: Record<string, string> = {}): Promise<ReloadableFederation> {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-reload-'));
  const logger = createLogger('toy', 'silent');
  writeFileSync(join(dir, 'reviews.graphql'), REVIEWS_SERVED);
  writeFileSync(join(dir, 'products.graphql'), PRODUCTS_SERVED);
  const { gatewaySecret } = readEnv({ gatewaySecret: gatewayEnv.gatewaySecret }, gatewayEnvOverrides);
  const gatewayKey = identityKey(gatewaySecret);
  const journal: ToyReview[] = [];
  const channels = new Set<PushChannel<{ reviewAdded: ToyReview }> & { productId: string }>();
  const subscribedAfter: (string | null)[] = [];

  const productsSubgraph = await startSubgraph({
    name: 'products',
    schemaPath: join(dir, 'products.graphql'),
    host: '127.0.0.1',
    port: 0,
    logger,
    gatewaySecret,
    createContext: () => ({}),
    resolvers: {
      Query: { product: (_: unknown, args: { id: string }) => products.find((p) => p.id === args.id) ?? null },
      Product: { __resolveReference: (ref: { id: string }) => products.find((p) => p.id === ref.id) ?? null },
      Review: {
        __resolveReference: (ref: { id: string }) => ref,
        headline: () => 'from products',
      },
    },
  });
  const reviewsSubgraph = await startSubgraph({
    name: 'reviews',
    schemaPath: join(dir, 'reviews.graphql'),
    host: '127.0.0.1',
    port: 0,
    logger,
    gatewaySecret,
    createContext: () => ({}),
    onServer: (server, schema) => serveToySubscriptions(server, schema, gatewayKey).close,
    resolvers: {
      Subscription: {
        reviewAdded: {
          subscribe: (_: unknown, args: { productId: string; after?: string | null }) => {
            const channel = Object.assign(new PushChannel<{ reviewAdded: ToyReview }>(() => channels.delete(channel)), { productId: args.productId });
            subscribedAfter.push(args.after ?? null);
            // Replay first, then live: nothing between the two is missed (both happen in this tick).
            const after = args.after == null ? Number.POSITIVE_INFINITY : Number(args.after);
            for (const review of journal) if (review.productId === args.productId && Number(review.cursor) > after) channel.push({ reviewAdded: review });
            channels.add(channel);
            return channel;
          },
        },
      },
      Query: { topReview: () => journal[0] ?? { id: 'r0', productId: '1', stars: 5, body: 'First.', cursor: '0' } },
      Review: {
        __resolveReference: (ref: { id: string }) => journal.find((r) => r.id === ref.id) ?? null,
        headline: () => 'from reviews',
        product: (review: { productId: string }) => ({ id: review.productId }),
      },
    },
  });

  const supergraphPath = join(dir, 'supergraph.graphql');
  const compose = (version: Composition) => {
    const sdl = declared(version);
    const composed = composeServices([
      { name: 'products', url: productsSubgraph.url, typeDefs: parse(sdl.products) },
      { name: 'reviews', url: reviewsSubgraph.url, typeDefs: parse(sdl.reviews) },
    ]);
    if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
    writeFileSync(supergraphPath, composed.supergraphSdl);
  };
  compose('base');

  const config = readEnv(gatewayEnv, { PORT: '0', SUPERGRAPH_PATH: supergraphPath, LOG_LEVEL: 'silent', ...gatewayEnvOverrides });
  const gateway = await startGateway(config, logger);

  return {
    gatewayUrl: gateway.url,
    gateway,
    reviews: reviewsSubgraph,
    compose,
    publish(productId, body) {
      const review: ToyReview = { id: `review-${journal.length + 1}`, productId, stars: 4, body, cursor: String(journal.length + 1) };
      journal.push(review);
      for (const channel of channels) if (channel.productId === productId) channel.push({ reviewAdded: review });
      return review.id;
    },
    upstreamSubscriptions: () => channels.size,
    subscribedAfter,
    async stop() {
      await gateway.close();
      await Promise.allSettled([productsSubgraph.close(), reviewsSubgraph.close()]);
    },
  };
}
