/**
 * Rule: each breaker, bulkhead and retry-budget setting takes effect at its edge (common/resilience.ts
 * through the gateway's configuration): ratio 1 never opens, ratio 0 opens on the first failure once
 * BREAKER_MIN_REQUESTS calls were seen, a queue of 0 refuses the first call past the slots, and the
 * variables refuse values out of range.
 */
import { describe, expect, it } from 'vitest';
import { gatewayEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { GuardRefusal, RetryBudget, createGuard, type ResilienceSettings } from '../../common/resilience.ts';
import { resilienceOf } from '../../gateway/execute/subgraph-guards.ts';

const failing = () => Promise.reject(new Error('down'));
const settings = (env: Record<string, string>): ResilienceSettings => {
  const config = readEnv(gatewayEnv, env);
  return resilienceOf(config, config.subgraphConnections, config.subgraphRetries);
};
const callN = async (guard: ReturnType<typeof createGuard>, n: number) => {
  const outcomes: string[] = [];
  for (let i = 0; i < n; i++) {
    outcomes.push(await guard.run(failing, { idempotent: false }).then(() => 'ok', (error: unknown) => (error instanceof GuardRefusal ? error.reason : 'failed')));
  }
  return outcomes;
};

describe('Breaker, bulkhead and retry budget settings', () => {
  it('BREAKER_FAILURE_RATIO=1 never opens', async () => {
    const guard = createGuard('s', settings({ BREAKER_FAILURE_RATIO: '1', BREAKER_MIN_REQUESTS: '1' }), () => true);
    expect(await callN(guard, 20)).toEqual(Array(20).fill('failed'));
    expect(guard.state()).toBe('closed');
  });

  it('BREAKER_FAILURE_RATIO=0 opens at the first failure once BREAKER_MIN_REQUESTS calls were made', async () => {
    const guard = createGuard('s', settings({ BREAKER_FAILURE_RATIO: '0', BREAKER_MIN_REQUESTS: '3' }), () => true);
    expect(await callN(guard, 4)).toEqual(['failed', 'failed', 'failed', 'breaker-open']);
    expect(guard.state()).toBe('open');
  });

  it('failures the caller does not count never open it', async () => {
    const guard = createGuard('s', settings({ BREAKER_FAILURE_RATIO: '0', BREAKER_MIN_REQUESTS: '1' }), () => false);
    expect(await callN(guard, 5)).toEqual(Array(5).fill('failed'));
  });

  it('BREAKER_HALF_OPEN_AFTER_MS: after it, one call probes and its success closes the breaker', async () => {
    const guard = createGuard('s', settings({ BREAKER_FAILURE_RATIO: '0', BREAKER_MIN_REQUESTS: '1', BREAKER_HALF_OPEN_AFTER_MS: '50' }), () => true);
    expect(await callN(guard, 2)).toEqual(['failed', 'breaker-open']);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(guard.state()).toBe('half-open');
    await expect(guard.run(() => Promise.resolve('fine'), { idempotent: true })).resolves.toBe('fine');
    expect(guard.state()).toBe('closed');
  });

  it('BULKHEAD_QUEUE=0 with one slot refuses a second call at once', async () => {
    const guard = createGuard('s', settings({ SUBGRAPH_CONNECTIONS: '1', BULKHEAD_QUEUE: '0', BREAKER_FAILURE_RATIO: '1' }), () => true);
    let release = () => {};
    const first = guard.run(() => new Promise<void>((resolve) => (release = resolve)), { idempotent: true });
    await expect(guard.run(() => Promise.resolve(), { idempotent: true })).rejects.toMatchObject({ reason: 'bulkhead-full' });
    release();
    await first;
  });

  it('the retry budget: reserve spent first, then the ratio; at least one retry banked when the ratio is above 0', () => {
    const budget = new RetryBudget(0.5, 0);
    expect(budget.withdraw()).toBe(false);
    budget.deposit();
    expect(budget.withdraw()).toBe(false);
    budget.deposit();
    expect(budget.withdraw()).toBe(true);
    const none = new RetryBudget(0, 0);
    for (let i = 0; i < 100; i++) none.deposit();
    expect(none.withdraw()).toBe(false);
  });

  it('refuses out-of-range values, naming them', () => {
    for (const [name, value] of [
      ['BREAKER_FAILURE_RATIO', '1.5'],
      ['RETRY_BUDGET_RATIO', '-0.1'],
      ['BREAKER_MIN_REQUESTS', '0'],
      ['BREAKER_WINDOW_MS', '10'],
      ['BREAKER_HALF_OPEN_AFTER_MS', '0'],
      ['BULKHEAD_QUEUE', '-1'],
      ['SUBGRAPH_CONNECTIONS', '0'],
      ['SUBGRAPH_RETRIES', '11'],
      ['SHUTDOWN_TIMEOUT_MS', '-1'],
      ['SHUTDOWN_DELAY_MS', 'soon'],
    ]) {
      expect(() => readEnv(gatewayEnv, { [name]: value })).toThrow(name);
    }
  });
});
