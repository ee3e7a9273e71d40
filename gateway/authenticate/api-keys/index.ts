/** Partners' API keys: a Redis store when REDIS_URL is set, a JSON file otherwise (see store.ts). */
import { fileApiKeyStore } from './file/index.ts';
import { redisApiKeyStore } from './redis/index.ts';
import type { ApiKeyStore } from './store.ts';

export * from './store.ts';
export { fileApiKeyStore } from './file/index.ts';
export { redisApiKeyStore } from './redis/index.ts';

/** The store for this configuration: Redis (shared by every replica) or the API_KEYS_PATH file. */
export function openApiKeyStore(config: { redisUrl: string | undefined; apiKeysPath: string }, options: { cache?: boolean } = {}): ApiKeyStore {
  return config.redisUrl ? redisApiKeyStore({ url: config.redisUrl, ...options }) : fileApiKeyStore(config.apiKeysPath);
}
