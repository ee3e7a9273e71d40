/**
 * Where Monaco (GraphiQL 5's editor) finds its web workers: the three bundles that
 * `console/build-explorer.ts` writes next to this page's script, rather than GraphiQL's ready-made
 * set-ups, which assume a webpack or Vite worker loader, or fetch the workers from esm.sh (a CDN,
 * out of reach on the region's offline networks). Imported first, before GraphiQL loads Monaco.
 */

/** The hashed file name of each worker bundle, by Monaco's label; compiled in by build-explorer.ts. */
declare const __EXPLORER_WORKERS__: { editor: string; json: string; graphql: string };

(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const file = label === 'json' || label === 'graphql' ? __EXPLORER_WORKERS__[label] : __EXPLORER_WORKERS__.editor;
    // Relative to this script, not to the page, whether the page is /explorer/ or /explorer/index.html.
    return new Worker(new URL(`./${file}`, import.meta.url), { name: label });
  },
};
