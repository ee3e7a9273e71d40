/**
 * Graceful shutdown of an HTTP server, the same for the gateway and the subgraphs: first say "not
 * ready" while still serving (`delayMs`, so load balancers stop sending new requests), then stop
 * listening, end the long-lived event streams with a final event, let the requests in flight finish
 * until `timeoutMs`, and only then cut what is left.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface DrainOptions {
  /** How long to keep serving while /health/ready answers 503 (SHUTDOWN_DELAY_MS). */
  delayMs: number;
  /** How long requests in flight may take once the server stops listening (SHUTDOWN_TIMEOUT_MS); then connections are cut. */
  timeoutMs: number;
  /** Runs once the delay is over, before the server stops listening (e.g. close WebSockets with 1001). */
  beforeStop?: () => Promise<void>;
}

export interface Drain {
  /** True from the moment `stop` is called: /health/ready answers 503. */
  readonly draining: boolean;
  /** Requests whose answer has not been sent yet (event streams included). */
  inFlight(): number;
  stop(options: DrainOptions): Promise<void>;
}

/** The final event of an SSE stream cut by a shutdown (graphql-sse's end of stream): the client resumes elsewhere. */
const SSE_COMPLETE = 'event: complete\ndata:\n\n';

export function trackDrain(server: Server): Drain {
  const active = new Set<ServerResponse>();
  let draining = false;
  let stopped: Promise<void> | undefined;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    active.add(res);
    // Answers sent while draining close their connection: the client reconnects elsewhere.
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => active.delete(res));
  });

  async function run(options: DrainOptions): Promise<void> {
    draining = true;
    if (options.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    await options.beforeStop?.();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    for (const res of active) {
      res.shouldKeepAlive = false;
      if (String(res.getHeader('content-type') ?? '').startsWith('text/event-stream') && !res.writableEnded) {
        // The stream's own handler may still try to write: that must not become an unhandled 'error'.
        res.on('error', () => {});
        res.end(SSE_COMPLETE);
      }
    }
    const deadline = Date.now() + options.timeoutMs;
    while (active.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    server.closeAllConnections();
    await closed;
  }

  return {
    get draining() {
      return draining;
    },
    inFlight: () => active.size,
    stop(options) {
      stopped ??= run(options);
      return stopped;
    },
  };
}
