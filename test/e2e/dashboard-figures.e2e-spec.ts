import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page, Route } from 'playwright-core';
import { monthsAgo } from '../support/dates';
import { bearer, startTestApp, TestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`dashboard figure tests SKIPPED: ${CHROMIUM} is absent (apt-get update && apt-get install -y chromium)`);
const withBrowser = hasChromium ? describe : describe.skip;

/** Every control of the header that only makes sense with a key. */
const CONTROLS = ['#session', '#month', '#reporting-currency', '#refresh', '#forget'];

/**
 * How the dashboard shows its figures, in Chromium: thousands separators, one scale per currency
 * (a 25.60 EUR bar is as long as the largest USD bar), no cards for a currency absent from the
 * month, a chart per lessor, and a login screen without the header's controls.
 * Figures: a /16 at 1.0000 USD (65,536.00 USD a month), a /24 at 0.1000 EUR (25.60 EUR), and a
 * JPY lease that ended two months ago (in the forecast window, absent from this month).
 */
describe('reports dashboard: figures, scales and the login screen', () => {
  let t: TestApp;
  const month = monthsAgo(0);

  beforeAll(async () => {
    t = await startTestApp();
    const create = async (url: string, body: Record<string, unknown>) =>
      (await t.http.post(url).set(bearer()).send(body).expect(201)).body.id as string;
    const big = await create('/api/v1/lessors', { name: 'Big Lessor', rir: 'RIPE' });
    const small = await create('/api/v1/lessors', { name: 'Small Lessor', rir: 'ARIN' });
    const old = await create('/api/v1/lessors', { name: 'Old Lessor', rir: 'APNIC' });
    const providerId = await create('/api/v1/providers', { code: 'aws', name: 'AWS' });
    const regionId = await create('/api/v1/regions', { code: 'eu-west-1', name: 'Ireland', countryCode: 'IE' });
    const start = `${monthsAgo(8)}-01`;
    await create('/api/v1/leases', {
      prefix: '185.64.0.0/16',
      lessorId: big,
      startDate: start,
      pricePerIpMonthly: '1.0000',
      currency: 'USD',
    });
    await create('/api/v1/leases', {
      prefix: '185.70.0.0/24',
      lessorId: small,
      startDate: start,
      pricePerIpMonthly: '0.1000',
      currency: 'EUR',
    });
    await create('/api/v1/leases', {
      prefix: '185.71.0.0/24',
      lessorId: old,
      startDate: start,
      endDate: `${monthsAgo(2)}-15`,
      pricePerIpMonthly: '100.0000',
      currency: 'JPY',
    });
    await create('/api/v1/allocations', { prefix: '185.64.0.0/20', providerId, regionId, effectiveDate: start });
    await create('/api/v1/allocations', { prefix: '185.70.0.0/25', providerId, regionId, effectiveDate: start });
  });
  afterAll(() => t?.close());

  it('the API has a 0.00 JPY row for this month in the forecast (what the page must not show as a card)', async () => {
    const forecast = await t.http
      .get('/api/v1/reports/forecast')
      .query({ from: monthsAgo(5), months: 12 })
      .set(bearer())
      .expect(200);
    expect(forecast.body.rows).toContainEqual(expect.objectContaining({ key: month, currency: 'JPY', cost: '0.00' }));
  });

  withBrowser('in Chromium', () => {
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];

    const visibleControls = () =>
      Promise.all(CONTROLS.map(async (c) => ((await page.locator(c).isVisible()) ? c : ''))).then((v) =>
        v.filter(Boolean),
      );
    const logIn = async (key: string, url = '/reports') => {
      await page.goto(`${t.baseUrl}${url}`);
      await page.evaluate('sessionStorage.clear()');
      await page.reload();
      await page.fill('#api-key', key);
      await page.click('#key-submit');
    };

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      });
      page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      page.on('pageerror', (error) => problems.push(error.message));
      await logIn(await t.keyFor('finance'));
      await page.locator('[data-testid="spend-USD"]').waitFor({ timeout: 15_000 });
      await page.locator('#chart-regions svg').first().waitFor();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('groups thousands in every figure: cards, charts and tables', async () => {
      expect(await page.locator('[data-testid="spend-USD"] .value').textContent()).toBe('65,536.00 USD');
      expect(await page.locator('[data-testid="spend-USD"] .sub').textContent()).toBe(
        '1 lease(s), 65,536.00 address-months',
      );
      expect(await page.locator('[data-testid="idle-USD"] .value').textContent()).toBe('61,440.00 USD');
      expect(await page.locator('#chart-providers').textContent()).toContain('4,096.00 USD');
      expect(await page.locator('#chart-months').textContent()).toContain('65,536.00');
      // No figure of four digits or more is left ungrouped in any text (dates and months are not figures).
      const texts = (await page.evaluate(`
        Array.from(document.querySelectorAll('#kpis *, #chart-months *, #chart-providers *, #chart-regions *'))
          .filter(function (node) { return node.children.length === 0; })
          .map(function (node) { return node.textContent; })`)) as string[];
      expect(texts.length).toBeGreaterThan(50);
      expect(texts.filter((text) => /\d{4}/.test(text.replace(/\d{4}-\d{2}(-\d{2})?/g, '')))).toEqual([]);
    });

    it('scales bars per currency: the largest bar of each currency has the same length', async () => {
      for (const chart of ['#chart-providers', '#chart-regions']) {
        const widths = (await page.evaluate(`
          Array.from(document.querySelectorAll('${chart} svg rect')).map(function (rect) {
            var title = rect.querySelector('title').textContent;
            return [title.split(': ')[0].split(' · ').pop(), Number(rect.getAttribute('width'))];
          })`)) as [string, number][];
        const widest = (currency: string) => Math.max(...widths.filter((w) => w[0] === currency).map((w) => w[1]));
        expect(widest('EUR')).toBeGreaterThan(100);
        expect(widest('EUR')).toBeCloseTo(widest('USD'), 0);
      }
      // The months: one chart, so one axis, per currency.
      const titles = await page
        .locator('#chart-months svg')
        .evaluateAll((svgs) => svgs.map((svg) => svg.getAttribute('aria-label')));
      expect(titles).toEqual(['EUR', 'JPY', 'USD']);
    });

    it('shows no card for a currency with nothing in the month (the JPY lease ended two months ago)', async () => {
      expect(await page.locator('[data-testid="spend-EUR"] .value').textContent()).toBe('25.60 EUR');
      expect(await page.locator('[data-testid="spend-JPY"]').count()).toBe(0);
      expect(await page.locator('[data-testid="idle-JPY"]').count()).toBe(0);
      expect(await page.locator('#kpis').textContent()).not.toContain('JPY');
    });

    it('draws the cost by lessor, one scale per currency', async () => {
      const chart = page.locator('#chart-lessors');
      await chart.locator('svg').first().waitFor();
      const text = await chart.textContent();
      expect(text).toContain('Big Lessor · USD');
      expect(text).toContain('65,536.00 USD');
      expect(text).toContain('Small Lessor · EUR');
      expect(text).toContain('25.60 EUR');
      expect(text).not.toContain('Old Lessor');
      expect(await chart.locator('svg').count()).toBe(2);

      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, 'dashboard-figures.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
      expect(problems).toEqual([]);
    });

    it('hides the controls on the login screen after "Forget key"', async () => {
      expect(await visibleControls()).toEqual(CONTROLS);
      await page.click('#forget');
      await page.locator('#api-key').waitFor({ state: 'visible' });
      expect(await visibleControls()).toEqual([]);
      expect(await page.locator('#reports').isVisible()).toBe(false);
    });

    it('keeps the login screen when a load that was under way answers after "Forget key"', async () => {
      await logIn(await t.keyFor('finance'));
      await page.locator('[data-testid="spend-USD"]').waitFor();
      const held: Route[] = [];
      const keyless: string[] = [];
      page.on(
        'request',
        (r) =>
          /^\/api\//.test(new URL(r.url()).pathname) &&
          !/^Bearer ipl_/.test(r.headers().authorization ?? '') &&
          keyless.push(r.url()),
      );
      await page.route('**/api/v1/reports/**', (route) => {
        held.push(route);
      });
      await page.click('#refresh');
      await page.locator('#status:text-is("Loading…")').waitFor();
      await page.click('#forget');
      await page.locator('#api-key').waitFor({ state: 'visible' });
      // Let the held answers through, and wait until the page has read every one of them.
      const finished = held.map((route) => page.waitForEvent('requestfinished', (r) => r === route.request()));
      for (const route of held) await route.continue();
      await page.unroute('**/api/v1/reports/**');
      await Promise.all(finished);
      await page.evaluate('new Promise((resolve) => setTimeout(() => setTimeout(resolve, 0), 0))');
      expect(await page.locator('#api-key').isVisible()).toBe(true);
      expect(await visibleControls()).toEqual([]);
      expect(await page.locator('#reports').isVisible()).toBe(false);
      // The late answers are dropped: no report was drawn, and no request went out without a key.
      expect(await page.locator('#login-error').textContent()).toBe('The key was forgotten.');
      expect(keyless).toEqual([]);
    });

    it('hides the controls on the login screen after a 403, whether at login or on a later refresh', async () => {
      await logIn(await t.keyFor('viewer'));
      await page.locator('#login-error:has-text("admin or finance")').waitFor();
      expect(await visibleControls()).toEqual([]);

      await logIn(await t.keyFor('finance'));
      await page.locator('[data-testid="spend-USD"]').waitFor();
      await page.route('**/api/v1/reports/**', (route) =>
        route.fulfill({
          status: 403,
          contentType: 'application/problem+json',
          body: JSON.stringify({ status: 403, code: 'FORBIDDEN', detail: 'This API key may not do this.' }),
        }),
      );
      await page.click('#refresh');
      await page.locator('#login-error:has-text("admin or finance")').waitFor();
      expect(await visibleControls()).toEqual([]);
      await page.unroute('**/api/v1/reports/**');
    });

    it('the routing page hides its controls after "Forget key" too', async () => {
      await logIn(await t.keyFor('viewer'), '/reports/routing');
      await page.locator('#forget').waitFor({ state: 'visible' });
      await page.click('#forget');
      await page.locator('#api-key').waitFor({ state: 'visible' });
      expect(await page.locator('#session').isVisible()).toBe(false);
      expect(await page.locator('#forget').isVisible()).toBe(false);
    });
  });
});
