import type { Principal } from '../pipeline.ts';

// setTimeout stores its delay in a signed 32-bit integer: a longer delay fires at once.
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `onExpired` when the principal's credentials expire (never for credentials without an
 * expiry). Returns the function that cancels it. Long-lived connections use this: a token checked
 * once at connection time must not keep a stream open after it stopped being valid.
 */
export function whenCredentialsExpire(principal: Principal, onExpired: () => void): () => void {
  const { expiresAt } = principal;
  if (expiresAt === undefined) return () => {};
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const remaining = expiresAt - Date.now();
    if (remaining <= 0) {
      timer = undefined;
      onExpired();
      return;
    }
    timer = setTimeout(arm, Math.min(remaining, LONGEST_TIMER_MS));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
