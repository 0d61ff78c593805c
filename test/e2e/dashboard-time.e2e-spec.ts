import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { monthsAgo, today } from '../support/dates';
import { bearer, startTestApp, TestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`dashboard time tests SKIPPED: ${CHROMIUM} is absent (apt-get update && apt-get install -y chromium)`);
const withBrowser = hasChromium ? describe : describe.skip;

const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

/**
 * The dashboard's time parts in Chromium: stranded space first, closed and open months, and
 * closing a month from the page (with a confirm step). The screenshot docs/dashboard-time.png is
 * a copy of test-artifacts/dashboard-time.png.
 */
describe('reports dashboard: stranded space and closed months', () => {
  let t: TestApp;
  let financeKey: string;
  let strandedAllocation: string;
  let strandedLease: string;
  const start = `${monthsAgo(5)}-01`;
  const endedOn = `${monthsAgo(1)}-15`;
  const closedMonth = monthsAgo(2);
  const openMonth = monthsAgo(1);

  beforeAll(async () => {
    t = await startTestApp();
    financeKey = await t.keyFor('finance');
    const create = async (url: string, body: Record<string, unknown>) =>
      (await t.http.post(url).set(bearer()).send(body).expect(201)).body.id as string;
    const lessorId = await create('/api/v1/lessors', { name: 'Time Lessor', rir: 'RIPE' });
    const providerId = await create('/api/v1/providers', { code: 'aws', name: 'AWS' });
    const regionId = await create('/api/v1/regions', { code: 'eu-west-1', name: 'Ireland', countryCode: 'IE' });
    const lease = (prefix: string, pricePerIpMonthly: string) =>
      create('/api/v1/leases', { prefix, lessorId, startDate: start, pricePerIpMonthly, currency: 'EUR' });
    strandedLease = await lease('185.80.0.0/24', '1.0000');
    const keptLease = await lease('185.80.1.0/24', '0.5000');
    // Inventory onboarded from the leases' first day, so the closed month has real figures.
    strandedAllocation = await create('/api/v1/allocations', {
      prefix: '185.80.0.0/26',
      leaseId: strandedLease,
      regionId,
      providerId,
      effectiveDate: start,
    });
    await create('/api/v1/allocations', {
      prefix: '185.80.1.0/25',
      leaseId: keptLease,
      regionId,
      providerId,
      effectiveDate: start,
    });
    // Time passes: the first lease's term ended last month (a natural expiry; no API edit may
    // leave an active allocation outside its lease, so this is the one write not done through it).
    await t.pool.query(`UPDATE leases SET end_date = $2 WHERE id = $1`, [strandedLease, endedOn]);
    // One ECB rate, so the page shows its totals in EUR (an EUR lease needs no conversion).
    await t.http
      .put('/api/v1/fx-rates')
      .set(bearer(financeKey))
      .send({ rates: [{ date: `${closedMonth}-10`, currency: 'USD', perEur: '1.0816' }] })
      .expect(200);
    await t.http.post('/api/v1/periods/close').set(bearer(financeKey)).send({ through: closedMonth }).expect(200);
  });
  afterAll(() => t?.close());

  it('the API agrees with what the page will show', async () => {
    const stranded = (await t.http.get('/api/v1/reports/stranded').set(bearer(financeKey)).expect(200)).body;
    expect(stranded.rows).toEqual([
      expect.objectContaining({ key: strandedAllocation, leaseId: strandedLease, leaseEndedOn: endedOn }),
    ]);
    const closed = await t.http
      .get('/api/v1/reports/monthly-cost')
      .query({ month: closedMonth, groupBy: 'provider' })
      .set(bearer(financeKey))
      .expect(200);
    expect(closed.body.closed).toBe(true);
  });

  withBrowser('in Chromium', () => {
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];

    const selectMonth = async (month: string) => {
      await page.fill('#month', month);
      await page.locator('#month').dispatchEvent('change');
      await page.locator(`#months-state li.selected[data-month="${month}"]`).waitFor();
    };

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      });
      page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${t.baseUrl}/reports`);
      await page.fill('#api-key', financeKey);
      await page.click('#key-submit');
      await page.locator('#month').waitFor({ state: 'visible' });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('shows stranded space first, in warning colours, with the lease, the day it ended, region and provider', async () => {
      const card = page.locator('#stranded-card');
      await page.locator('#stranded-card[data-count="1"]').waitFor({ timeout: 15_000 });
      // First thing in the page body, before the status line and every figure.
      expect(await page.evaluate(`document.querySelector('#reports').firstElementChild.id`)).toBe('stranded-card');
      expect(await card.getAttribute('class')).toContain('warning');
      expect(await page.locator('#stranded-count').textContent()).toBe('1');
      expect(await page.locator('#stranded-empty').isHidden()).toBe(true);
      const row = page.locator(`#stranded tbody tr[data-key="${strandedAllocation}"]`);
      // Names arrive after the ids: wait for them.
      await row.locator('td:has-text("AWS")').waitFor();
      expect(await row.locator('td').allTextContents()).toEqual([
        '185.80.0.0/26',
        '185.80.0.0/24',
        'expired',
        `${endedOn} ${daysBetween(endedOn, today())} days ago`,
        'eu-west-1 (Ireland)',
        'AWS',
      ]);
      expect(await row.getAttribute('data-lease-id')).toBe(strandedLease);
      const colour = await page.evaluate(`getComputedStyle(document.querySelector('#stranded-card')).borderLeftColor`);
      expect(colour).toBe('rgb(196, 50, 47)');
    });

    it('marks a closed month: badge, the recent months, and who closed them', async () => {
      await selectMonth(closedMonth);
      const badge = page.locator('#month-state');
      await page.locator('#month-state[data-state="closed"]').waitFor();
      expect(await badge.textContent()).toBe('closed');
      const states = await page
        .locator('#months-state li')
        .evaluateAll((items) => items.map((li) => [li.getAttribute('data-month'), li.getAttribute('data-state')]));
      expect(states).toHaveLength(12);
      expect(states[11]).toEqual([monthsAgo(0), 'open']);
      expect(states).toContainEqual([openMonth, 'open']);
      expect(states).toContainEqual([closedMonth, 'closed']);
      expect(states).toContainEqual([monthsAgo(3), 'closed']);
      expect(await page.locator('#periods-summary').textContent()).toContain(`closed through ${closedMonth}`);
      expect(await page.locator('#periods-last').textContent()).toContain(
        `Last closed through ${closedMonth} on ${today()}`,
      );
      expect(await page.locator('#periods-last').textContent()).toContain('by test-finance');
      // A closed month offers nothing to close.
      expect(await page.locator('#close-period').isHidden()).toBe(true);

      await page.locator(`[data-testid="reporting-total"]:has-text("${closedMonth}")`).waitFor();
      expect(await page.locator('[data-testid="reporting-total"] .value').textContent()).toBe('384.00 EUR');

      await page.locator('#month').blur();
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, 'dashboard-time.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    });

    it('selects a month from the list, and shows an ended open month as open with a close button', async () => {
      await page.click(`#months-state button[data-month="${openMonth}"]`);
      await page.locator(`#months-state li.selected[data-month="${openMonth}"]`).waitFor();
      await page.locator('#month-state[data-state="open"]').waitFor();
      expect(await page.inputValue('#month')).toBe(openMonth);
      expect(await page.locator('#close-month').textContent()).toBe(`Close months through ${openMonth}…`);
      // Cancelling the confirm step changes nothing.
      await page.click('#close-month');
      expect(await page.locator('#close-question').textContent()).toContain(`Close ${openMonth}?`);
      await page.click('#close-no');
      expect(await page.locator('#close-confirm').isHidden()).toBe(true);
      const periods = (await t.http.get('/api/v1/periods').set(bearer(financeKey)).expect(200)).body;
      expect(periods.closedThrough).toBe(closedMonth);
    });

    it('explains a refused close (403) beside the button and keeps the key', async () => {
      await page.route('**/api/v1/periods/close', (route) =>
        route.fulfill({
          status: 403,
          contentType: 'application/problem+json',
          body: JSON.stringify({ status: 403, code: 'FORBIDDEN', detail: 'This API key may not do this.' }),
        }),
      );
      await page.click('#close-month');
      await page.click('#close-yes');
      await page.locator('#close-message:has-text("Not closed")').waitFor();
      expect(await page.locator('#close-message').textContent()).toBe(
        'Not closed: this key may not close months (the finance or admin role is needed). This API key may not do this.',
      );
      expect(await page.locator('#reports').isVisible()).toBe(true);
      await page.unroute('**/api/v1/periods/close');
    });

    it('closes the month from the page after the confirm step', async () => {
      await page.click('#close-month');
      await page.click('#close-yes');
      await page.locator('#month-state[data-state="closed"]').waitFor();
      expect(await page.locator(`#months-state li[data-month="${openMonth}"]`).getAttribute('data-state')).toBe(
        'closed',
      );
      const periods = (await t.http.get('/api/v1/periods').set(bearer(financeKey)).expect(200)).body;
      expect(periods.closedThrough).toBe(openMonth);
      expect(periods.history.at(-1)).toMatchObject({ action: 'close', through: openMonth });
      expect(problems.filter((p) => !/403/.test(p))).toEqual([]);
    });
  });
});
