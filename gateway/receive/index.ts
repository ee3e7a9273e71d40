/** Stage "receive": HTTP routing, methods, body size, JSON, CORS, persisted queries and trusted documents. */
export { readBody } from './read-body.ts';
export { createHttpHandler, type HttpHandlerOptions, type GatewayContext } from './http-handler.ts';
export { refuseSubscriptionsOverHttp } from './subscriptions-over-http.ts';
export { createCorsPolicy, type CorsPolicy, type CorsOptions } from './cors.ts';
export { createDocumentResolver, readManifest, sha256, type DocumentResolver, type DocumentsOptions } from './documents.ts';
export { answerClientError, refuseUnresolvedOperations, refuseGetMutation } from './http-codes.ts';
export { createClientAddress, type ClientAddress } from './client-address.ts';
