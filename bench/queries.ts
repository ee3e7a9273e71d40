/**
 * The operations the benchmark sends, and the check that every gateway answers them with the same
 * data and no error before anything is measured (a fast wrong answer is not a result).
 */

export interface BenchQuery {
  name: string;
  /** The exact JSON request body sent by every gateway's load. */
  body: string;
}

export interface GraphqlAnswer {
  status: number;
  bytes: number;
  data: unknown;
  errors: unknown[];
}

/** The region's "Impact" query (a département, its communes, their lycées, investments and requests). */
export const IMPACT = /* GraphQL */ `
  query Impact($dep: String!, $year: Int!) {
    departement(code: $dep) {
      name
      impact(year: $year) { investedEur perInhabitantEur }
      communes {
        code name population
        lycees { uai name students equipment { kind quantity } openRequests { totalCount } }
        investments(year: $year) { programme { name } amountEur }
        requestStats { open resolved medianResolutionDays }
      }
    }
  }`;

export function lyceeQuery(uai: string): BenchQuery {
  const query = `query { lycee(uai: ${JSON.stringify(uai)}) { uai name students commune { name population } } }`;
  return { name: 'lycee', body: JSON.stringify({ query }) };
}

export function impactQuery(dep: string, year: number): BenchQuery {
  return { name: `impact ${dep}`, body: JSON.stringify({ query: IMPACT, variables: { dep, year } }) };
}

export async function postGraphql(url: string, body: string): Promise<GraphqlAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: { data?: unknown; errors?: unknown[] };
  try {
    parsed = JSON.parse(text) as { data?: unknown; errors?: unknown[] };
  } catch {
    parsed = { errors: [`not JSON: ${text.slice(0, 200)}`] };
  }
  return { status: response.status, bytes: Buffer.byteLength(text), data: parsed.data ?? null, errors: parsed.errors ?? [] };
}

/** A real UAI, so the single-lycée query resolves a lycée rather than `null`. */
export async function firstUai(url: string): Promise<string> {
  const answer = await postGraphql(url, JSON.stringify({ query: '{ lycees(first: 1) { edges { node { uai } } } }' }));
  const data = answer.data as { lycees?: { edges?: { node?: { uai?: string } }[] } } | null;
  const uai = data?.lycees?.edges?.[0]?.node?.uai;
  if (!uai || answer.errors.length > 0) throw new Error(`Could not get a UAI: ${JSON.stringify(answer).slice(0, 500)}`);
  return uai;
}

/** Where two JSON values first differ (`$.a.b[3]: 1 ≠ 2`), or undefined when they are equal. */
export function firstDifference(left: unknown, right: unknown, path = '$'): string | undefined {
  if (Array.isArray(left) && Array.isArray(right)) {
    if (left.length !== right.length) return `${path}: ${left.length} items ≠ ${right.length} items`;
    for (let i = 0; i < left.length; i++) {
      const difference = firstDifference(left[i], right[i], `${path}[${i}]`);
      if (difference) return difference;
    }
    return undefined;
  }
  if (isObject(left) && isObject(right)) {
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    for (const key of keys) {
      if (!(key in left) || !(key in right)) return `${path}.${key}: present on one side only`;
      const difference = firstDifference(left[key], right[key], `${path}.${key}`);
      if (difference) return difference;
    }
    return undefined;
  }
  return Object.is(left, right) ? undefined : `${path}: ${JSON.stringify(left)} ≠ ${JSON.stringify(right)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
