/**
 * Builds the Explorer (GraphiQL 5, `console/src/explorer/`) into `<outdir>/explorer/`:
 * `index.html` and content-hashed files under `assets/` — the page's script and its lazily loaded
 * chunks (Monaco, prettier), one stylesheet, and Monaco's three web workers. Called by
 * `buildConsole()` in `console/build.ts`; nothing is fetched at run time.
 *
 * Why its own build rather than one more app in build.ts's list: Monaco runs its language services
 * in web workers, which must be separate bundles the page can name. GraphiQL ships set-ups for
 * webpack and Vite worker loaders and one that loads the workers from esm.sh (a CDN, unreachable
 * offline); esbuild has no worker loader, so the workers are built first, as classic scripts, and
 * their hashed names are compiled into the page (`__EXPLORER_WORKERS__`, read by workers.ts).
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, relative, resolve } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';

const ROOT = import.meta.dirname;
const SOURCE = join(ROOT, 'src/explorer');
const require = createRequire(import.meta.url);

export interface BuildExplorerOptions {
  /** The console's output folder; the Explorer goes to `<outdir>/explorer/`. */
  outdir: string;
  /** Minify scripts and styles (and build React for production). */
  minify: boolean;
}

/** Monaco's workers, by the label Monaco asks for (`editor` serves every other label). */
const WORKERS = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
} as const;

/**
 * Monaco's ES modules import their own CSS; graphiql's stylesheet (imported by main.tsx) already
 * holds all of it, its codicon font inlined. Loading both would ship Monaco's styles twice.
 */
const skipMonacoCss: Plugin = {
  name: 'skip-monaco-css',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /\.css$/ }, (args) =>
      /[\\/]node_modules[\\/]monaco-editor[\\/]/.test(args.importer) ? { path: args.path, namespace: 'skipped-css' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'skipped-css' }, () => ({ contents: '', loader: 'js' }));
  },
};

function common(minify: boolean): BuildOptions {
  return {
    bundle: true,
    platform: 'browser',
    target: ['es2022'],
    minify,
    sourcemap: false,
    metafile: true,
    legalComments: 'linked',
    assetNames: '[name]-[hash]',
    define: { 'process.env.NODE_ENV': JSON.stringify(minify ? 'production' : 'development') },
    plugins: [skipMonacoCss],
    logLevel: 'silent',
  };
}

const outputsOf = (metafile: { outputs: Record<string, unknown> } | undefined): string[] =>
  Object.keys(metafile?.outputs ?? {}).map((file) => resolve(file));

/** Bundles the Explorer; returns the files written, relative to `outdir` (index.html first). */
export async function buildExplorer(options: BuildExplorerOptions): Promise<string[]> {
  const outdir = resolve(options.outdir);
  const pageDir = join(outdir, 'explorer');
  const assetsDir = join(pageDir, 'assets');
  mkdirSync(assetsDir, { recursive: true });

  const workers = await build({
    ...common(options.minify),
    entryPoints: Object.fromEntries(Object.entries(WORKERS).map(([label, module]) => [`${label}.worker`, require.resolve(module)])),
    // Classic worker scripts: `new Worker(url)` without `{ type: 'module' }` works everywhere.
    format: 'iife',
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
  });
  const workerOutputs = outputsOf(workers.metafile);
  const workerFiles = Object.fromEntries(
    Object.keys(WORKERS).map((label) => {
      const file = workerOutputs.find((output) => output.endsWith('.js') && basename(output).startsWith(`${label}.worker-`));
      if (!file) throw new Error(`esbuild wrote no ${label} worker`);
      return [label, basename(file)];
    }),
  );

  const page = await build({
    ...common(options.minify),
    entryPoints: { explorer: join(SOURCE, 'main.tsx') },
    format: 'esm',
    // Monaco and prettier are imported lazily by GraphiQL: separate chunks, loaded after first paint.
    splitting: true,
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'react',
    define: { ...common(options.minify).define, __EXPLORER_WORKERS__: JSON.stringify(workerFiles) },
    loader: { '.ttf': 'file', '.woff2': 'file', '.woff': 'file', '.svg': 'file', '.png': 'file' },
  });
  const pageOutputs = outputsOf(page.metafile);
  const script = pageOutputs.find((file) => file.endsWith('.js') && basename(file).startsWith('explorer-'));
  const styles = pageOutputs.filter((file) => file.endsWith('.css'));
  if (!script) throw new Error('esbuild wrote no script for the Explorer');

  // Absolute: the gateway serves this page at /explorer as well as /explorer/, where a relative
  // `./assets/…` would resolve to the console's own /assets/. (The workers are found relative to the
  // script, see workers.ts.)
  const href = (file: string) => `/${relative(outdir, file).split('\\').join('/')}`;
  const html = readFileSync(join(SOURCE, 'index.html'), 'utf8')
    .replace('<!-- styles -->', styles.map((file) => `<link rel="stylesheet" href="${href(file)}">`).join('\n    '))
    .replace('<!-- script -->', `<script type="module" src="${href(script)}"></script>`);
  writeFileSync(join(pageDir, 'index.html'), html);

  // Hashed files of earlier builds are dead weight: the new index.html and script no longer name them.
  const written = [...workerOutputs, ...pageOutputs];
  const keep = new Set(written.map((file) => basename(file)));
  for (const file of readdirSync(assetsDir)) if (!keep.has(file)) rmSync(join(assetsDir, file), { force: true });
  return [join(pageDir, 'index.html'), ...written].map((file) => relative(outdir, file));
}
