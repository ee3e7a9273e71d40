import type { GatewayPlugin } from '../pipeline.ts';
import { bearerToken, hmacKey, verifyBearerToken } from '../authenticate/index.ts';

export interface AuthenticationOptions {
  /**
   * HS256 secret of the bearer tokens (AUTH_SECRET). A request without a token is anonymous; one
   * whose token is invalid or expired gets UNAUTHENTICATED (HTTP 401, graphql-ws close 4401). The
   * verified token is forwarded to every subgraph, which makes its own authorisation decisions.
   */
  secret: string;
}

export function useAuthentication(options: AuthenticationOptions): GatewayPlugin {
  const key = hmacKey(options.secret);
  return {
    name: 'authentication',
    onAuthenticate(request) {
      const token = bearerToken(request.headers);
      return token === undefined ? undefined : verifyBearerToken(token, key);
    },
  };
}
