/**
 * Deterministic generation: every generated legacy record (lycées, investments, requests) comes
 * from a seeded PRNG, so the same seed always yields the same data and tests can rely on it.
 */

/** mulberry32: small, fast, good enough for fixtures; not for anything secret. */
export function createRng(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** Integer in [min, max]. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    /** Picks an item with probability proportional to `weight(item)`. */
    weighted<T>(items: readonly T[], weight: (item: T) => number): T {
      const total = items.reduce((sum, item) => sum + weight(item), 0);
      let r = next() * total;
      for (const item of items) {
        r -= weight(item);
        if (r <= 0) return item;
      }
      return items[items.length - 1]!;
    },
    chance: (p: number) => next() < p,
  };
}

export type Rng = ReturnType<typeof createRng>;
