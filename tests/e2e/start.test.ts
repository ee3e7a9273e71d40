/**
 * `npm start` as a newcomer sees it (scripts/start.ts), every port 0 so it runs beside anything:
 * one readable line per process as it starts, then where every page is — console pages, explorer,
 * GraphQL over HTTP and WebSocket, health — and those addresses answer. Ctrl-C stops it all.
 * Nothing here depends on the GRC snapshot being there (GRC_SEED_CACHE_DIR is a fresh folder).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PORTS = ['PORT', 'GEO_SUBGRAPH_PORT', 'LYCEES_SUBGRAPH_PORT', 'REQUESTS_SUBGRAPH_PORT', 'INSIGHTS_SUBGRAPH_PORT', 'GEO_API_PORT', 'LYCEES_API_PORT', 'GRC_PORT', 'GRC_ADMIN_PORT', 'OPENDATA_API_PORT'];

const cacheDir = mkdtempSync(join(tmpdir(), 'passerelle-start-'));
let child: ChildProcess;
let output = '';
let exited: Promise<number | null>;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      ...Object.fromEntries(PORTS.map((name) => [name, '0'])),
      GRC_SEED_REQUESTS: '300',
      GRC_SEED_CACHE_DIR: cacheDir,
      LYCEES_API_LATENCY_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  exited = new Promise((done) => child.once('exit', (code) => done(code)));
  await new Promise<void>((done, fail) => {
    const timer = setInterval(() => {
      if (output.includes('Press Ctrl-C to stop.')) {
        clearInterval(timer);
        done();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        fail(new Error(`npm start exited:\n${output}`));
      }
    }, 100);
  });
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(cacheDir, { recursive: true, force: true });
});

const printed = (label: string) => new RegExp(`${label}\\s+(\\S+)`).exec(output)?.[1];

describe('npm start', () => {
  it('says what each process is doing while it starts, the first seed included', () => {
    for (const name of ['geo-api', 'lycees-api', 'grc', 'opendata-api', 'geo', 'lycees', 'requests', 'insights', 'gateway']) {
      expect(output, name).toMatch(new RegExp(`^${name}\\s*\\| ${name} ready \\(\\d+\\.\\d s\\)$`, 'm'));
    }
    expect(output).toMatch(/^grc\s*\| seeding 300 requests \(first start only/m);
    // Readable lines, not JSON; a warning every process prints alike is shown once.
    expect(output).not.toMatch(/\| \{"level"/);
    expect(output.match(/GATEWAY_SECRET is the development default/g)).toHaveLength(1);
  });

  it('prints where every page is, and each answers', async () => {
    const graphql = printed('GraphQL over HTTP')!;
    const websocket = printed('GraphQL over WebSocket')!;
    const health = printed('Health')!;
    expect(graphql).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(websocket).toBe(graphql.replace(/^http/, 'ws'));
    expect((await fetch(health)).status).toBe(200);
    const answer = await fetch(graphql, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ departement(code: "93") { name } }' }) });
    expect(await answer.json()).toEqual({ data: { departement: { name: 'Seine-Saint-Denis' } } });
    if (!existsSync(resolve(ROOT, 'console/build.ts'))) return;
    const base = graphql.replace(/\/graphql$/, '');
    for (const [label, path] of [['Console: Déposer une demande', '/#/deposer'], ['Console: Suivre ma demande', '/#/suivre'], ['Console: Impact', '/#/impact'], ["Console: File d'attente", '/#/file'], ['Explorer \\(GraphiQL\\)', '/explorer/']]) {
      expect(printed(label!), label).toBe(`${base}${path}`);
    }
    for (const page of [`${base}/`, `${base}/explorer/`]) {
      const response = await fetch(page);
      expect(response.status, page).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    }
  });

  it('stops everything on Ctrl-C', async () => {
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopping Passerelle…');
  }, 30_000);
});
