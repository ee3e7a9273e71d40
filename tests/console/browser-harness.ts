/**
 * The console in a real browser, for the console's browser tests: the console built into a
 * temporary folder (buildConsole), a whole system whose gateway serves it (CONSOLE_DIST), and
 * Debian's chromium driven by playwright-core, with every request that would leave the machine
 * blocked and recorded (the pages must need nothing but the gateway). One system per test file.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildConsole } from '../../console/build.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';

export const SCREENSHOTS = resolve(import.meta.dirname, '../../.passerelle/screenshots');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Environment of every process of a console test system (the pages make many small reads). */
export const CONSOLE_ENV = { CONSOLE: 'on', RATE_LIMIT_ANONYMOUS: '100000', RATE_LIMIT_CITIZEN: '100000', RATE_LIMIT_AGENT: '100000' };

export interface ConsoleBench {
  system: TestSystem;
  /** The gateway's origin, which serves the console at `/`. */
  origin: string;
  /** The folder the console was built into (CONSOLE_DIST of the gateway). */
  dist: string;
  browser: Browser;
  /** A fresh context (own storage) and page; `offsite` lists what it tried to reach off the machine. */
  open(options?: { viewport?: { width: number; height: number } }): Promise<OpenPage>;
  /** Writes .passerelle/screenshots/<name>.png (the whole page unless `fullPage: false`). */
  screenshot(page: Page, name: string, options?: { fullPage?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface OpenPage {
  context: BrowserContext;
  page: Page;
  offsite: string[];
  /** Uncaught script errors and console errors. */
  problems: string[];
}

export async function startConsoleBench(env: Record<string, string> = {}): Promise<ConsoleBench> {
  const dist = mkdtempSync(join(tmpdir(), 'passerelle-console-'));
  await buildConsole({ outdir: dist, minify: true });
  const system = await startTestSystem({ ...CONSOLE_ENV, CONSOLE_DIST: dist, ...env });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const contexts: BrowserContext[] = [];
  return {
    system,
    origin: new URL(system.gateway).origin,
    dist,
    browser,
    async open(options = {}) {
      const opened = await openGuardedPage(browser, {
        viewport: options.viewport ?? { width: 1280, height: 900 },
        // A refused WebSocket while the gateway is down is expected in the restart test; anything else is a problem.
        expectedConsoleErrors: /WebSocket connection|ERR_CONNECTION_REFUSED/,
      });
      contexts.push(opened.context);
      return opened;
    },
    async screenshot(page, name, options = {}) {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: options.fullPage ?? true });
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
      await system.stop();
      rmSync(dist, { recursive: true, force: true });
    },
  };
}

/** Subscriptions the gateway holds right now (GET /health). */
export async function subscriptionCounts(origin: string): Promise<{ upstream: number; subscribers: number }> {
  const health = (await (await fetch(`${origin}/health`)).json()) as { subscriptions: { upstream: number; subscribers: number } };
  return health.subscriptions;
}

/**
 * A fresh browser context (its own storage) that lets loopback through and records, then blocks,
 * every other request (HTTP and WebSocket), with the page's script errors and console errors
 * (CSP violations included) other than `expectedConsoleErrors`.
 */
export async function openGuardedPage(
  browser: Browser,
  options: { viewport: { width: number; height: number }; expectedConsoleErrors?: RegExp },
): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: options.viewport, locale: 'fr-FR' });
  const offsite: string[] = [];
  const problems: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (LOOPBACK.has(url.hostname)) return route.continue();
    offsite.push(url.href);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(/.*/, (socket) => {
    if (LOOPBACK.has(new URL(socket.url()).hostname)) return socket.connectToServer();
    offsite.push(socket.url());
    return socket.close();
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !options.expectedConsoleErrors?.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return { context, page, offsite, problems };
}
