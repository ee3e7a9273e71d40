/**
 * The Explorer in a real browser (Debian's chromium driven by playwright-core), served by the
 * gateway of a whole running system, with every request that would leave the machine blocked and
 * recorded: GraphiQL, Monaco and its workers must need nothing but the gateway. It runs a query, and
 * a subscription that shows a change made straight in the GRC database, as the old back office does.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExplorer } from '../../console/build-explorer.ts';
import { launch } from '../../scripts/launcher.ts';
import { graphql } from '../harness/graphql.ts';
import { startTestSystem, type TestSystem } from '../harness/system.ts';
import { openGuardedPage } from './browser-harness.ts';

const SCREENSHOTS = resolve(import.meta.dirname, '../../.passerelle/screenshots');
/** The origin of the change feed (as in tests/e2e/tracking.test.ts): resuming from it replays a request's whole history. */
const ORIGIN = Buffer.from('j:0:0').toString('base64url');

/** The few browser globals this file reads inside the page (the project's tsconfig has no DOM lib). */
interface PageGlobals {
  localStorage: Record<string, string>;
  sessionStorage: { length: number };
  document: { documentElement: { scrollWidth: number } };
}

let dist: string;
let system: TestSystem;
let origin: string;
let browser: Browser;
let db: pg.Client;

/** A guarded page (tests/console/browser-harness.ts): every console error, CSP violations included, is a problem. */
const openExplorer = () => openGuardedPage(browser, { viewport: { width: 1280, height: 800 } });

/** The text of one of GraphiQL's Monaco models (`operation.graphql`, `variables.json`, `response.json`). */
function model(page: Page, name: string): Promise<string> {
  return page.evaluate((suffix) => {
    const monaco = (globalThis as { __MONACO?: { editor: { getModels(): { uri: { path: string }; getValue(): string }[] } } }).__MONACO;
    return monaco?.editor.getModels().find((m) => m.uri.path.endsWith(suffix))?.getValue() ?? '';
  }, name);
}

async function setVariables(page: Page, json: string): Promise<void> {
  await page.evaluate((text) => {
    const monaco = (globalThis as { __MONACO?: { editor: { getModels(): { uri: { path: string }; setValue(v: string): void }[] } } }).__MONACO;
    monaco!.editor.getModels().find((m) => m.uri.path.endsWith('variables.json'))!.setValue(text);
  }, json);
}

/** Switches to a tab; clicks again if GraphiQL, still settling after load, missed the first one. */
async function openTab(page: Page, name: string): Promise<void> {
  const tab = page.getByRole('tab', { name });
  await expect
    .poll(async () => {
      if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.locator('button').first().click();
      return model(page, 'operation.graphql');
    }, { timeout: 15_000, interval: 500 })
    .toContain(`${name}(`);
}

async function run(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^Execute query/ }).click();
}

/**
 * Waits until the explorer has the gateway's schema (the status line says nothing more) and its
 * editors: Monaco arrives in a lazily loaded chunk, possibly after the schema, and a tab switched
 * before the editors exist would show the first tab's operation.
 */
async function waitForSchema(page: Page): Promise<void> {
  await page.locator('.graphiql-container').waitFor();
  await page.getByTestId('caller').waitFor();
  await expect.poll(() => page.getByTestId('schema-status').count(), { timeout: 20_000 }).toBe(0);
  await expect.poll(() => model(page, 'operation.graphql'), { timeout: 20_000 }).not.toBe('');
}

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'passerelle-explorer-'));
  await buildExplorer({ outdir: dist, minify: true });
  system = await startTestSystem({ CONSOLE: 'on', CONSOLE_DIST: dist });
  origin = new URL(system.gateway).origin;
  db = new pg.Client(system.legacy.grc);
  await db.connect();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await db?.end();
  await system?.stop();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

