import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_KEY, bearer, startTestApp, TestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `dashboard browser tests SKIPPED: ${CHROMIUM} is absent (install it with: apt-get update && apt-get install -y chromium)`,
  );
}
const withBrowser = hasChromium ? describe : describe.skip;

const today = () => new Date().toISOString().slice(0, 10);
const addDays = (date: string, days: number) => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

describe('reports dashboard', () => {
  let t: TestApp;
  let renewingLease: string;

  beforeAll(async () => {
    t = await startTestApp();
    const lessorId = (
      await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Dashboard Lessor', rir: 'RIPE' }).expect(201)
    ).body.id;
    const providerId = (
      await t.http.post('/api/v1/providers').set(bearer()).send({ code: 'aws', name: 'AWS' }).expect(201)
    ).body.id;
    const regionId = (
      await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: 'eu-west-1', name: 'Ireland', countryCode: 'IE' })
        .expect(201)
    ).body.id;
    const lease = (body: Record<string, unknown>) =>
      t.http
        .post('/api/v1/leases')
        .set(bearer())
        .send({ lessorId, startDate: '2025-01-01', currency: 'USD', ...body })
        .expect(201);
    // Both run for the whole of this month: 256 × 1.0000 + 256 × 0.5000 = 384.00 USD.
    await lease({ prefix: '185.20.0.0/24', pricePerIpMonthly: '1.0000' });
    renewingLease = (
      await lease({
        prefix: '185.20.1.0/24',
        pricePerIpMonthly: '0.5000',
        endDate: addDays(today(), 40),
        autoRenew: true,
      })
    ).body.id;
    await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ prefix: '185.20.0.0/25', providerId, regionId })
      .expect(201);
    await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ prefix: '185.20.1.0/26', providerId, regionId })
      .expect(201);
  });
  afterAll(() => t.close());

  it('serves the page and its scripts from the app, with no inline script under a strict CSP', async () => {
    const page = await t.http.get('/reports').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const [asset, type] of [
      ['dashboard.js', 'text/javascript'],
      ['charts.js', 'text/javascript'],
      ['dashboard.css', 'text/css'],
    ]) {
      const res = await t.http.get(`/reports/assets/${asset}`).expect(200);
      expect(res.headers['content-type']).toBe(`${type}; charset=utf-8`);
    }
    for (const bad of ['nope.js', 'index.html', '..%2Fdashboard.controller.ts', 'constructor']) {
      const res = await t.http.get(`/reports/assets/${bad}`).expect(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
  });

  withBrowser('in Chromium', () => {
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
      page = await context.newPage();
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      page.on('pageerror', (error) => problems.push(error.message));
    });
    afterAll(async () => {
      await browser?.close();
    });

    it("asks for a key, then shows this month's spend, idle cost, charts and the upcoming renewals", async () => {
      const month = today().slice(0, 7);
      const unallocated = (
        await t.http.get('/api/v1/reports/monthly-cost').query({ month, groupBy: 'provider' }).set(bearer()).expect(200)
      ).body.rows.find((r: { key: string }) => r.key === 'unallocated');

      await page.goto(`${t.baseUrl}/reports`);
      await page.locator('#api-key').waitFor({ state: 'visible' });
      expect(await page.locator('#reports').isHidden()).toBe(true);
      await page.fill('#api-key', ADMIN_KEY);
      await page.click('#key-submit');

      const spend = page.locator('[data-testid="spend-USD"] .value');
      await spend.waitFor({ state: 'visible', timeout: 15_000 });
      expect(await spend.textContent()).toBe('384.00 USD');
      expect(await page.locator('[data-testid="idle-USD"] .value').textContent()).toBe(`${unallocated.cost} USD`);

      // Nothing is stranded here: the first card says so, without warning colours.
      await page.locator('#stranded-empty').waitFor({ state: 'visible' });
      expect(await page.locator('#stranded-empty').textContent()).toBe('No stranded space');
      expect(await page.locator('#stranded-card').getAttribute('class')).not.toContain('warning');
      expect(await page.locator('#month-state').getAttribute('data-state')).toBe('open');

      const renewal = page.locator(`#renewals tbody tr[data-lease-id="${renewingLease}"]`);
      await renewal.waitFor({ state: 'visible' });
      expect(await renewal.locator('td').allTextContents()).toEqual([
        addDays(today(), 10),
        'cancel before auto-renewal',
        '185.20.1.0/24',
        'Dashboard Lessor',
        addDays(today(), 40),
        '128.00 USD',
      ]);

      expect(await page.locator('#chart-months svg rect').count()).toBe(12);
      expect(await page.locator('#chart-providers svg').textContent()).toContain('aws · USD');
      expect(await page.locator('#chart-regions svg').textContent()).toContain('eu-west-1 · USD');

      // The key lives in sessionStorage only, never in localStorage or a cookie.
      expect(
        await page.evaluate(`[sessionStorage.getItem('iplease.reports.apiKey'), localStorage.length, document.cookie]`),
      ).toEqual([ADMIN_KEY, 0, '']);

      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
      expect(fs.statSync(path.join(ARTIFACTS, 'dashboard.png')).size).toBeGreaterThan(10_000);
      expect(problems).toEqual([]);
    });

    it('downloads a CSV with the key sent as a header', async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('#downloads a:has-text("Monthly cost by provider")'),
      ]);
      expect(download.suggestedFilename()).toBe(`monthly-cost-${today().slice(0, 7)}-provider.csv`);
      const text = fs.readFileSync(await download.path(), 'utf8');
      expect(text.split('\r\n')[0]).toBe(
        'key,label,currency,addresses,cost,allocatedAddresses,allocatedCost,idleAddresses,idleCost',
      );
      expect(text).toContain(',aws,USD,');
    });

    it('keeps the key for the tab across a reload, and forgets it on request', async () => {
      await page.reload();
      await page.locator('[data-testid="spend-USD"]').waitFor({ state: 'visible' });
      await page.click('#forget');
      await page.locator('#api-key').waitFor({ state: 'visible' });
      expect(await page.evaluate(`sessionStorage.getItem('iplease.reports.apiKey')`)).toBeNull();
    });

    it('says so when the key is refused or lacks the role', async () => {
      await page.fill('#api-key', 'ipl_not-a-real-key-000000000000000000');
      await page.click('#key-submit');
      await page.locator('#login-error:has-text("refused")').waitFor();
      expect(await page.evaluate(`sessionStorage.getItem('iplease.reports.apiKey')`)).toBeNull();

      await page.fill('#api-key', await t.keyFor('viewer'));
      await page.click('#key-submit');
      await page.locator('#login-error:has-text("admin or finance")').waitFor();
    });
  });
});
