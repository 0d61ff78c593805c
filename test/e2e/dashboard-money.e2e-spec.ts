import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { bearer, startTestApp, TestApp } from '../support/test-app';
import { waitForExpression } from '../support/browser';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`dashboard money tests SKIPPED: ${CHROMIUM} is absent (apt-get update && apt-get install -y chromium)`);
const withBrowser = hasChromium ? describe : describe.skip;

/**
 * The dashboard's money parts in Chromium, on the hand-checked figures of docs/reports.md:
 * May 2026, a USD and a JPY lease, ECB rates of Friday 29 May, an invoice 2 % over.
 * The screenshot docs/dashboard-money.png is a copy of test-artifacts/dashboard-money.png.
 */
describe('reports dashboard: reporting currency and reconciliation', () => {
  let t: TestApp;
  let usdLease: string;
  let jpyLease: string;

  beforeAll(async () => {
    t = await startTestApp();
    const lessorId = (
      await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Money Lessor', rir: 'RIPE' }).expect(201)
    ).body.id;
    const lease = async (prefix: string, pricePerIpMonthly: string, currency: string) =>
      (
        await t.http
          .post('/api/v1/leases')
          .set(bearer())
          .send({ prefix, lessorId, startDate: '2026-01-01', pricePerIpMonthly, currency })
          .expect(201)
      ).body.id as string;
    usdLease = await lease('185.30.0.0/24', '1.0000', 'USD');
    jpyLease = await lease('185.30.1.0/24', '100.0000', 'JPY');
    await t.http
      .put('/api/v1/fx-rates')
      .set(bearer())
      .set('Content-Type', 'text/csv')
      .send(fs.readFileSync(path.join(__dirname, '../fixtures/eurofxref-hist-sample.csv'), 'utf8'))
      .expect(200);
    await t.http
      .post('/api/v1/invoices')
      .set(bearer())
      .send({
        lessorId,
        invoiceNumber: 'ML-2026-05',
        month: '2026-05',
        currency: 'USD',
        lines: [
          { prefix: '185.30.0.0/24', amount: '261.12' },
          { prefix: '185.99.0.0/24', amount: '10.00' },
        ],
      })
      .expect(201);
  });
  afterAll(() => t?.close());

  withBrowser('in Chromium', () => {
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      });
      page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${t.baseUrl}/reports`);
      await page.fill('#api-key', await t.keyFor('finance'));
      await page.click('#key-submit');
      await page.locator('#month').waitFor({ state: 'visible' });
      await page.fill('#month', '2026-05');
      await page.locator('#month').dispatchEvent('change');
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('shows the month in EUR: totals and the rate used per row', async () => {
      const total = page.locator('[data-testid="reporting-total"] .value');
      await page.locator('[data-testid="reporting-total"]:has-text("2026-05")').waitFor({ timeout: 15_000 });
      expect(await total.textContent()).toBe('387.58 EUR');
      const usd = page.locator('#reporting tbody tr[data-currency="USD"] td');
      expect(await usd.allTextContents()).toEqual([
        'Money Lessor',
        '256.00 USD',
        '0.9239582371',
        '2026-05-29',
        '236.53 EUR',
        '236.53 EUR',
      ]);
    });

    it('lists the reconciliation with variances highlighted', async () => {
      // The page first shows the current month (where the lease is not invoiced): wait for May's answer.
      const over = page.locator(`#reconciliation tbody tr[data-key="${usdLease}"][data-status="over"]`);
      await over.waitFor({ state: 'visible' });
      expect(await over.getAttribute('data-status')).toBe('over');
      expect(await over.getAttribute('class')).toBe('variance');
      expect(await over.locator('td').allTextContents()).toEqual([
        'Money Lessor',
        '185.30.0.0/24',
        '256.00 USD',
        '261.12 USD',
        '5.12 USD',
        'over',
        'ML-2026-05',
      ]);
      expect(await page.locator(`#reconciliation tbody tr[data-key="${jpyLease}"]`).getAttribute('data-status')).toBe(
        'not-invoiced',
      );
      expect(await page.locator('#reconciliation tbody tr[data-status="unexpected"] td').nth(1).textContent()).toBe(
        '185.99.0.0/24',
      );
      expect(await page.locator('#reconciliation-summary').textContent()).toBe(
        '1 over · 1 not invoiced · 1 unexpected (tolerance 1 %)',
      );

      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, 'dashboard-money.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    });

    it('re-checks with another tolerance: 2 % makes the 2 % over invoice match', async () => {
      await page.fill('#tolerance', '2');
      await page.locator('#tolerance').dispatchEvent('change');
      const row = page.locator(`#reconciliation tbody tr[data-key="${usdLease}"]`);
      await page.locator(`#reconciliation tbody tr[data-key="${usdLease}"][data-status="matched"]`).waitFor();
      expect((await row.getAttribute('class')) ?? '').not.toContain('variance');
    });

    it('explains a missing rate in the card instead of failing the page', async () => {
      await page.selectOption('#reporting-currency', 'GBP');
      await page.fill('#month', '2026-03');
      await page.locator('#month').dispatchEvent('change');
      await page.locator('#reporting-message:has-text("No ECB rate for GBP, JPY, USD on 2026-03-31")').waitFor();
      // March: both leases cost something and nothing was invoiced.
      await waitForExpression(
        page,
        `[...document.querySelectorAll('#reconciliation tbody tr')].map((tr) => tr.getAttribute('data-status')).join() === 'not-invoiced,not-invoiced'`,
      );
      expect(problems.filter((p) => !/422/.test(p))).toEqual([]);
    });
  });
});
