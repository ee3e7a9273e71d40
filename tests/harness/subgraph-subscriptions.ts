/**
 * graphql-ws on a toy subgraph's /graphql, as the region's requests subgraph serves it: a connection
 * is accepted only with a gateway-signed identity in `connectionParams.identity` (4401 otherwise).
 * Returns the WebSocket server and the `onServer` clean-up that terminates every socket.
 */
import type { Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { identityFromConnectionParams, type Caller } from '../../subgraphs/kit/index.ts';

export function serveToySubscriptions(
  server: Server,
  schema: GraphQLSchema,
  gatewayKey: Uint8Array,
  /** Sees what each connection sent, refused or not, and the identity of each accepted one (to record what the gateway sent). */
  record: { params?: (connectionParams: Readonly<Record<string, unknown>> | undefined) => void; identity?: (identity: Caller | null) => void } = {},
): { sockets: WebSocketServer; close: () => Promise<void> } {
  const sockets = new WebSocketServer({ server, path: '/graphql' });
  const served = useServer(
    {
      schema,
      onConnect: async (ctx) => {
        record.params?.(ctx.connectionParams);
        try {
          record.identity?.(await identityFromConnectionParams(ctx.connectionParams, gatewayKey));
          return true;
        } catch {
          ctx.extra.socket.close(4401, 'Unauthenticated');
          return false;
        }
      },
    },
    sockets,
  );
  return {
    sockets,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      await served.dispose();
    },
  };
}
