/** Stage "authenticate": who is calling, from a bearer token (HTTP header, graphql-ws connectionParams, SSE header). */
export { bearerToken, hmacKey, verifyBearerToken } from './bearer-token.ts';
export { whenCredentialsExpire } from './expiry.ts';
