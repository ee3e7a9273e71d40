/**
 * What every benchmark needs around its run: a list of things to stop, stopped in reverse order on
 * the way out, on errors and on Ctrl-C, and an AbortSignal the run watches to stop early.
 */
export interface BenchLifecycle {
  /** Registers a clean-up; they run in reverse order. */
  onStop(stop: () => Promise<void>): void;
  /** Runs every clean-up once; the signal handler and the end of `main` may both call it. */
  stopAll(): Promise<void>;
  /** Aborted on SIGINT/SIGTERM. */
  interrupted: AbortSignal;
  /** Runs the benchmark's `main`, then stops everything and exits with its code (1 on an error, 130 after Ctrl-C). */
  run(main: () => Promise<number>): void;
}

export function benchLifecycle(log: (line: string) => void): BenchLifecycle {
  const stops: (() => Promise<void>)[] = [];
  const interrupted = new AbortController();
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => log(`while stopping: ${String(error)}`));
    })();
    return stopping;
  };
  let firstSignalAt: number | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // Ctrl-C reaches this process twice (from the terminal, and relayed by tsx's parent process):
      // only a second press, later, means "exit now, skip the clean-up".
      if (firstSignalAt !== undefined) {
        if (Date.now() - firstSignalAt > 1_000) process.exit(130);
        return;
      }
      firstSignalAt = Date.now();
      log(`${signal}: stopping everything`);
      interrupted.abort();
      void stopAll().then(() => process.exit(130));
    });
  }
  const run = (main: () => Promise<number>) => {
    main().then(
      async (code) => {
        await stopAll();
        process.exit(code);
      },
      async (error: unknown) => {
        // After Ctrl-C, whatever was under way fails as its connections close: not worth a stack trace.
        if (!interrupted.signal.aborted) console.error(error);
        await stopAll();
        process.exit(interrupted.signal.aborted ? 130 : 1);
      },
    );
  };
  return { onStop: (stop) => void stops.push(stop), stopAll, interrupted: interrupted.signal, run };
}
