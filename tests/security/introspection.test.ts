/**
 * Introspection policy (INTROSPECTION on|off|auto, default auto = on in development, off in
 * production): when off, `__schema`/`__type` are refused with INTROSPECTION_DISABLED (400) on every
 * transport, unless the caller has the scope `introspection`; `__typename` always works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../common/env.ts';
import { gatewayEnv } from '../../common/config.ts';
import { errorCodes, graphql } from '../harness/graphql.ts';
import { signToken } from '../harness/streams.ts';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

const INTROSPECT = '{ __schema { queryType { name } } }';
const TYPE_IN_FRAGMENT = 'query { ...F } fragment F on Query { __type(name: "Product") { name } }';
let toy: ToyFederation;
beforeAll(async () => {
  toy = await startToyFederation({ INTROSPECTION: 'off', RATE_LIMIT_ANONYMOUS: '0', RATE_LIMIT_CITIZEN: '0' });
});
afterAll(async () => {
  await toy?.stop();
});

describe('INTROSPECTION=off', () => {
  it('refuses __schema and __type (through fragments too) to a caller without the scope', async () => {
    for (const query of [INTROSPECT, TYPE_IN_FRAGMENT]) {
      const answer = await graphql(toy.gatewayUrl, query);
      expect(answer.status).toBe(400);
      expect(errorCodes(answer)).toEqual(['INTROSPECTION_DISABLED']);
    }
    const citizen = await signToken(readEnv(gatewayEnv, {}).authSecret, { sub: 'citizen:C1' });
    expect(errorCodes(await graphql(toy.gatewayUrl, INTROSPECT, undefined, { headers: { authorization: `Bearer ${citizen}` } }))).toEqual(['INTROSPECTION_DISABLED']);
  });

  it('refuses it over SSE too', async () => {
    const response = await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ query: INTROSPECT }) });
    expect(await response.text()).toContain('INTROSPECTION_DISABLED');
  });

  it('lets a caller with the scope `introspection` introspect', async () => {
    const token = await signToken(readEnv(gatewayEnv, {}).authSecret, { sub: 'citizen:C2', scope: 'introspection' });
    const answer = await graphql(toy.gatewayUrl, INTROSPECT, undefined, { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('keeps __typename', async () => {
    expect((await graphql(toy.gatewayUrl, '{ __typename }')).body).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('INTROSPECTION=auto (the default)', () => {
  it('follows NODE_ENV: on in development, off in production', () => {
    expect(readEnv(gatewayEnv, {}).introspection).toBe('auto');
  });

  it('lets anyone introspect in development', async () => {
    const dev = await startToyFederation({ RATE_LIMIT_ANONYMOUS: '0' });
    try {
      expect((await graphql(dev.gatewayUrl, INTROSPECT)).status).toBe(200);
    } finally {
      await dev.stop();
    }
  });
});
