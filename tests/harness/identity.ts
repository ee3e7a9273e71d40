/**
 * What the gateway adds to every subgraph call: an identity signed with GATEWAY_SECRET. Tests that
 * call a subgraph directly send one, as the gateway would (anonymous unless told otherwise).
 */
import { gatewayEnv } from '../../common/config.ts';
import { readEnv } from '../../common/env.ts';
import { IDENTITY_HEADER, identityKey, signIdentity, type Identified } from '../../common/identity.ts';

/** The GATEWAY_SECRET every process uses when it is unset (development and tests). */
export const DEV_GATEWAY_SECRET = readEnv({ gatewaySecret: gatewayEnv.gatewaySecret }, {}).gatewaySecret;

export const ANONYMOUS_CALLER: Identified = { id: 'ip:127.0.0.1', kind: 'anonymous', scopes: [] };

/** `{ 'x-passerelle-identity': <signed identity> }` for `who`. */
export function identityHeaders(who: Identified = ANONYMOUS_CALLER, secret = DEV_GATEWAY_SECRET): Record<string, string> {
  return { [IDENTITY_HEADER]: signIdentity(identityKey(secret), who).token };
}
