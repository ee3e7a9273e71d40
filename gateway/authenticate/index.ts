/**
 * Stage "authenticate": who is calling — a bearer token (the identity provider's JWT, or one of
 * Passerelle's own), a partner's API key, or nobody — from the HTTP headers, graphql-ws
 * connectionParams or the SSE request.
 */
export { API_KEY_HEADER, bearerToken, credentialsOf, headersWithConnectionParams, type Credentials } from './bearer-token.ts';
export { createAuthenticator, type Authenticator, type AuthenticatorOptions } from './authenticator.ts';
export { createJwksVerifier, JWKS_ALGORITHMS, type JwksOptions, type JwksVerifier } from './jwks.ts';
export { anonymousPrincipal, authorityKey, principalOfApiKey, principalOfClaims } from './principal.ts';
export { openApiKeyStore, type ApiKeyRecord, type ApiKeyStore } from './api-keys/index.ts';
export { whenCredentialsExpire } from './expiry.ts';
