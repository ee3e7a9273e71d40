/**
 * The citizen's and the agent's pages in a real browser, against a whole running system whose
 * gateway serves the console: file a request through the form, follow it from its tracking link
 * alone, see a change the old back office writes straight into the GRC database, survive a gateway
 * restart on the same port with no change lost and none shown twice; and an agent's queue showing a
 * new request as it arrives. No page reaches anything but the gateway.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, type LaunchedProcess } from '../../scripts/launcher.ts';
import { graphql } from '../harness/graphql.ts';
import { agentOf, agentToken } from '../requests/subscriptions-harness.ts';
import { CONSOLE_ENV, startConsoleBench, subscriptionCounts, type ConsoleBench, type OpenPage } from './browser-harness.ts';

/** Generous waits for things that happen in well under a second: they are not speed assertions. */
const SOON = { timeout: 15_000 };

let bench: ConsoleBench;
let db: pg.Client;
let restarted: LaunchedProcess | undefined;
const filed: { reference?: string; trackingLink?: string; serviceCode?: string } = {};

beforeAll(async () => {
  bench = await startConsoleBench();
  db = new pg.Client(bench.system.legacy.grc);
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await restarted?.stop();
  await bench?.close();
});

const backOffice = (status: string, reference: string) => db.query('UPDATE t_demande SET code_statut = $1 WHERE num_demande = $2', [status, reference]);

async function liveLog(open: OpenPage): Promise<{ status: string; cursor: string }[]> {
  return open.page.locator('[data-testid="live-log"] li').evaluateAll((items) =>
    items.map((li) => ({ status: li.getAttribute('data-status') ?? '', cursor: li.getAttribute('data-cursor') ?? '' })),
  );
}

