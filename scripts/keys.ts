/**
 * Partners' API keys, by hand:
 *   npm run keys -- create --name "Acme" --scopes public,stats [--rate 600] [--quota 100000] [--manifest ops.json]
 *   npm run keys -- list
 *   npm run keys -- rotate <id>      (a new secret; the old one stops working at once)
 *   npm run keys -- revoke <id>      (stops working at once, on every gateway replica)
 * The key itself is printed once, by create and rotate; only its sha256 is kept. Keys live in Redis
 * when REDIS_URL is set (what every gateway replica reads), in API_KEYS_PATH otherwise.
 *
 * A manifest (trusted documents) is a JSON array of operation texts, or an Apollo persisted-query
 * manifest (`{ "operations": [{ "body": "…" }] }`); the key may then run those operations only.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gatewayEnv } from '../common/config.ts';
import { readEnv } from '../common/env.ts';
import { createApiKey, openApiKeyStore, revokeApiKey, rotateApiKey, type ApiKeyRecord } from '../gateway/authenticate/api-keys/index.ts';

const USAGE = `usage:
  npm run keys -- create --name <name> --scopes <a,b> [--rate <requests per window>] [--quota <requests per day>] [--manifest <ops.json>]
  npm run keys -- list
  npm run keys -- rotate <id>
  npm run keys -- revoke <id>`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      rate: { type: 'string' },
      quota: { type: 'string' },
      manifest: { type: 'string' },
    },
  });
}
try {
  parsed = parse();
} catch (error) {
  fail((error as Error).message);
}
const { values, positionals } = parsed;
const [command, id, ...extra] = positionals;
if (extra.length > 0) fail(`unexpected arguments: ${extra.join(' ')}`);

function positive(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) fail(`--${name} ${JSON.stringify(raw)} is not a positive integer`);
  return value;
}

/** sha256 (hex) of each operation of a manifest file. */
function manifestHashes(path: string): string[] {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    fail(`--manifest ${path}: ${(error as Error).message}`);
  }
  const operations = Array.isArray(manifest) ? manifest : (manifest as { operations?: unknown })?.operations;
  if (!Array.isArray(operations) || operations.length === 0) fail(`--manifest ${path}: expected a non-empty array of operations`);
  return operations.map((operation: unknown, index) => {
    const body = typeof operation === 'string' ? operation : (operation as { body?: unknown })?.body;
    if (typeof body !== 'string' || body.trim() === '') fail(`--manifest ${path}: operation ${index} has no text`);
    return createHash('sha256').update(body).digest('hex');
  });
}

function describe(record: ApiKeyRecord): string {
  const limits = [record.rate !== undefined && `rate ${record.rate}`, record.dailyQuota !== undefined && `quota ${record.dailyQuota}/day`].filter(Boolean);
  const state = record.revokedAt ? `REVOKED ${record.revokedAt}` : 'active';
  const trusted = record.trustedOperations ? `, ${record.trustedOperations.length} trusted operations` : '';
  return `${record.id}  ${state}  ${JSON.stringify(record.name)}  scopes ${record.scopes.join(',') || '-'}${limits.length ? `  ${limits.join(', ')}` : ''}${trusted}  created ${record.createdAt}`;
}

const config = readEnv({ redisUrl: gatewayEnv.redisUrl, apiKeysPath: gatewayEnv.apiKeysPath });
const store = openApiKeyStore(config, { cache: false });
try {
  switch (command) {
    case 'create': {
      const name = values.name?.trim() || fail('--name is required');
      const scopes = (values.scopes ?? fail('--scopes is required')).split(',').map((scope) => scope.trim()).filter((scope) => scope !== '');
      if (scopes.some((scope) => !/^[\w:.-]+$/.test(scope))) fail(`--scopes ${JSON.stringify(values.scopes)}: scopes are words separated by commas`);
      const { record, key } = await createApiKey(store, {
        name,
        scopes,
        ...(values.rate !== undefined ? { rate: positive('rate', values.rate) } : {}),
        ...(values.quota !== undefined ? { dailyQuota: positive('quota', values.quota) } : {}),
        ...(values.manifest !== undefined ? { trustedOperations: manifestHashes(values.manifest) } : {}),
      });
      console.error(`created ${describe(record)}\nThe key below is shown once; keep it secret (header x-api-key):`);
      console.log(key);
      break;
    }
    case 'list': {
      for (const record of (await store.list()).sort((a, b) => a.createdAt.localeCompare(b.createdAt))) console.log(describe(record));
      break;
    }
    case 'rotate': {
      const { record, key } = await rotateApiKey(store, id ?? fail('rotate needs the key id'));
      console.error(`rotated ${describe(record)}\nThe old key no longer works. The new key below is shown once:`);
      console.log(key);
      break;
    }
    case 'revoke': {
      const record = await revokeApiKey(store, id ?? fail('revoke needs the key id'));
      console.log(`revoked ${describe(record)}`);
      break;
    }
    default:
      fail(command ? `unknown command ${JSON.stringify(command)}` : 'a command is required');
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await store.close();
}