describe('Explorer page', () => {
  it('loads GraphiQL on the gateway schema with every non-loopback request blocked, and attempts none', async () => {
    const { context, page, offsite, problems } = await openExplorer();
    try {
      await page.goto(`${origin}/explorer/`);
      await waitForSchema(page);
      const titles = await page.locator('.graphiql-tab').allInnerTexts();
      expect(titles.map((title) => title.trim())).toEqual(
        ['Impact', 'LyceesSaintDenis', 'CommunesSearch', 'CommuneImpact', 'SubmitRequest', 'RequestUpdated'],
      );
      expect(await page.getByLabel('Jeton', { exact: true }).count()).toBe(1);
      // The first tab (Impact) comes with its variables, ready to run.
      expect(JSON.parse(await model(page, 'variables.json'))).toEqual({ dep: '93', year: 2025 });
      expect(offsite).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('runs a query and shows its result', async () => {
    const { context, page, offsite, problems } = await openExplorer();
    try {
      await page.goto(`${origin}/explorer/`);
      await waitForSchema(page);
      await openTab(page, 'CommunesSearch');
      await run(page);
      await expect.poll(() => model(page, 'response.json'), { timeout: 20_000 }).toContain('"totalCount"');
      const response = JSON.parse(await model(page, 'response.json')) as {
        data: { communes: { totalCount: number; edges: { node: { name: string } }[] } };
      };
      expect(response.data.communes.totalCount).toBeGreaterThan(0);
      expect(response.data.communes.edges.every(({ node }) => /^[ÉE]pinay/.test(node.name))).toBe(true);
      expect(offsite).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('runs requestUpdated over graphql-ws with a tracking token, and shows a change made in the GRC database', async () => {
    const submitted = await graphql<{ submitRequest: { trackingToken: string; request: { reference: string } } }>(
      system.gateway,
      `mutation($input: SubmitRequestInput!, $key: String!) {
        submitRequest(input: $input, idempotencyKey: $key) { trackingToken request { reference } } }`,
      {
        key: `explorer-test-${Date.now()}`,
        input: {
          subject: 'Éclairage du parvis en panne', description: "Le parvis de la gare n'est plus éclairé le soir.",
          commune: '93066', channel: 'WEB', contact: { name: 'Camille Martin', email: 'camille@example.org' },
        },
      },
    );
    expect(submitted.body.errors).toBeUndefined();
    const { trackingToken, request } = submitted.body.data!.submitRequest;

    const { context, page, offsite, problems } = await openExplorer();
    try {
      await page.goto(`${origin}/explorer/`);
      await waitForSchema(page);
      await page.getByLabel('Type').selectOption('bearer');
      await page.getByLabel('Jeton', { exact: true }).fill(trackingToken);
      // A new credential makes GraphiQL introspect again, now with the token.
      const introspected = page.waitForResponse((response) =>
        response.request().headers().authorization === `Bearer ${trackingToken}` && /IntrospectionQuery/.test(response.request().postData() ?? ''));
      await page.getByRole('button', { name: 'Utiliser' }).click();
      await introspected;
      await expect.poll(() => page.getByTestId('caller').textContent()).toContain('votre jeton');
      await waitForSchema(page);

      await openTab(page, 'RequestUpdated');
      // From the origin of the change feed: the request's history, then live changes, so the change
      // below cannot slip between the gateway's subscription and the requests subgraph's.
      await setVariables(page, JSON.stringify({ reference: request.reference, after: ORIGIN }));
      const health = async () =>
        ((await (await fetch(`${origin}/health`)).json()) as { subscriptions: { subscribers: number } }).subscriptions.subscribers;
      const before = await health();
      await run(page);
      // The change must come after the subscription is live: the gateway counts its subscribers.
      await expect.poll(health, { timeout: 20_000 }).toBeGreaterThan(before);

      await db.query("UPDATE t_demande SET code_statut = 'QUA' WHERE num_demande = $1", [request.reference]);
      await expect.poll(() => model(page, 'response.json'), { timeout: 20_000 }).toContain('"QUALIFIED"');
      const event = JSON.parse(await model(page, 'response.json')) as { data: { requestUpdated: { reference: string; status: string } } };
      expect(event.data.requestUpdated).toMatchObject({ reference: request.reference, status: 'QUALIFIED' });
      // The credential stays with the tab's session, not in localStorage.
      expect(await page.evaluate(() => JSON.stringify((globalThis as unknown as PageGlobals).localStorage)).then((s) => s.includes(trackingToken))).toBe(false);

      await page.screenshot({ path: join(SCREENSHOTS, 'explorer.png') });
      expect(offsite).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('says in words why the schema is missing when the gateway refuses introspection (INTROSPECTION=off, as in production)', async () => {
    // A second gateway on the same subgraphs, with introspection off as production has it by default.
    const strict = await launch({
      name: 'gateway-no-introspection',
      entry: 'gateway/main.ts',
      env: {
        PORT: '0', LOG_LEVEL: 'warn', INTROSPECTION: 'off', CONSOLE: 'on', CONSOLE_DIST: dist,
        SUBGRAPH_URLS: Object.entries(system.subgraphs).map(([name, url]) => `${name}=${url}`).join(','),
      },
    });
    const { context, page, offsite } = await openExplorer();
    try {
      await page.goto(`${new URL(strict.urls.graphql!).origin}/explorer/`);
      await expect.poll(() => page.getByTestId('schema-status').textContent(), { timeout: 20_000 }).toContain("l'introspection est désactivée");
      expect(await page.getByRole('status').textContent()).toContain('scope « introspection »');
      await expect.poll(() => model(page, 'operation.graphql'), { timeout: 20_000 }).not.toBe('');
      // Queries still run without the schema.
      await openTab(page, 'CommunesSearch');
      await run(page);
      await expect.poll(() => model(page, 'response.json'), { timeout: 20_000 }).toContain('"totalCount"');
      expect(offsite).toEqual([]);
    } finally {
      await context.close();
      await strict.stop();
    }
  });

  it('sends an API key as x-api-key, and says so when the gateway refuses it', async () => {
    const { context, page, offsite } = await openExplorer();
    try {
      await page.goto(`${origin}/explorer/`);
      await waitForSchema(page);
      await page.getByLabel('Type').selectOption('api-key');
      await page.getByLabel("Clé d'API", { exact: true }).fill('psk_unknown_0123456789abcdef');
      await page.getByRole('button', { name: 'Utiliser' }).click();
      await expect.poll(() => page.getByTestId('schema-status').textContent(), { timeout: 20_000 }).toContain('UNAUTHENTICATED');
      expect(await page.getByTestId('caller').textContent()).toContain("clé d'API");
      await page.getByRole('button', { name: 'Effacer' }).click();
      await waitForSchema(page);
      expect(await page.getByTestId('caller').textContent()).toContain('Appels anonymes');
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.length)).toBe(0);
      expect(offsite).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('fits a phone-sized screen: the credential form wraps, nothing scrolls sideways', async () => {
    const { context, page, offsite } = await openExplorer();
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${origin}/explorer/`);
      await waitForSchema(page);
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await page.getByRole('button', { name: 'Utiliser' }).isVisible()).toBe(true);
      await page.screenshot({ path: join(SCREENSHOTS, 'explorer-phone.png') });
      expect(offsite).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
