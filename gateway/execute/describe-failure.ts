/**
 * A short, readable reason for whatever a failed fetch or socket threw, for messages such as
 * `Subgraph "geo" is unreachable (ECONNREFUSED)`. Anything can be thrown — an Error with a `cause`
 * (undici's "fetch failed"), an abort reason, a plain object, a string — so only strings and
 * numbers are ever interpolated (and an Error built from an object, whose message reads
 * "[object Object]", is skipped for its name): never "[object Object]" nor "undefined".
 */
export function describeFailure(error: unknown): string {
  for (const candidate of [field(field(error, 'cause'), 'code'), field(error, 'code'), field(error, 'message'), field(field(error, 'cause'), 'message'), error]) {
    if (typeof candidate === 'string' && candidate.trim() !== '' && !candidate.startsWith('[object ')) return candidate.slice(0, 200);
    if (typeof candidate === 'number' && Number.isFinite(candidate)) return String(candidate);
  }
  return error instanceof Error ? error.name : 'unknown failure';
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
