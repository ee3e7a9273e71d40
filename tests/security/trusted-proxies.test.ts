/**
 * Behind a load balancer every anonymous caller would share the balancer's address, hence one rate
 * limit: X-Forwarded-For is read, but only from proxies listed in TRUSTED_PROXIES, and from the
 * right (anything further left is the client's own claim).
 */
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayEnv } from '../../common/config.ts';
import { ConfigError, readEnv } from '../../common/env.ts';
import { createClientAddress } from '../../gateway/receive/index.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

const request = (peer: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe('The caller address', () => {
  const behindProxies = createClientAddress(['10.0.0.0/8', '::1']);

  it('is the TCP peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(createClientAddress([])(request('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
  });

  it('is the TCP peer when the peer is not a trusted proxy', () => {
    expect(behindProxies(request('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
  });

  it('is the first untrusted address from the right of X-Forwarded-For when a trusted proxy connects', () => {
    expect(behindProxies(request('10.0.0.2', '198.51.100.1'))).toBe('198.51.100.1');
    // The client wrote its own "1.1.1.1"; the nearest trusted proxy saw 198.51.100.1.
    expect(behindProxies(request('10.0.0.2', '1.1.1.1, 198.51.100.1, 10.1.2.3'))).toBe('198.51.100.1');
    expect(behindProxies(request('::ffff:10.0.0.2', '198.51.100.1'))).toBe('198.51.100.1');
    expect(behindProxies(request('::1', '2001:db8::7'))).toBe('2001:db8::7');
  });

  it('stops at a malformed entry, and keeps the last trusted hop when every hop is a proxy', () => {
    expect(behindProxies(request('10.0.0.2', 'not-an-ip, 10.0.0.9'))).toBe('10.0.0.9');
    expect(behindProxies(request('10.0.0.2', '10.0.0.7, 10.0.0.9'))).toBe('10.0.0.7');
    expect(behindProxies(request('10.0.0.2'))).toBe('10.0.0.2');
  });

  it('refuses a TRUSTED_PROXIES entry that is no address or block, naming the variable', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.local', '10.0.0.1/8/2', '::1/129']) {
      expect(() => readEnv({ trustedProxies: gatewayEnv.trustedProxies }, { TRUSTED_PROXIES: bad })).toThrow(ConfigError);
      expect(() => readEnv({ trustedProxies: gatewayEnv.trustedProxies }, { TRUSTED_PROXIES: bad })).toThrow(/TRUSTED_PROXIES/);
    }
  });
});

describe('Rate limits behind a trusted proxy', () => {
  let trusting: ToyFederation;
  let plain: ToyFederation;
  beforeAll(async () => {
    [trusting, plain] = await Promise.all([
      startToyFederation({ TRUSTED_PROXIES: '127.0.0.1,::1', RATE_LIMIT_ANONYMOUS: '2' }),
      startToyFederation({ RATE_LIMIT_ANONYMOUS: '2' }),
    ]);
  });
  afterAll(async () => {
    await trusting?.stop();
    await plain?.stop();
  });
  const from = (gateway: ToyFederation, address: string) => graphql(gateway.gatewayUrl, '{ __typename }', undefined, { headers: { 'x-forwarded-for': address } });

  it('counts each client behind the proxy on its own', async () => {
    expect(errorCodes(await from(trusting, '198.51.100.1'))).toEqual([]);
    expect(errorCodes(await from(trusting, '198.51.100.1'))).toEqual([]);
    expect(errorCodes(await from(trusting, '198.51.100.1'))).toEqual(['RATE_LIMITED']);
    // Another client of the same proxy has its own limit.
    expect(errorCodes(await from(trusting, '198.51.100.2'))).toEqual([]);
  });

  it('ignores X-Forwarded-For from a peer it does not trust: a client cannot pick its own budget', async () => {
    expect(errorCodes(await from(plain, '198.51.100.1'))).toEqual([]);
    expect(errorCodes(await from(plain, '198.51.100.2'))).toEqual([]);
    expect(errorCodes(await from(plain, '198.51.100.3'))).toEqual(['RATE_LIMITED']);
  });
});
