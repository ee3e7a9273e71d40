/**
 * The supergraph file is followed however it is replaced: written in place, replaced by a rename
 * (a new inode), or swapped the way a Kubernetes ConfigMap volume does it (the `..data` symlink
 * moved to a new timestamped folder). A broken or vanished file never stops the watch.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileSupergraph } from '../../gateway/plan/supergraph-source.ts';

const version = (n: number) => `# supergraph version ${n}\nschema { query: Query }\ntype Query { v${n}: Int }\n`;

let cleanup: (() => Promise<void>) | undefined;
let dir: string | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function follow(path: string) {
  const updates: string[] = [];
  const errors: unknown[] = [];
  const manager = fileSupergraph(path, { watch: true, debounceMs: 20, onError: (error) => errors.push(error) });
  const { supergraphSdl, cleanup: stop } = await (manager.initialize as (options: { update: (sdl: string) => void; healthCheck: () => Promise<void>; getDataSource: () => never }) => Promise<{ supergraphSdl: string; cleanup?: () => Promise<void> }>)({
    update: (sdl) => updates.push(sdl),
    healthCheck: async () => {},
    getDataSource: () => {
      throw new Error('unused');
    },
  });
  cleanup = stop;
  return { supergraphSdl, updates, errors };
}

describe('fileSupergraph', () => {
  it('follows a file written in place', async () => {
    dir = mkdtempSync(join(tmpdir(), 'supergraph-'));
    const path = join(dir, 'supergraph.graphql');
    writeFileSync(path, version(1));
    const { supergraphSdl, updates } = await follow(path);
    expect(supergraphSdl).toContain('v1');
    writeFileSync(path, version(2));
    await expect.poll(() => updates.at(-1), { timeout: 5_000 }).toContain('v2');
  });

  it('follows a file replaced by a rename (a new inode), again and again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'supergraph-'));
    const path = join(dir, 'supergraph.graphql');
    writeFileSync(path, version(1));
    const { updates } = await follow(path);
    for (const n of [2, 3]) {
      writeFileSync(join(dir, 'next.tmp'), version(n));
      renameSync(join(dir, 'next.tmp'), path);
      await expect.poll(() => updates.at(-1), { timeout: 5_000 }).toContain(`v${n}`);
    }
    // Unchanged content is not applied twice.
    writeFileSync(path, version(3));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(updates.filter((sdl) => sdl.includes('v3'))).toHaveLength(1);
  });

  it('follows a Kubernetes ConfigMap volume update (the ..data symlink swapped)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'supergraph-'));
    const publish = (n: number) => {
      const folder = `..2026_11_30_${n}`;
      mkdirSync(join(dir!, folder));
      writeFileSync(join(dir!, folder, 'supergraph.graphql'), version(n));
      symlinkSync(folder, join(dir!, '..data_tmp'));
      renameSync(join(dir!, '..data_tmp'), join(dir!, '..data'));
    };
    publish(1);
    symlinkSync(join('..data', 'supergraph.graphql'), join(dir, 'supergraph.graphql'));
    const { supergraphSdl, updates } = await follow(join(dir, 'supergraph.graphql'));
    expect(supergraphSdl).toContain('v1');
    publish(2);
    await expect.poll(() => updates.at(-1), { timeout: 5_000 }).toContain('v2');
  });
});
