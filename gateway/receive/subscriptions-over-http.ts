import type { ApolloServerPlugin } from '@apollo/server';
import { errorCatalogue, passerelleError } from '../../common/errors.ts';
import type { GatewayContext } from '../pipeline.ts';

/**
 * A subscription POSTed as a plain JSON request cannot be answered with one JSON body; rather than
 * let @apollo/gateway fail with an internal error, tell the client which transports serve them.
 */
export function refuseSubscriptionsOverHttp(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw passerelleError(
            'BAD_REQUEST',
            'Subscriptions are served over graphql-ws (WebSocket on /graphql) or SSE (Accept: text/event-stream).',
            { http: { status: errorCatalogue.BAD_REQUEST.status } },
          );
        },
      };
    },
  };
}
