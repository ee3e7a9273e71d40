/**
 * Stage "respond / stream": long-lived answers. graphql-ws and SSE transports over one
 * transport-free core (prepare, run once or stream, shared upstream subscriptions with bounded
 * per-subscriber queues), and the protocol vocabulary both use.
 */
export { CloseCode, TERMINATIONS, acceptsEventStream, type Termination } from './protocol.ts';
export { createStreamCore, PreparedOperation, type StreamCore, type StreamCoreOptions, type OperationRequest } from './operations.ts';
export { SharedSubscriptions, type SubscriptionCounts } from './shared-subscriptions.ts';
export { createGraphQLWsTransport, type GraphQLWsOptions, type GraphQLWsTransport } from './graphql-ws.ts';
export { createSseHandler, type SseOptions, type EventStreamHandler, type EventStreamRequest } from './sse.ts';
export { SubscriptionCaps, type SubscriptionCapsOptions } from './subscription-caps.ts';
