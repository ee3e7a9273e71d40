/** docker-compose.yml stays valid and wires every process with the documented variables. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const hasCompose = spawnSync('docker-compose', ['--version']).status === 0;

describe('docker-compose.yml', () => {
  it.skipIf(!hasCompose)('is valid (docker-compose config -q)', () => {
    expect(() => execFileSync('docker-compose', ['-f', resolve(root, 'docker-compose.yml'), 'config', '-q'], { stdio: 'pipe' })).not.toThrow();
  });

  it('has one service per process plus PostgreSQL and Redis', () => {
    const text = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8');
    for (const service of ['postgres', 'redis', 'geo-api', 'lycees-api', 'grc', 'opendata-api', 'geo', 'lycees', 'requests', 'insights', 'gateway']) {
      expect(text).toMatch(new RegExp(`^  ${service}:$`, 'm'));
    }
  });
});
