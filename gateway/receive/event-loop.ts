/**
 * The gateway's event-loop delay, shown on `/health` as `eventLoop: { maxDelayMs, p99DelayMs }`:
 * the longest any callback waited since the previous read. A document that makes a validation
 * rule exponential, or an answer too large to serialise, shows up here as a stall every other
 * caller suffers; the security suite reads it around each attack (tests/security/harness.ts).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopDelay {
  /** Longest delay since the previous read, in milliseconds. */
  maxDelayMs: number;
  /** 99th percentile of the delays since the previous read, in milliseconds. */
  p99DelayMs: number;
}

export interface EventLoopMonitor {
  /** The delays since the previous read (then starts over). */
  read(): EventLoopDelay;
  stop(): void;
}

export function createEventLoopMonitor(resolutionMs = 10): EventLoopMonitor {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const ms = (nanoseconds: number) => Math.round(nanoseconds / 1e4) / 100;
  return {
    read() {
      // The histogram includes the sampling resolution itself; report only what exceeds it.
      const delay = { maxDelayMs: Math.max(0, ms(histogram.max) - resolutionMs), p99DelayMs: Math.max(0, ms(histogram.percentile(99)) - resolutionMs) };
      histogram.reset();
      return delay;
    },
    stop: () => histogram.disable(),
  };
}
