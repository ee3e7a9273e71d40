import type { Parsed } from '../../common/env.ts';
import { ConfigError } from '../../common/env.ts';
import type { gatewayEnv } from '../../common/config.ts';
import type { GatewayPlugin } from '../pipeline.ts';
import { createAuthenticator, createJwksVerifier, openApiKeyStore, type ApiKeyStore, type JwksOptions } from '../authenticate/index.ts';

export interface AuthenticationOptions {
  /**
   * AUTH_SECRET: key of Passerelle's own HS256 tokens (tracking tokens; agents' tokens in
   * development). A request without credentials is anonymous (`ip:<address>`); one whose
   * credentials do not verify gets UNAUTHENTICATED (HTTP 401, graphql-ws close 4401).
   */
  authSecret: string;
  /** NODE_ENV=production: HS256 tokens are accepted as tracking tokens only. Default false. */
  production?: boolean;
  /** JWT_CLOCK_SKEW_S, in seconds. Default 30. */
  clockSkewS?: number;
  /** The identity provider's key set (JWKS_URL or JWKS_PATH, JWT_ISSUER, JWT_AUDIENCE). Unset: RS256/ES256 tokens are refused. */
  jwks?: Omit<JwksOptions, 'clockSkewS'>;
  /** Partners' API keys (`x-api-key`). Unset: API keys are refused. Closed with the gateway. */
  apiKeys?: ApiKeyStore;
}

export function useAuthentication(options: AuthenticationOptions): GatewayPlugin {
  const clockSkewS = options.clockSkewS ?? 30;
  const authenticate = createAuthenticator({
    authSecret: options.authSecret,
    production: options.production ?? false,
    clockSkewS,
    ...(options.jwks ? { jwks: createJwksVerifier({ ...options.jwks, clockSkewS }) } : {}),
    ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
  });
  return {
    name: 'authentication',
    onAuthenticate: authenticate,
    close: () => options.apiKeys?.close(),
  };
}

/**
 * The options from the gateway's configuration: the API key store of REDIS_URL (or API_KEYS_PATH),
 * and the JWKS when JWKS_URL or JWKS_PATH is set — which then needs JWT_ISSUER and JWT_AUDIENCE
 * (ConfigError otherwise: a token for any audience would do).
 */
export function authenticationFromConfig(config: Parsed<typeof gatewayEnv>): AuthenticationOptions {
  const source = config.jwksUrl ? { url: config.jwksUrl } : config.jwksPath ? { path: config.jwksPath } : undefined;
  if (source) {
    const missing = [!config.jwtIssuer && 'JWT_ISSUER', !config.jwtAudience && 'JWT_AUDIENCE'].filter(Boolean);
    if (missing.length > 0) throw new ConfigError(`${missing.join(' and ')} must be set when ${config.jwksUrl ? 'JWKS_URL' : 'JWKS_PATH'} is: tokens are checked against them.`);
  }
  return {
    authSecret: config.authSecret,
    production: config.nodeEnv === 'production',
    clockSkewS: config.jwtClockSkewS,
    ...(source ? { jwks: { ...source, issuer: config.jwtIssuer, audience: config.jwtAudience } } : {}),
    apiKeys: openApiKeyStore(config),
  };
}
