/**
 * How a process tells its launcher it is ready, and how it stops cleanly. `scripts/start.ts` and the
 * test harness start every process with an IPC channel and wait for the `ready` message, so nobody
 * guesses ports or sleeps: each process may listen on port 0 and report the port it got.
 */
import type { Logger } from './logger.ts';

export interface ReadyMessage {
  type: 'ready';
  name: string;
  /** Named endpoints, e.g. `{ http: 'http://127.0.0.1:4101' }` or `{ graphql: '…', postgres: '…' }`. */
  urls: Record<string, string>;
}

export function announceReady(name: string, urls: Record<string, string>, logger?: Logger): void {
  const message: ReadyMessage = { type: 'ready', name, urls };
  logger?.info({ urls }, `${name} ready`);
  process.send?.(message);
}

/**
 * Runs `stop` once on SIGINT/SIGTERM or when the parent's IPC channel closes (the launcher died),
 * then exits. A second signal exits at once.
 */
export function stopOnSignal(stop: () => Promise<void>, logger?: Logger): void {
  let stopping = false;
  const handler = (reason: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger?.info({ reason }, 'stopping');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger?.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
  if (process.send) process.on('disconnect', () => handler('parent gone'));
}

/** Runs a process's `main`, printing a configuration error without a stack trace. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const err = error as Error;
    console.error(err.name === 'ConfigError' ? err.message : err);
    process.exit(1);
  });
}
