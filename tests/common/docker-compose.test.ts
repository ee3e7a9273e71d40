/** docker-compose.yml stays valid and wires every process with the documented variables. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const hasCompose = spawnSync('docker-compose', ['--version']).status === 0;
const emptyEnvFile = () => {
  const path = join(mkdtempSync(join(tmpdir(), 'passerelle-compose-')), 'empty.env');
  writeFileSync(path, '');
  return path;
};

describe('docker-compose.yml', () => {
  const secrets = { AUTH_SECRET: 'a'.repeat(64), GATEWAY_SECRET: 'b'.repeat(64), POSTGRES_PASSWORD: 'c'.repeat(32) };
  const config = (env: Record<string, string>) =>
    // An empty --env-file: a developer's own .env (README, docker-compose) must not answer for the test.
    spawnSync('docker-compose', ['--env-file', emptyEnvFile(), '-f', resolve(root, 'docker-compose.yml'), 'config', '-q'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });

  it.skipIf(!hasCompose)('is valid (docker-compose config -q) once the secrets are given', () => {
    const result = config(secrets);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasCompose)('refuses to start without its secrets, naming them (no default secret)', () => {
    const result = config({});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/AUTH_SECRET|GATEWAY_SECRET|POSTGRES_PASSWORD/);
  });

  it('runs in production mode and publishes only the gateway', () => {
    const text = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8');
    expect(text).toMatch(/NODE_ENV: production/);
    const published = [...text.matchAll(/^ {2}([a-z-]+):\n(?:(?: {4}.*)?\n)*? {4}ports:/gm)].map((match) => match[1]);
    expect(published).toEqual(['gateway']);
  });

  it('has one service per process plus PostgreSQL and Redis', () => {
    const text = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8');
    for (const service of ['postgres', 'redis', 'geo-api', 'lycees-api', 'grc', 'opendata-api', 'geo', 'lycees', 'requests', 'insights', 'gateway']) {
      expect(text).toMatch(new RegExp(`^  ${service}:$`, 'm'));
    }
  });
});
