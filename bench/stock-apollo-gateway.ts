/**
 * The baseline of `npm run bench`: stock Apollo Server 5 with @apollo/gateway and their default
 * options, serving the same supergraph as Passerelle. It reads the gateway's own variables (HOST,
 * PORT, SUPERGRAPH_PATH, SUBGRAPH_URLS) so both gateways are started the same way; the others
 * (limits, timeouts, Redis) are Passerelle features the baseline deliberately does not have. It signs
 * the anonymous caller's identity with GATEWAY_SECRET, without which no subgraph of the region answers.
 */
import { readFile } from 'node:fs/promises';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { gatewayEnv } from '../common/config.ts';
import { IDENTITY_HEADER, createIdentitySigner, type Identified } from '../common/identity.ts';
import { readEnv } from '../common/env.ts';
import { announceReady, runMain, stopOnSignal } from '../common/lifecycle.ts';
import { forStockApolloGateway, withSubgraphUrls } from './supergraph.ts';

runMain(async () => {
  const config = readEnv(gatewayEnv);
  const supergraphSdl = forStockApolloGateway(withSubgraphUrls(await readFile(config.supergraphPath, 'utf8'), config.subgraphUrls));
  // The region's subgraphs answer only calls carrying a gateway-signed identity; the benchmark's
  // load is anonymous, so the baseline signs every fetch as an anonymous caller, as Passerelle does.
  const sign = createIdentitySigner(config.gatewaySecret);
  const anonymous: Identified = { id: 'anonymous', kind: 'anonymous', scopes: [] };
  const buildService = ({ url }: { url?: string }) =>
    new RemoteGraphQLDataSource({ url, willSendRequest: ({ request }) => request.http?.headers.set(IDENTITY_HEADER, sign(anonymous)) });
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl, buildService }) });
  const { url } = await startStandaloneServer(server, { listen: { host: config.host, port: config.port } });
  stopOnSignal(() => server.stop());
  // The standalone server answers on every path; /graphql keeps the URL shape of the other gateways.
  announceReady('stock-apollo-gateway', { graphql: new URL('graphql', url).href });
});
