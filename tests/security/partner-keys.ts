/** Partner API keys for the edge-protection suites: a JSON key file (API_KEYS_PATH) holding the given keys. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, fileApiKeyStore, type NewApiKey } from '../../gateway/authenticate/api-keys/index.ts';

export async function partnerKeys(inputs: NewApiKey[]): Promise<{ path: string; keys: string[] }> {
  const path = join(mkdtempSync(join(tmpdir(), 'passerelle-keys-')), 'api-keys.json');
  const store = fileApiKeyStore(path);
  const keys: string[] = [];
  for (const input of inputs) keys.push((await createApiKey(store, input)).key);
  await store.close();
  return { path, keys };
}
