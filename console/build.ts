/**
 * Builds the web console into static files the gateway serves: `console/dist/index.html` and
 * content-hashed assets (`console/dist/assets/app-<hash>.js|css`), plus the Explorer
 * (`console/src/explorer/main.tsx`, when present) into `console/dist/explorer/`. One esbuild run
 * per app, nothing fetched at run time: every byte the pages load is in dist/.
 *
 * `npm run build:console` (this file run with tsx) first regenerates the operations' TypeScript
 * types (console/tooling/codegen.ts), then bundles; `buildConsole()` only bundles, so that it needs
 * runtime dependencies only (npm start, postinstall, `npm ci --omit=dev` images, tests).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { idfGeometry } from './tooling/idf-map.ts';
import { buildExplorer } from './build-explorer.ts';

const ROOT = import.meta.dirname;
export const DEFAULT_OUTDIR = join(ROOT, 'dist');

export interface BuildConsoleOptions {
  /** Where to write the site (index.html, assets/, explorer/). Default: console/dist. */
  outdir?: string;
  /** Minify scripts and styles. Default: true. */
  minify?: boolean;
}

export interface BuiltConsole {
  outdir: string;
  /** Files written, relative to outdir (index.html first). */
  files: string[];
}

/** One single-page app: an entry, the folder it is served from, and how its JSX is compiled. */
interface App {
  name: string;
  entry: string;
  template: string;
  /** Sub-folder of outdir ('' for the console itself). */
  base: string;
  jsxImportSource: string;
}

const APPS: App[] = [
  { name: 'app', entry: join(ROOT, 'src/main.tsx'), template: join(ROOT, 'src/index.html'), base: '', jsxImportSource: 'preact' },
  // The Explorer (GraphiQL, React, Monaco's web workers) has its own build: see build-explorer.ts.
];

/** `virtual:idf-map`: the Île-de-France outlines and cropped viewBox, computed once per build. */
const idfMapPlugin: Plugin = {
  name: 'idf-map',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^virtual:idf-map$/ }, () => ({ path: 'idf-map', namespace: 'idf-map' }));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'idf-map' }, () => ({
      contents: `export default ${JSON.stringify(idfGeometry())};`,
      loader: 'js',
    }));
  },
};

async function buildApp(app: App, outdir: string, minify: boolean): Promise<string[]> {
  const appDir = join(outdir, app.base);
  const assetsDir = join(appDir, 'assets');
  mkdirSync(assetsDir, { recursive: true });
  const result = await build({
    entryPoints: { [app.name]: app.entry },
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    outdir: assetsDir,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    minify,
    sourcemap: false,
    metafile: true,
    legalComments: 'linked',
    jsx: 'automatic',
    jsxImportSource: app.jsxImportSource,
    define: { 'process.env.NODE_ENV': JSON.stringify(minify ? 'production' : 'development') },
    loader: { '.woff2': 'file', '.woff': 'file', '.svg': 'file', '.png': 'file' },
    plugins: [idfMapPlugin],
    logLevel: 'silent',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => resolve(file));
  const script = outputs.find((file) => file.endsWith('.js') && basename(file).startsWith(`${app.name}-`));
  const styles = outputs.filter((file) => file.endsWith('.css'));
  if (!script) throw new Error(`esbuild wrote no script for ${app.entry}`);
  const href = (file: string) => `./${relative(appDir, file).split('\\').join('/')}`;
  const html = readFileSync(app.template, 'utf8')
    .replace('<!-- styles -->', styles.map((file) => `<link rel="stylesheet" href="${href(file)}">`).join('\n    '))
    .replace('<!-- script -->', `<script type="module" src="${href(script)}"></script>`);
  writeFileSync(join(appDir, 'index.html'), html);
  // Hashed files of earlier builds are dead weight (the new index.html no longer names them).
  const keep = new Set(outputs.map((file) => basename(file)));
  for (const file of readdirSync(assetsDir)) if (!keep.has(file)) rmSync(join(assetsDir, file), { force: true });
  return [join(appDir, 'index.html'), ...outputs].map((file) => relative(outdir, file));
}

/** Bundles the console (and the Explorer, when its entry exists) into `outdir`. */
export async function buildConsole(options: BuildConsoleOptions = {}): Promise<BuiltConsole> {
  const outdir = resolve(options.outdir ?? DEFAULT_OUTDIR);
  const minify = options.minify ?? true;
  const files: string[] = [];
  for (const app of APPS) {
    if (!existsSync(app.entry)) continue;
    files.push(...(await buildApp(app, outdir, minify)));
  }
  files.push(...(await buildExplorer({ outdir, minify })));
  return { outdir, files };
}

// `npm run build:console [-- --outdir dir] [-- --no-minify]`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const outdirIndex = args.indexOf('--outdir');
  const outdir = outdirIndex >= 0 ? resolve(args[outdirIndex + 1] ?? DEFAULT_OUTDIR) : DEFAULT_OUTDIR;
  const started = Date.now();
  // The types are a development aid (tsc checks the pages against them); code generation needs the
  // dev dependencies, so only this command runs it, never buildConsole().
  const { writeOperationTypes } = await import('./tooling/codegen.ts');
  console.log(`console: types ${relative(process.cwd(), await writeOperationTypes())}`);
  const built = await buildConsole({ outdir, minify: !args.includes('--no-minify') });
  console.log(`console: ${built.files.length} files in ${relative(process.cwd(), built.outdir) || '.'} (${Date.now() - started} ms)`);
}
