/**
 * `npm run token -- --agent AG0001 [--ttl 3600]`: prints an agent's bearer token (JWT HS256 signed
 * with AUTH_SECRET, scope `agent`), for development — to call the workflow mutations by hand:
 *   curl -H "authorization: Bearer $(npm run -s token -- --agent AG0001)" …
 * Development only: in production (NODE_ENV=production) the gateway accepts Passerelle's own
 * tokens as tracking tokens only, and agents get theirs from the region's identity provider (JWKS),
 * so this script refuses to run there. AUTH_SECRET follows the same rules as in every process.
 */
import { parseArgs } from 'node:util';
import { requestsSubgraphEnv } from '../common/config.ts';
import { configWarnings, readEnv } from '../common/env.ts';
import { agentClaims, signToken, tokenKey } from '../subgraphs/kit/index.ts';

const USAGE = 'usage: npm run token -- --agent <matricule, e.g. AG0001> [--ttl <seconds, default 3600>]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let values: { agent?: string; ttl?: string };
try {
  ({ values } = parseArgs({ options: { agent: { type: 'string' }, ttl: { type: 'string', default: '3600' } }, strict: true }));
} catch (error) {
  fail((error as Error).message);
}
const matricule = values.agent ?? fail('--agent is required');
if (!/^[A-Za-z0-9]{1,10}$/.test(matricule)) fail(`--agent ${JSON.stringify(matricule)} is not a matricule`);
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl < 1) fail(`--ttl ${JSON.stringify(values.ttl)} is not a positive number of seconds`);

if (process.env.NODE_ENV === 'production') fail('npm run token is for development: in production agents sign in with the identity provider.');
// Only AUTH_SECRET is read: the secret the gateway verifies Passerelle's own tokens with.
const spec = { authSecret: requestsSubgraphEnv.authSecret };
let authSecret: string;
try {
  ({ authSecret } = readEnv(spec));
} catch (error) {
  fail((error as Error).message);
}
for (const warning of configWarnings(spec)) console.error(`warning: ${warning}`);
const { token } = await signToken(tokenKey(authSecret), agentClaims(matricule), new Date(), ttl);
console.log(token);
