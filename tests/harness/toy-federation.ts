/**
 * A small federation that has nothing to do with the region — products and reviews — to prove the
 * gateway is generic: it serves whatever supergraph it is given. Each toy subgraph runs on a free
 * port; `delayMs` and `stop()` let tests make one slow or take it down.
 *
 * Reviews also owns a subscription, `reviewAdded(productId)`, served over graphql-ws on its
 * /graphql; `publishReview` pushes an event, `upstreamSubscriptions()` counts the subscriptions
 * the subgraph is serving. Like every Passerelle subgraph, both refuse calls without an identity
 * signed by the gateway (GATEWAY_SECRET), and the reviews graphql-ws server verifies
 * `connectionParams.identity`; `identities` records who the subgraphs were told calls, and
 * `authorizations` any raw credentials that reached them (there should be none).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import type { WebSocketServer } from 'ws';
import { readEnv } from '../../common/env.ts';
import { gatewayEnv } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { identityKey, startSubgraph, type Caller, type RunningSubgraph } from '../../subgraphs/kit/index.ts';
import { startGateway, type RunningGateway, type StartGatewayOptions } from '../../gateway/index.ts';
import { PushChannel } from './push-channel.ts';
import { serveToySubscriptions } from './subgraph-subscriptions.ts';

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@requires", "@external", "@shareable", "@authenticated", "@requiresScopes", "@policy"])';

// Access declarations (tests/security/authorization.test.ts): costCents needs scope `staff`,
// Supplier (a type-level requirement) any authenticated caller, Query.stockReport scope `staff`, Review.authorEmail the
// `personal-data` policy, and the reviewFlagged subscription scope `moderator`.

const PRODUCTS_SDL = `${LINK}
type Query { product(id: ID!): Product products: [Product!]! stockReport: String @requiresScopes(scopes: [["staff"]]) }
type Product @key(fields: "id") {
  id: ID! name: String! priceCents: Int! weightGrams: Int!
  costCents: Int! @requiresScopes(scopes: [["staff"]])
  supplier: Supplier
}
type Supplier @authenticated { name: String! }`;

const REVIEWS_SDL = `${LINK}
type Product @key(fields: "id") {
  id: ID!
  weightGrams: Int! @external
  reviews: [Review!]
  shippingCents: Int! @requires(fields: "weightGrams")
}
type Review { id: ID! stars: Int! body: String! product: Product! authorEmail: String @policy(policies: [["personal-data"]]) }
type Query { topReview: Review }
type Subscription {
  reviewAdded(productId: ID!): Review!
  reviewFlagged(productId: ID!): Review! @requiresScopes(scopes: [["moderator"]])
}`;

const products = [
  { id: '1', name: 'Table', priceCents: 9900, weightGrams: 12000, costCents: 4000, supplier: { name: 'Atelier' } },
  { id: '2', name: 'Chair', priceCents: 4900, weightGrams: 4000, costCents: 2000, supplier: { name: 'Atelier' } },
  { id: '3', name: 'Lamp', priceCents: 1900, weightGrams: 800, costCents: 700, supplier: null },
];
const reviews = [
  { id: 'r1', productId: '1', stars: 5, body: 'Solid.' },
  { id: 'r2', productId: '1', stars: 3, body: 'Heavy.' },
  { id: 'r3', productId: '2', stars: 4, body: 'Comfy.' },
];

interface ToyReview {
  id: string;
  productId: string;
  stars: number;
  body: string;
}

export interface ToyFederation {
  gatewayUrl: string;
  gateway: RunningGateway;
  products: RunningSubgraph;
  reviews: RunningSubgraph;
  /** Entity fetches received by the reviews subgraph (to prove batching). */
  reviewsEntityCalls: () => number;
  setReviewsDelay(ms: number): void;
  /** Pushes a new review to every `reviewAdded` subscription of its product; returns how many got it. */
  publishReview(review: { productId: string; stars: number; body?: string }): number;
  /** `reviewAdded` subscriptions the reviews subgraph is serving right now. */
  upstreamSubscriptions(): number;
  /** Raw `authorization` the subgraphs received: HTTP headers (both subgraphs) and graphql-ws connectionParams (reviews). */
  authorizations: { http: (string | undefined)[]; ws: (string | undefined)[] };
  /** Verified gateway-signed identities (null: anonymous): HTTP fetches (both subgraphs), graphql-ws connections (reviews). */
  identities: { http: (Caller | null)[]; ws: (Caller | null)[] };
  /** The GATEWAY_SECRET the toy subgraphs verify identities with. */
  gatewaySecret: string;
  /** Cuts every graphql-ws connection of the reviews subgraph, as if it had crashed. */
  killReviewsSockets(): void;
  stop(): Promise<void>;
}

