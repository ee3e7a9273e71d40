/** Stage "receive": HTTP routing, methods, body size, JSON. */
export { readBody } from './read-body.ts';
export { createHttpHandler, type HttpHandlerOptions, type GatewayContext } from './http-handler.ts';
export { refuseSubscriptionsOverHttp } from './subscriptions-over-http.ts';
