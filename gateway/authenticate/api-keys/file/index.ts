/**
 * API keys in a JSON file (API_KEYS_PATH), for a gateway without Redis: `npm run keys` and
 * `npm start` on one machine share it. The gateway checks the file's identity (inode, size, mtime)
 * on every lookup and re-reads it when it changed, so a revocation by the CLI holds from the next
 * request; writes go to a temporary file renamed over the old one, so a reader never sees half a file.
 */
import { mkdirSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isApiKeyRecord, type ApiKeyRecord, type ApiKeyStore } from '../store.ts';

interface FileContents {
  keys: ApiKeyRecord[];
}

export function fileApiKeyStore(path: string): ApiKeyStore {
  let stamp = '';
  let records = new Map<string, ApiKeyRecord>();

  async function load(): Promise<Map<string, ApiKeyRecord>> {
    let current: string;
    try {
      const info = await stat(path);
      current = `${info.ino}:${info.size}:${info.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      current = 'absent';
    }
    if (current === stamp) return records;
    const next = new Map<string, ApiKeyRecord>();
    if (current !== 'absent') {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<FileContents>;
      for (const record of Array.isArray(parsed.keys) ? parsed.keys : []) if (isApiKeyRecord(record)) next.set(record.id, record);
    }
    stamp = current;
    records = next;
    return records;
  }

  return {
    async get(id) {
      return (await load()).get(id);
    },
    async list() {
      return [...(await load()).values()];
    },
    async put(record) {
      const all = new Map(await load());
      all.set(record.id, record);
      mkdirSync(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      // 0600: the hashes are not keys, but the names, scopes and limits are nobody else's business.
      await writeFile(temporary, `${JSON.stringify({ keys: [...all.values()] } satisfies FileContents, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, path);
    },
    async close() {},
  };
}
