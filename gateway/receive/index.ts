/** Stage "receive": HTTP routing, methods, body size, JSON, CORS, CSRF, persisted queries and trusted documents, the GraphQL-over-HTTP request. */
export { readBody } from './read-body.ts';
export { createHttpHandler, type HttpHandlerOptions, type GatewayContext } from './http-handler.ts';
export { createCorsPolicy, type CorsPolicy, type CorsOptions } from './cors.ts';
export { createDocumentResolver, readManifest, sha256, type DocumentResolver, type DocumentsOptions } from './documents.ts';
export { answerClientError, refuseGetMutation } from './http-codes.ts';
export { createHttpOperationHandler, type HttpOperationHandler, type HttpOperationOptions, type HttpOperationRequest, type HttpOperationAnswer } from './http-operation.ts';
export { graphQLParamsOf, type GraphQLParams } from './graphql-request.ts';
export { CSRF_PREVENTION_HEADERS, csrfRefusal } from './csrf.ts';
export { createClientAddress, type ClientAddress } from './client-address.ts';
