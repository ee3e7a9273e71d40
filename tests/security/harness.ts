/**
 * What every security test asserts around an attack, besides its own coded error:
 * - no event-loop stall: the gateway's `/health` reports `eventLoop.maxDelayMs`, the longest delay
 *   since the previous read (gateway/receive/event-loop.ts); `withoutStall` reads it before (to
 *   start over) and after the attack;
 * - no other caller harmed: `innocentAlongside` runs an innocent query at the same time as the
 *   attack and checks it still answers correctly.
 */
import { expect } from 'vitest';
import { graphql, type GraphQLResult } from '../harness/graphql.ts';

/** The stall the suite tolerates (issue 7: "no event-loop stall over 100 ms"). */
export const MAX_STALL_MS = 100;

export interface EventLoopHealth {
  maxDelayMs: number;
  p99DelayMs: number;
}

/** The gateway's event-loop delay since the previous read. */
export async function readEventLoop(gatewayUrl: string): Promise<EventLoopHealth> {
  const response = await fetch(new URL('/health', gatewayUrl));
  const body = (await response.json()) as { eventLoop?: EventLoopHealth };
  if (!body.eventLoop) throw new Error('/health does not report eventLoop');
  return body.eventLoop;
}

/** Runs `attack` and asserts the gateway's event loop never stalled over `maxStallMs` meanwhile. */
export async function withoutStall<T>(gatewayUrl: string, attack: () => Promise<T>, maxStallMs = MAX_STALL_MS): Promise<T> {
  await readEventLoop(gatewayUrl);
  const result = await attack();
  const { maxDelayMs } = await readEventLoop(gatewayUrl);
  expect(maxDelayMs, `event loop stalled ${maxDelayMs} ms during the attack`).toBeLessThanOrEqual(maxStallMs);
  return result;
}

/**
 * Runs `attack` while an innocent caller sends `query`, and asserts the innocent caller got
 * `expected` data and no error. Returns the attack's result.
 */
export async function innocentAlongside<T>(
  gatewayUrl: string,
  innocent: { query: string; variables?: Record<string, unknown>; expected: unknown },
  attack: () => Promise<T>,
): Promise<T> {
  const [result, bystander] = await Promise.all([attack(), graphql(gatewayUrl, innocent.query, innocent.variables)]);
  expectInnocentServed(bystander, innocent.expected);
  return result;
}

export function expectInnocentServed(result: GraphQLResult, expected: unknown): void {
  expect(result.status).toBe(200);
  expect(result.body.errors).toBeUndefined();
  expect(result.body.data).toEqual(expected);
}

/** A document that makes a naive walker exponential: `levels` fragments, each spreading the next twice. */
export function fragmentFanOut(levels: number, options: { root: string; field: string; leaf: string; type: string; rootType?: string }): string {
  const { root, field, leaf, type } = options;
  const fragments: string[] = [];
  for (let level = 0; level < levels; level += 1) {
    const next = level + 1 < levels ? `...F${level + 1} ...F${level + 1}` : leaf;
    fragments.push(`fragment F${level} on ${type} { ${field} { ${next} } ${leaf} }`);
  }
  return `query { ${root} { ...F0 } } ${fragments.join(' ')}`;
}