describe('Déposer une demande', () => {
  it('shows each field error next to its field, then files the request and gives the reference, the routing and a tracking link', async () => {
    const open = await bench.open({ viewport: { width: 390, height: 844 } }); // a phone-sized screen
    const { page } = open;
    await page.goto(`${bench.origin}/#/deposer`);
    await page.getByRole('button', { name: 'Envoyer la demande' }).click();
    // The API's BAD_USER_INPUT names each field; each message sits next to its own field.
    await expect.poll(() => page.locator('#f-input-subject-error').textContent(), SOON).toContain('5 à 200');
    expect(await page.locator('#f-input-description-error').count()).toBe(1);
    expect(await page.locator('#f-input-commune-error').count()).toBe(1);
    expect(await page.locator('#f-input-subject').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#f-input-subject').getAttribute('aria-describedby')).toContain('f-input-subject-error');

    await page.getByLabel('Objet').fill('Bus 153 supprimé le dimanche');
    await page.getByLabel('Description').fill('Depuis septembre le bus 153 ne passe plus le dimanche matin à Saint-Denis.');
    await page.getByLabel('Commune concernée').pressSequentially('saint-den', { delay: 20 });
    await page.getByRole('option', { name: /^Saint-Denis \(93/ }).click();
    await expect.poll(() => page.getByLabel('Commune concernée').inputValue()).toBe('Saint-Denis');
    await page.getByLabel('Nom', { exact: true }).fill('Camille Martin');
    await page.getByLabel('Adresse e-mail').fill('camille@example.org');
    await page.getByRole('button', { name: 'Envoyer la demande' }).click();

    await page.getByTestId('submitted').waitFor(SOON);
    filed.reference = (await page.getByTestId('reference').textContent())!;
    expect(filed.reference).toMatch(/^IDF-\d{4}-\d{6}$/);
    expect(await page.getByTestId('service').textContent()).toBeTruthy();
    const link = (await page.getByTestId('tracking-link').getAttribute('href'))!;
    // The token travels in the fragment only: never in a path or query string a server would log.
    expect(link).toMatch(new RegExp(`^#/suivre/${filed.reference}\\?token=ey`));
    filed.trackingLink = `${bench.origin}/${link}`;
    const check = await graphql<{ request: { service: { code: string } } }>(bench.system.gateway, 'query($r:String!){ request(reference:$r){ service { code } } }',
      { r: filed.reference }, { headers: { authorization: `Bearer ${new URLSearchParams(link.split('?')[1]).get('token')}` } });
    filed.serviceCode = check.body.data!.request.service.code;
    await bench.screenshot(page, 'deposer');
    expect(open.offsite).toEqual([]);
    expect(open.problems).toEqual([]);
  });
});

describe('Suivre ma demande', () => {
  it('follows the request from its link alone, shows a back-office change, and resumes after a gateway restart with nothing lost or twice', async () => {
    const reference = filed.reference!;
    const open = await bench.open();
    const { page } = open;
    await page.goto(filed.trackingLink!);
    await expect.poll(() => page.getByTestId('status').getAttribute('data-status'), SOON).toBe('NEW');
    await expect.poll(() => page.getByTestId('live-state').getAttribute('data-state'), SOON).toBe('live');
    // The subscription is set up on the gateway before the back office writes (it follows changes from now on).
    await expect.poll(async () => (await subscriptionCounts(bench.origin)).subscribers, SOON).toBeGreaterThanOrEqual(1);

    await backOffice('QUA', reference);
    await expect.poll(() => page.getByTestId('status').getAttribute('data-status'), SOON).toBe('QUALIFIED');
    // The page may show the status first from its own re-read; the live event follows.
    await expect.poll(async () => (await liveLog(open)).map((e) => e.status), SOON).toEqual(['QUALIFIED']);

    // Kill the gateway; the back office keeps working meanwhile; a new gateway comes up on the same port.
    const gateway = bench.system.processes.find((p) => p.name === 'gateway')!;
    const port = new URL(bench.system.gateway).port;
    await gateway.stop();
    await expect.poll(() => page.getByTestId('live-state').getAttribute('data-state'), SOON).toBe('reconnecting');
    await backOffice('ENC', reference);
    restarted = await launch({
      name: 'gateway-restarted',
      entry: 'gateway/main.ts',
      env: {
        LOG_LEVEL: 'warn', ...CONSOLE_ENV, CONSOLE_DIST: bench.dist, PORT: port,
        SUBGRAPH_URLS: Object.entries(bench.system.subgraphs).map(([name, url]) => `${name}=${url}`).join(','),
      },
    });
    await expect.poll(() => page.getByTestId('status').getAttribute('data-status'), SOON).toBe('IN_PROGRESS');
    await expect.poll(() => page.getByTestId('live-state').getAttribute('data-state'), SOON).toBe('live');
    // The page never went blank: the request stayed on screen through the restart.
    expect(await page.getByTestId('timeline').locator('li').count()).toBeGreaterThan(0);

    await backOffice('RES', reference);
    await expect.poll(() => page.getByTestId('status').getAttribute('data-status'), SOON).toBe('RESOLVED');
    const log = await liveLog(open);
    expect(log.map((e) => e.status)).toEqual(['QUALIFIED', 'IN_PROGRESS', 'RESOLVED']);
    expect(new Set(log.map((e) => e.cursor)).size).toBe(3);
    // The cursor is kept per reference, so a reload resumes from it too.
    expect(await page.evaluate(`localStorage.getItem('passerelle:cursor:${reference}')`)).toBe(log.at(-1)!.cursor);
    await page.locator('details.live-log summary').click();
    await bench.screenshot(page, 'suivre');
    expect(open.offsite).toEqual([]);
    expect(open.problems).toEqual([]);
  });
});

describe("File d'attente", () => {
  it("shows a new request of the agent's service arriving live, and lets the agent qualify it", async () => {
    const service = filed.serviceCode!;
    const token = (await agentToken(await agentOf(db, service))).replace(/^Bearer /, '');
    const open = await bench.open();
    const { page } = open;
    await page.goto(`${bench.origin}/#/file`);
    await page.getByLabel("Jeton d'agent").fill(token);
    await page.getByRole('button', { name: 'Utiliser ce jeton' }).click();
    await page.getByLabel('Service').selectOption(service);
    await expect.poll(() => page.getByTestId('live-state').getAttribute('data-state'), SOON).toBe('live');
    await expect.poll(() => page.getByTestId('queue').locator('li').count(), SOON).toBeGreaterThan(0);
    const before = (await subscriptionCounts(bench.origin)).subscribers;
    expect(before).toBeGreaterThanOrEqual(1);

    const submitted = await graphql<{ submitRequest: { request: { reference: string }; routing: { service: { code: string } } } }>(
      bench.system.gateway,
      'mutation($input: SubmitRequestInput!, $key: String!){ submitRequest(input:$input, idempotencyKey:$key){ request { reference } routing { service { code } } } }',
      {
        key: 'console-queue-0001',
        input: {
          subject: 'Bus 153 en retard chaque matin', description: 'Le bus 153 a vingt minutes de retard tous les matins à Saint-Denis.',
          commune: '93066', channel: 'WEB', contact: { name: 'Alex Dupont', email: 'alex@example.org' },
        },
      },
    );
    expect(submitted.body.errors).toBeUndefined();
    const { reference } = submitted.body.data!.submitRequest.request;
    expect(submitted.body.data!.submitRequest.routing.service.code).toBe(service);
    const item = page.locator(`[data-testid="queue"] li[data-reference="${reference}"]`);
    await item.waitFor(SOON);
    expect(await item.getAttribute('data-status')).toBe('NEW');
    expect(await item.textContent()).toContain('Bus 153 en retard');

    await item.locator('summary').click();
    await item.getByRole('button', { name: 'Qualifier' }).click();
    await expect.poll(() => item.getAttribute('data-status'), SOON).toBe('QUALIFIED');
    await item.scrollIntoViewIfNeeded();
    await bench.screenshot(page, 'file', { fullPage: false }); // the queue is long: the screen the agent sees
    expect(open.offsite).toEqual([]);
    expect(open.problems).toEqual([]);
  });
});
