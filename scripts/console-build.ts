/**
 * Builds the web console when it needs it, so no one has to remember a manual step: `npm install`
 * and `npm ci` run this (package.json `postinstall`), `npm start` runs it before printing the
 * console's URL. The build itself is `buildConsole()` of console/build.ts (esbuild, a few seconds,
 * runtime dependencies only); this file only decides whether to run it:
 * - console/dist/index.html (and explorer/index.html when the Explorer has sources) missing, or
 *   older than any file under console/ (dist aside) or than package-lock.json → build;
 * - console/build.ts absent (a checkout from before the console) → skipped, with a message.
 *
 * `tsx scripts/console-build.ts [--force] [--no-fail]`: `--no-fail` reports a failed build and
 * exits 0, so an install never fails because of the console (the API works without it; the
 * browser tests then say what is missing).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const CONSOLE = join(ROOT, 'console');
/** Not sources: the output, and anything a tool keeps beside them. */
const IGNORED = new Set(['dist', 'node_modules', '.cache']);

export type ConsoleBuildOutcome = 'built' | 'fresh' | 'skipped' | 'failed';

export interface EnsureConsoleOptions {
  force?: boolean;
  /** One line per step ("console: …"). */
  log?: (line: string) => void;
}

/** Why the console must be built, or undefined when its dist/ is up to date. */
export function staleReason(consoleDir = CONSOLE, lockFile = join(ROOT, 'package-lock.json')): string | undefined {
  const dist = join(consoleDir, 'dist');
  const outputs = [join(dist, 'index.html')];
  if (existsSync(join(consoleDir, 'src', 'explorer'))) outputs.push(join(dist, 'explorer', 'index.html'));
  const missing = outputs.find((file) => !existsSync(file));
  if (missing) return `${relative(ROOT, missing)} is missing`;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const newer = newestSource(consoleDir, built) ?? (existsSync(lockFile) && statSync(lockFile).mtimeMs > built ? lockFile : undefined);
  return newer ? `${relative(ROOT, newer)} changed since the last build` : undefined;
}

/** A file under `dir` modified after `than`, if any (stops at the first found). */
function newestSource(dir: string, than: number): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (IGNORED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = newestSource(path, than);
      if (found) return found;
    } else if (entry.isFile() && statSync(path).mtimeMs > than) {
      return path;
    }
  }
  return undefined;
}

export async function ensureConsoleBuilt(options: EnsureConsoleOptions = {}): Promise<ConsoleBuildOutcome> {
  const log = options.log ?? ((line: string) => console.log(line));
  const script = join(CONSOLE, 'build.ts');
  if (!existsSync(script)) {
    log('console: no console/build.ts in this checkout; the gateway serves the API without the console');
    return 'skipped';
  }
  const reason = options.force ? 'asked to' : staleReason();
  if (!reason) {
    log('console: console/dist is up to date');
    return 'fresh';
  }
  log(`console: building (${reason})…`);
  const started = Date.now();
  const { buildConsole } = (await import(pathToFileURL(script).href)) as { buildConsole: () => Promise<{ files: string[] }> };
  const built = await buildConsole();
  log(`console: built ${built.files.length} files into console/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 'built';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  try {
    await ensureConsoleBuilt({ force: args.includes('--force') });
    process.exit(0);
  } catch (error) {
    console.error(`console: the build failed: ${(error as Error).message}`);
    process.exit(args.includes('--no-fail') ? 0 : 1);
  }
}
