/**
 * Keeps one launched process running: when it exits or crashes (anything but our own `stop()`), it
 * is started again on the same ports, after a delay that doubles with each crash in a row up to a
 * cap, so a process that keeps crashing right after start backs off instead of spinning. Its
 * clients (the gateway's subgraph calls, the subgraphs' legacy calls) open new connections to the
 * same address and recover by themselves; nothing else is restarted.
 */
import { ExitedBeforeReady, type LaunchedProcess, type ProcessExit } from './launcher.ts';

export interface SuperviseOptions {
  /** Delay before the first restart after a crash; doubles with each further crash in a row. Default 500 ms. */
  initialDelayMs?: number;
  /** The most the delay grows to. Default 30 s. */
  maxDelayMs?: number;
  /**
   * A process that stayed up this long since it was ready counts as healthy again: its next crash
   * restarts after `initialDelayMs`, as attempt 1. Default 30 s.
   */
  stableAfterMs?: number;
}

export interface SupervisorEvents {
  /** One plain line per exit, restart and failed restart, e.g. "geo exited (code 1); restarting in 2 s (attempt 3)". */
  onEvent?: (message: string) => void;
}

/** A LaunchedProcess whose `child`, `urls` and output follow the current incarnation. */
export interface SupervisedProcess extends LaunchedProcess {
  /** How many times the process was started again since the first start. */
  readonly restarts: number;
}

const DEFAULTS = { initialDelayMs: 500, maxDelayMs: 30_000, stableAfterMs: 30_000 } as const;

/** "0.5 s", "2 s", "30 s". */
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;
const describeExit = (exit: ProcessExit) => (exit.signal ? exit.signal : `code ${exit.code}`);

/**
 * Supervises `first` (already ready). `relaunch` starts a new incarnation on the same ports (the
 * caller pins them in its environment) and resolves when it is ready, or rejects if it is not.
 */
export function supervise(
  first: LaunchedProcess,
  relaunch: () => Promise<LaunchedProcess>,
  options: SuperviseOptions & SupervisorEvents = {},
): SupervisedProcess {
  const { initialDelayMs, maxDelayMs, stableAfterMs } = { ...DEFAULTS, ...withoutUndefined(options) };
  const name = first.name;
  let current = first;
  let readyAt = performance.now();
  let attempt = 0;
  let restarts = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let starting: Promise<LaunchedProcess | undefined> | undefined;

  const schedule = (exit: ProcessExit, beforeReady: boolean) => {
    if (stopped) return;
    attempt += 1;
    const delay = Math.min(initialDelayMs * 2 ** (attempt - 1), maxDelayMs);
    options.onEvent?.(`${name} exited (${describeExit(exit)})${beforeReady ? ' before it was ready' : ''}; restarting in ${seconds(delay)} (attempt ${attempt})`);
    timer = setTimeout(() => {
      timer = undefined;
      starting = restart();
    }, delay);
  };

  const restart = async (): Promise<LaunchedProcess | undefined> => {
    let next: LaunchedProcess;
    try {
      next = await relaunch();
    } catch (error) {
      starting = undefined;
      if (error instanceof ExitedBeforeReady) schedule(error.exit, true);
      else if (!stopped) {
        // Not ready in time (it was stopped by launch itself): count it as a crash too.
        options.onEvent?.(`${name} did not start: ${(error as Error).message.split('\n')[0]}`);
        schedule({ code: null, signal: null }, true);
      }
      return undefined;
    }
    starting = undefined;
    if (stopped) {
      await next.stop();
      return undefined;
    }
    current = next;
    readyAt = performance.now();
    restarts += 1;
    options.onEvent?.(`${name} restarted (attempt ${attempt}), on the same port`);
    watch(next);
    return next;
  };

  const watch = (incarnation: LaunchedProcess) => {
    void incarnation.exited.then((exit) => {
      if (stopped || incarnation !== current) return;
      // Up long enough to count as healthy: this crash starts the backoff over.
      if (performance.now() - readyAt >= stableAfterMs) attempt = 0;
      schedule(exit, false);
    });
  };
  watch(first);

  return {
    name,
    get urls() {
      return current.urls;
    },
    get child() {
      return current.child;
    },
    get exited() {
      return current.exited;
    },
    get restarts() {
      return restarts;
    },
    recentOutput: () => current.recentOutput(),
    async stop(graceMs?: number) {
      stopped = true;
      if (timer) clearTimeout(timer);
      // A restart under way is stopped as soon as it is ready (see restart above).
      await starting;
      await current.stop(graceMs);
    },
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
