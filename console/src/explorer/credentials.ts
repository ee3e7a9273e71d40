/**
 * The caller's credential in the Explorer: a bearer token (an agent's JWT, a tracking token from
 * `submitRequest`, a login token) or a partner's API key. It is kept in sessionStorage, so that it
 * survives a reload but not the closing of the tab, and is never written to localStorage where
 * GraphiQL keeps its tabs. HTTP requests carry it as `authorization` / `x-api-key` headers; graphql-ws,
 * which cannot send headers from a browser, carries the same two names in `connectionParams`, as the
 * gateway reads them.
 */

export type CredentialKind = 'bearer' | 'api-key';

export interface Credential {
  kind: CredentialKind;
  value: string;
}

const STORAGE_KEY = 'passerelle.explorer.credential';

/** The stored credential; `null` when there is none or what is stored is not one (edited by hand). */
export function loadCredential(storage: Storage): Credential | null {
  try {
    const parsed = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null') as Partial<Credential> | null;
    if (parsed && (parsed.kind === 'bearer' || parsed.kind === 'api-key') && typeof parsed.value === 'string' && parsed.value) {
      return { kind: parsed.kind, value: parsed.value };
    }
  } catch {
    // Unreadable: start anonymous rather than fail the page.
  }
  return null;
}

/** Stores the credential, or forgets it when `credential` is null or empty. */
export function saveCredential(storage: Storage, credential: Credential | null): Credential | null {
  const cleaned = credential ? normalise(credential) : null;
  if (cleaned) storage.setItem(STORAGE_KEY, JSON.stringify(cleaned));
  else storage.removeItem(STORAGE_KEY);
  return cleaned;
}

/** Trims what was pasted, and drops a "Bearer " someone copied along with the token. */
function normalise({ kind, value }: Credential): Credential | null {
  let trimmed = value.trim();
  if (kind === 'bearer') trimmed = trimmed.replace(/^bearer\s+/i, '');
  return trimmed ? { kind, value: trimmed } : null;
}

/** The headers (HTTP) and connectionParams (graphql-ws) that present the credential; none when anonymous. */
export function credentialParams(credential: Credential | null): Record<string, string> {
  if (!credential) return {};
  return credential.kind === 'bearer' ? { authorization: `Bearer ${credential.value}` } : { 'x-api-key': credential.value };
}
