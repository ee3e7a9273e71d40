/** Configuration: every variable is parsed in one place, refused clearly when invalid, and documented. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as config from '../../common/config.ts';
import { ConfigError, readEnv, type Spec } from '../../common/env.ts';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
const specs = Object.entries(config).filter(([name]) => name.endsWith('Env')) as [string, Spec][];
const variables = new Set(specs.flatMap(([, spec]) => Object.values(spec).map((v) => v.name)));

describe('Configuration', () => {
  it('documents every environment variable in the README', () => {
    const missing = [...variables].filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('gives every process working defaults with an empty environment', () => {
    for (const [, spec] of specs) expect(() => readEnv(spec, {})).not.toThrow();
  });

  it('refuses invalid values, naming each variable', () => {
    try {
      readEnv(config.gatewayEnv, { PORT: '70000', MAX_DEPTH: 'deep', REDIS_URL: 'http://nope', SUBGRAPH_URLS: 'geo' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      for (const name of ['PORT', 'MAX_DEPTH', 'REDIS_URL', 'SUBGRAPH_URLS']) expect(message).toContain(name);
    }
  });

  it('parses latency ranges and URL maps', () => {
    const lycees = readEnv(config.lyceesApiEnv, { LYCEES_API_LATENCY_MS: '5-9' });
    expect(lycees.latencyMs).toEqual([5, 9]);
    expect(() => readEnv(config.lyceesApiEnv, { LYCEES_API_LATENCY_MS: '9-5' })).toThrow(/LYCEES_API_LATENCY_MS/);
    const gateway = readEnv(config.gatewayEnv, { SUBGRAPH_URLS: 'geo=http://a:1/graphql, lycees=http://b:2/graphql' });
    expect(gateway.subgraphUrls).toEqual({ geo: 'http://a:1/graphql', lycees: 'http://b:2/graphql' });
  });
});