export async function startToyFederation(
  gatewayEnvOverrides: Record<string, string> = {},
  options: Pick<StartGatewayOptions, 'before'> = {},
): Promise<ToyFederation> {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-toy-'));
  const logger = createLogger('toy', 'silent');
  writeFileSync(join(dir, 'products.graphql'), PRODUCTS_SDL);
  writeFileSync(join(dir, 'reviews.graphql'), REVIEWS_SDL);
  let delay = 0;
  let entityCalls = 0;
  let published = 0;
  const channels = new Set<PushChannel<{ reviewAdded: ToyReview }> & { productId: string }>();
  const authorizations: ToyFederation['authorizations'] = { http: [], ws: [] };
  const identities: ToyFederation['identities'] = { http: [], ws: [] };
  const recordHttp = ({ headers, identity }: { headers: { get(name: string): string | undefined }; identity: Caller | null }) => {
    authorizations.http.push(headers.get('authorization'));
    identities.http.push(identity);
    return {};
  };
  // The gateway's own reading of its configuration, so both ends share the secret.
  const { gatewaySecret } = readEnv({ gatewaySecret: gatewayEnv.gatewaySecret }, gatewayEnvOverrides);
  const gatewayKey = identityKey(gatewaySecret);
  let reviewsSockets: WebSocketServer | undefined;

  const productsSubgraph = await startSubgraph({
    name: 'products',
    schemaPath: join(dir, 'products.graphql'),
    host: '127.0.0.1',
    port: 0,
    logger,
    gatewaySecret,
    createContext: recordHttp,
    resolvers: {
      Query: {
        product: (_: unknown, args: { id: string }) => products.find((p) => p.id === args.id) ?? null,
        products: () => products,
        stockReport: () => 'all in stock',
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
    gatewaySecret,
    createContext: recordHttp,
    onServer: (server, schema) => {
      const served = serveToySubscriptions(server, schema, gatewayKey, {
        params: (params) => authorizations.ws.push(typeof params?.authorization === 'string' ? params.authorization : undefined),
        identity: (identity) => identities.ws.push(identity),
      });
      reviewsSockets = served.sockets;
      return served.close;
    },
    resolvers: {
      Subscription: {
        reviewAdded: {
          subscribe: (_: unknown, args: { productId: string }) => {
            const channel = Object.assign(new PushChannel<{ reviewAdded: ToyReview }>(() => channels.delete(channel)), {
              productId: args.productId,
            });
            channels.add(channel);
            return channel;
          },
        },
      },
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
      Review: {
        product: (review: { productId: string }) => ({ id: review.productId }),
        authorEmail: (review: { id: string }) => `${review.id}@reviewers.example`,
      },
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
  const gateway = await startGateway(config, logger, options);

  return {
    gatewayUrl: gateway.url,
    gateway,
    products: productsSubgraph,
    reviews: reviewsSubgraph,
    reviewsEntityCalls: () => entityCalls,
    setReviewsDelay: (ms) => {
      delay = ms;
    },
    publishReview({ productId, stars, body = '' }) {
      published += 1;
      const review: ToyReview = { id: `new-${published}`, productId, stars, body };
      let delivered = 0;
      for (const channel of channels) {
        if (channel.productId !== productId) continue;
        channel.push({ reviewAdded: review });
        delivered += 1;
      }
      return delivered;
    },
    upstreamSubscriptions: () => channels.size,
    authorizations,
    identities,
    gatewaySecret,
    killReviewsSockets() {
      for (const client of reviewsSockets?.clients ?? []) client.terminate();
    },
    async stop() {
      await gateway.close();
      await Promise.allSettled([productsSubgraph.close(), reviewsSubgraph.close()]);
    },
  };
}
