/**
 * When `npm start` and `npm install` rebuild the console (scripts/console-build.ts): when its
 * output is missing, or older than any source under console/ or than the lock file; never for
 * dist/ itself.
 */
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleReason } from '../../scripts/console-build.ts';

function fakeConsole(): { dir: string; lock: string; at: (path: string, seconds: number) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-console-build-'));
  for (const folder of ['src/pages', 'src/explorer', 'dist/explorer', 'dist/assets']) mkdirSync(join(dir, folder), { recursive: true });
  const lock = join(dir, 'package-lock.json');
  for (const file of ['src/main.tsx', 'src/pages/Impact.tsx', 'src/explorer/main.tsx', lock]) writeFileSync(file.startsWith('/') ? file : join(dir, file), '');
  const at = (path: string, seconds: number) => {
    const file = path.startsWith('/') ? path : join(dir, path);
    writeFileSync(file, '', { flag: 'a' });
    utimesSync(file, seconds, seconds);
  };
  for (const file of ['src/main.tsx', 'src/pages/Impact.tsx', 'src/explorer/main.tsx', lock]) at(file, 1000);
  return { dir, lock, at };
}

describe('console build: when to rebuild', () => {
  it('builds when an output is missing, the Explorer page included', () => {
    const { dir, lock, at } = fakeConsole();
    expect(staleReason(dir, lock)).toMatch(/dist\/index\.html is missing/);
    at('dist/index.html', 2000);
    expect(staleReason(dir, lock)).toMatch(/dist\/explorer\/index\.html is missing/);
    at('dist/explorer/index.html', 2000);
    expect(staleReason(dir, lock)).toBeUndefined();
  });

  it('builds when a source or the lock file is newer than the oldest output, not when dist/ changes', () => {
    const { dir, lock, at } = fakeConsole();
    at('dist/index.html', 2000);
    at('dist/explorer/index.html', 2000);
    at('dist/assets/app-ABCD1234.js', 3000);
    expect(staleReason(dir, lock)).toBeUndefined();
    at('src/pages/Impact.tsx', 2500);
    expect(staleReason(dir, lock)).toMatch(/Impact\.tsx changed since the last build/);
    at('src/pages/Impact.tsx', 1000);
    at(lock, 2500);
    expect(staleReason(dir, lock)).toMatch(/package-lock\.json changed/);
  });
});
