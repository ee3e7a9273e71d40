/**
 * GraphQL over HTTP to the gateway that served the page (same origin, `/graphql`), as any
 * partner's app would: POST with a JSON body — the content type the gateway's CSRF check asks of
 * browsers — and the caller's token, if any, as a bearer token. Nothing else is ever fetched.
 */
import type { TypedDocumentString } from '../operations/generated.ts';

export const GRAPHQL_PATH = '/graphql';

export interface ApiError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; argument?: string; [key: string]: unknown };
}

export interface ApiResult<T> {
  data: T | null;
  errors: ApiError[];
}

/** A whole request that failed (network, HTTP refusal): the page says so in French. */
export class ApiFailure extends Error {
  constructor(message: string, readonly errors: ApiError[] = []) {
    super(message);
  }
}

/** The operation text to send (the generated document is a String holding it, fragments appended). */
export function operationText(document: { toString(): string }): string {
  return document.toString();
}

export async function execute<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: { token?: string | null; signal?: AbortSignal } = {},
): Promise<ApiResult<TResult>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: operationText(document), variables }),
      signal: options.signal,
      credentials: 'omit',
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiFailure('La passerelle ne répond pas. Vérifiez votre connexion et réessayez.');
  }
  let body: { data?: TResult | null; errors?: ApiError[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiFailure(`Réponse inattendue de la passerelle (HTTP ${response.status}).`);
  }
  return { data: body.data ?? null, errors: body.errors ?? [] };
}

/** Like `execute`, but any error is a failure (for reads where a partial answer is no use). */
export async function query<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: { token?: string | null; signal?: AbortSignal } = {},
): Promise<TResult> {
  const result = await execute(document, variables, options);
  if (result.errors.length > 0 || !result.data) throw new ApiFailure(describeErrors(result.errors), result.errors);
  return result.data;
}

const MESSAGES: Record<string, string> = {
  UNAUTHENTICATED: 'Jeton absent, invalide ou expiré.',
  FORBIDDEN: "Ce jeton ne permet pas cette action.",
  RATE_LIMITED: 'Trop de requêtes : réessayez dans un instant.',
  INVALID_TRANSITION: "Ce changement de statut n'est pas permis depuis le statut actuel.",
  SUBGRAPH_UNAVAILABLE: 'Un des systèmes de la Région ne répond pas ; réessayez plus tard.',
  LEGACY_UNAVAILABLE: 'Un des systèmes de la Région ne répond pas ; réessayez plus tard.',
};

/** One French sentence for a list of errors (the API's own message when no French one is known). */
export function describeErrors(errors: ApiError[]): string {
  if (errors.length === 0) return 'Réponse vide de la passerelle.';
  return errors.map((error) => MESSAGES[error.extensions?.code ?? ''] ?? error.message).filter((m, i, all) => all.indexOf(m) === i).join(' ');
}
