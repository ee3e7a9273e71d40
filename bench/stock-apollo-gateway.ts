/**
 * The baseline of `npm run bench`: stock Apollo Server 5 with @apollo/gateway and their default
 * options, serving the same supergraph as Passerelle. It reads the gateway's own variables (HOST,
 * PORT, SUPERGRAPH_PATH, SUBGRAPH_URLS) so both gateways are started the same way; the others
 * (limits, timeouts, Redis) are Passerelle features the baseline deliberately does not have.
 */
import { readFile } from 'node:fs/promises';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway } from '@apollo/gateway';
import { gatewayEnv } from '../common/config.ts';
import { readEnv } from '../common/env.ts';
import { announceReady, runMain, stopOnSignal } from '../common/lifecycle.ts';
import { forStockApolloGateway, withSubgraphUrls } from './supergraph.ts';

runMain(async () => {
  const config = readEnv(gatewayEnv);
  const supergraphSdl = forStockApolloGateway(withSubgraphUrls(await readFile(config.supergraphPath, 'utf8'), config.subgraphUrls));
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { host: config.host, port: config.port } });
  stopOnSignal(() => server.stop());
  // The standalone server answers on every path; /graphql keeps the URL shape of the other gateways.
  announceReady('stock-apollo-gateway', { graphql: new URL('graphql', url).href });
});
