/**
 * Where the supergraph comes from. One interface (Apollo's `SupergraphManager`: `initialize`
 * returns `{ supergraphSdl, cleanup }`), one implementation per source. The gateway never parses
 * the region's schema itself: whatever valid supergraph it is given, it serves. Both hand
 * @apollo/gateway the supergraph without the `for: SECURITY` purpose of the features the authorize
 * stage enforces (security-features.ts), which it would refuse otherwise.
 */
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SupergraphManager } from '@apollo/gateway';
import { withoutEnforcedSecurityPurpose } from './security-features.ts';

/**
 * Reads the composed supergraph from a file. With `watch`, a changed file is loaded again and the
 * gateway switches to it once it has been validated; a broken file is logged and ignored, and the
 * previous supergraph keeps serving.
 *
 * The folder is watched, not the file: a file replaced by a rename (editors, `mv`, a deploy tool)
 * gets a new inode that a watcher on the old one never hears of, and a Kubernetes ConfigMap
 * updates by swapping its `..data` symlink, leaving the file's own link untouched. Any event in the
 * folder re-reads the path (a short debounce gathers a burst of them) and only a changed content
 * is applied.
 */
export function fileSupergraph(path: string, options: { watch?: boolean; onError?: (error: unknown) => void; debounceMs?: number } = {}): SupergraphManager {
  return {
    async initialize({ update }) {
      const supergraphSdl = withoutEnforcedSecurityPurpose(await readFile(path, 'utf8'));
      let watcher: FSWatcher | undefined;
      let timer: NodeJS.Timeout | undefined;
      if (options.watch) {
        let last = supergraphSdl;
        const reload = () => {
          timer = undefined;
          readFile(path, 'utf8').then(
            (text) => {
              const next = withoutEnforcedSecurityPurpose(text);
              if (next === last) return;
              last = next;
              try {
                update(next);
              } catch (error) {
                options.onError?.(error);
              }
            },
            // Mid-swap the path may briefly not exist: the next event reads it again.
            (error: unknown) => options.onError?.(error),
          );
        };
        watcher = watch(dirname(resolve(path)), () => {
          if (timer) clearTimeout(timer);
          timer = setTimeout(reload, options.debounceMs ?? 50);
        });
      }
      return {
        supergraphSdl,
        cleanup: async () => {
          if (timer) clearTimeout(timer);
          watcher?.close();
        },
      };
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
