/** A minimal GraphQL-over-HTTP client for tests: status, headers and parsed body, nothing hidden. */
export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> & { code?: string } }[];
  };
}

export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  init: { headers?: Record<string, string>; operationName?: string } = {},
): Promise<GraphQLResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify({ query, variables, operationName: init.operationName }),
  });
  const text = await response.text();
  let body: GraphQLResult<T>['body'];
  try {
    body = JSON.parse(text) as GraphQLResult<T>['body'];
  } catch {
    throw new Error(`Not a JSON answer (HTTP ${response.status}): ${text.slice(0, 500)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

/** Codes of a result's errors, for compact assertions. */
export function errorCodes(result: GraphQLResult<unknown>): (string | undefined)[] {
  return (result.body.errors ?? []).map((error) => error.extensions?.code);
}
