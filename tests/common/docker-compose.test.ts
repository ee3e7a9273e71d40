/** docker-compose.yml stays valid and wires every process with the documented variables. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface ComposeService {
  image?: string;
  ports?: unknown[];
  deploy?: { replicas?: number };
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  environment?: Record<string, string>;
}
/** The file as docker-compose reads it: YAML merge keys (`<<: *passerelle`) resolved. */
const compose = () =>
  parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

const root = resolve(import.meta.dirname, '../..');
const hasCompose = spawnSync('docker-compose', ['--version']).status === 0;
const emptyEnvFile = () => {
  const path = join(mkdtempSync(join(tmpdir(), 'passerelle-compose-')), 'empty.env');
  writeFileSync(path, '');
  return path;
};

describe('docker-compose.yml', () => {
  const secrets = { AUTH_SECRET: 'a'.repeat(64), GATEWAY_SECRET: 'b'.repeat(64), METRICS_TOKEN: 'm'.repeat(64), POSTGRES_PASSWORD: 'c'.repeat(32) };
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
    expect(result.stderr).toMatch(/AUTH_SECRET|GATEWAY_SECRET|METRICS_TOKEN|POSTGRES_PASSWORD/);
  });

  it('runs in production mode and publishes only nginx, the load balancer in front of the gateways', () => {
    const { services } = compose();
    for (const [name, service] of Object.entries(services)) {
      if (service.image === 'passerelle:latest') expect(service.environment?.NODE_ENV, name).toBe('production');
    }
    const published = Object.entries(services).filter(([, service]) => service.ports?.length).map(([name]) => name);
    expect(published).toEqual(['nginx']);
    expect(services.nginx.ports).toEqual(['4000:4000']);
    // No database or Redis port on the host.
    expect(services.postgres.ports).toBeUndefined();
    expect(services.redis.ports).toBeUndefined();
  });

  it('runs two gateway replicas behind nginx and two requests-subgraph replicas', () => {
    const { services } = compose();
    expect(services.gateway.deploy?.replicas).toBe(2);
    expect(services.requests.deploy?.replicas).toBe(2);
    // nginx balances over every replica of the `gateway` service (DNS, re-resolved), with WebSocket upgrade.
    const conf = readFileSync(resolve(root, 'deploy/nginx/gateway.conf'), 'utf8');
    expect(conf).toMatch(/server gateway:4000 resolve/);
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(conf).toMatch(/proxy_read_timeout 3600s;/);
    expect(services.nginx.healthcheck?.test).toContain('http://127.0.0.1:4000/nginx-health');
    // The gateway reaches the requests replicas by their service name (every replica answers it).
    expect(services.gateway.environment?.SUBGRAPH_URLS).toMatch(/requests=http:\/\/requests:4003\/graphql/);
    // One capture leader among the requests replicas needs the shared Redis.
    expect(services.requests.environment?.REDIS_URL).toBe('redis://redis:6379');
  });

  it('gives every service a healthcheck and starts each once what it depends on is healthy', () => {
    const { services } = compose();
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test, `${name} has no healthcheck`).toBeDefined();
      expect(service.healthcheck?.disable, name).not.toBe(true);
      const dependsOn = service.depends_on ?? {};
      expect(Array.isArray(dependsOn), `${name}: depends_on must use the long form with a condition`).toBe(false);
      for (const [dependency, { condition }] of Object.entries(dependsOn as Record<string, { condition?: string }>)) {
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
        expect(services[dependency], `${name} depends on an unknown service ${dependency}`).toBeDefined();
      }
    }
    // Passerelle's processes are probed on their own port, with node (the image has no curl).
    const port = (service: ComposeService) => String(service.healthcheck?.test).match(/127\.0\.0\.1:(\d+)\//)?.[1];
    expect(port(services.gateway)).toBe(services.gateway.environment?.PORT);
    expect(port(services.geo)).toBe(services.geo.environment?.GEO_SUBGRAPH_PORT);
    expect(port(services.lycees)).toBe(services.lycees.environment?.LYCEES_SUBGRAPH_PORT);
    expect(port(services.requests)).toBe(services.requests.environment?.REQUESTS_SUBGRAPH_PORT);
    expect(port(services.insights)).toBe(services.insights.environment?.INSIGHTS_SUBGRAPH_PORT);
    expect(port(services['geo-api'])).toBe(services['geo-api'].environment?.GEO_API_PORT);
    expect(port(services['lycees-api'])).toBe(services['lycees-api'].environment?.LYCEES_API_PORT);
    expect(port(services.grc)).toBe(services.grc.environment?.GRC_ADMIN_PORT);
    expect(port(services['opendata-api'])).toBe(services['opendata-api'].environment?.OPENDATA_API_PORT);
  });

  it('passes the database password to the requests subgraph as to the GRC (no hard-coded credential)', () => {
    const { services } = compose();
    expect(services.grc.environment?.DATABASE_URL).toContain('${POSTGRES_PASSWORD}');
    expect(services.requests.environment?.GRC_DATABASE_URL).toContain('${POSTGRES_PASSWORD}');
  });

  it('has one service per process plus PostgreSQL and Redis', () => {
    const text = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8');
    for (const service of ['postgres', 'redis', 'geo-api', 'lycees-api', 'grc', 'opendata-api', 'geo', 'lycees', 'requests', 'insights', 'gateway', 'nginx']) {
      expect(text).toMatch(new RegExp(`^  ${service}:$`, 'm'));
    }
  });
});
