/**
 * Where the supergraph comes from. One interface (Apollo's `SupergraphManager`: `initialize`
 * returns `{ supergraphSdl, cleanup }`), one implementation per source. The gateway never parses
 * the region's schema itself: whatever valid supergraph it is given, it serves. Both hand
 * @apollo/gateway the supergraph without the `for: SECURITY` purpose of the features the authorize
 * stage enforces (security-features.ts), which it would refuse otherwise.
 */
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import type { SupergraphManager } from '@apollo/gateway';
import { withoutEnforcedSecurityPurpose } from './security-features.ts';

/**
 * Reads the composed supergraph from a file. With `watch`, a changed file is loaded again and the
 * gateway switches to it once it has been validated; a broken file is logged and ignored, and the
 * previous supergraph keeps serving.
 */
export function fileSupergraph(path: string, options: { watch?: boolean; onError?: (error: unknown) => void } = {}): SupergraphManager {
  return {
    async initialize({ update }) {
      const supergraphSdl = withoutEnforcedSecurityPurpose(await readFile(path, 'utf8'));
      let watcher: FSWatcher | undefined;
      if (options.watch) {
        let last = supergraphSdl;
        watcher = watch(path, () => {
          readFile(path, 'utf8').then(
            (next) => {
              if (next === last) return;
              last = next;
              try {
                update(withoutEnforcedSecurityPurpose(next));
              } catch (error) {
                options.onError?.(error);
              }
            },
            (error: unknown) => options.onError?.(error),
          );
        });
      }
      return { supergraphSdl, cleanup: async () => watcher?.close() };
    },
  };
}

/** Fetches the supergraph from a URL (e.g. a schema registry), polling for changes every `pollMs`. */
export function urlSupergraph(url: string, options: { pollMs?: number; onError?: (error: unknown) => void } = {}): SupergraphManager {
  const load = async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`Supergraph at ${url} answered HTTP ${response.status}`);
    return withoutEnforcedSecurityPurpose(await response.text());
  };
  return {
    async initialize({ update }) {
      let last = await load();
      const timer = options.pollMs
        ? setInterval(() => {
            load().then(
              (next) => {
                if (next !== last) {
                  last = next;
                  update(next);
                }
              },
              (error: unknown) => options.onError?.(error),
            );
          }, options.pollMs)
        : undefined;
      timer?.unref();
      return { supergraphSdl: last, cleanup: async () => clearInterval(timer) };
    },
  };
}
