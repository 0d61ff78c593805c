import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { createLease, seedWorld } from '../support/fixtures';
import { bearer, startTestApp, TestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
// Written to test-artifacts (ignored by git); docs/routing-page.png is a reviewed copy of it, so a
// test run never leaves the working tree dirty.
const SCREENSHOT = path.resolve(__dirname, '../../test-artifacts/routing-page.png');
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`routing page browser tests SKIPPED: ${CHROMIUM} is absent`);
const withBrowser = hasChromium ? describe : describe.skip;

/** 2,000 allocations of mixed sizes packed into a /16, spread over three providers and RPKI states. */
function allocationsCsv(region: string, providers: string[]): { csv: string; prefixes: string[] } {
  const lines = ['prefix,region,provider,name,originAsn'];
  const prefixes: string[] = [];
  let address = 0;
  for (let i = 0; i < 2000; i++) {
    const length = i % 40 === 0 ? 24 : i % 3 === 0 ? 27 : 28;
    const size = 2 ** (32 - length);
    address = Math.ceil(address / size) * size;
    if (i % 17 === 5) address += size; // leave some holes
    const prefix = `185.250.${address >> 8}.${address & 255}/${length}`;
    prefixes.push(prefix);
    const origin = i % 5 === 0 ? '' : i % 7 === 0 ? '64512' : '16509';
    lines.push(`${prefix},${region},${providers[i % providers.length]},map-${i},${origin}`);
    address += size;
  }
  if (address > 65536) throw new Error(`the sample overflows the /16 (${address} addresses)`);
  return { csv: lines.join('\n'), prefixes };
}

describe('network engineers page', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    const w = await seedWorld(t);
    const region = (await t.http.get(`/api/v1/regions/${w.regionId}`).set(bearer())).body.code;
    const codes = ['aws-eu', 'azure-we', 'hetzner'];
    for (const [i, code] of codes.entries()) {
      await t.http
        .post('/api/v1/providers')
        .set(bearer())
        .send({ code, name: code, maxPrefixLength: 28, requiredOriginAsns: i === 0 ? [16509, 14618] : [] })
        .expect(201);
    }
    await createLease(t, w, '185.250.0.0/16');
    const { csv } = allocationsCsv(region, codes);
    await t.http
      .post('/api/v1/imports/allocations')
      .set(bearer())
      .set('Content-Type', 'text/csv')
      .send(csv)
      .expect(201);
    await t.http
      .put('/api/v1/rpki/vrps')
      .set(bearer())
      .set('Content-Type', 'text/csv')
      .send('ASN,IP Prefix,Max Length,Trust Anchor\nAS16509,185.250.0.0/17,28,ripe\nAS16509,185.250.128.0/18,24,ripe\n')
      .expect(200);
    await t.http
      .put('/api/v1/reputation-lists/spamhaus-drop')
      .set(bearer())
      .set('Content-Type', 'text/plain')
      .send('185.250.200.0/22 ; SBL700001\n')
      .expect(200);
  }, 120_000);
  afterAll(() => t.close());

  it('is served by the app with no inline script and no outside origin', async () => {
    const page = await t.http.get('/reports/routing').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const asset of ['routing.js', 'address-map.js', 'routing.css']) {
      await t.http.get(`/reports/assets/${asset}`).expect(200);
    }
    await t.http.get('/reports/assets/routing.html').expect(404);
  });

  withBrowser('in Chromium', () => {
    let browser: Browser;
    let page: Page;
    const problems: string[] = [];

    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      });
      page = await (await browser.newContext({ viewport: { width: 1280, height: 1100 } })).newPage();
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      page.on('pageerror', (error) => problems.push(error.message));
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('shows RPKI states, BYOIP problems, listed space, and a /16 with 2,000 allocations drawn to scale', async () => {
      const report = (await t.http.get('/api/v1/reports/routing').set(bearer()).expect(200)).body.rows as {
        rpkiState: string;
        label: string;
        name: string;
      }[];
      const count = (s: string) => report.filter((r) => r.rpkiState === s).length;

      await page.goto(`${t.baseUrl}/reports/routing`);
      await page.fill('#api-key', await t.keyFor('viewer'));
      await page.click('#key-submit');
      await page.locator('#map[data-drawn="2000"]').waitFor({ timeout: 30_000 });

      for (const s of ['valid', 'invalid', 'not-found', 'unknown-origin']) {
        expect(await page.locator(`[data-testid="state-${s}"] .value`).textContent()).toBe(String(count(s)));
        expect(count(s)).toBeGreaterThan(0);
      }
      // Long lists show their first 25 rows and point at the CSV.
      expect(await page.locator('#byoip tbody tr').count()).toBe(26);
      expect(await page.locator('#byoip tbody tr.more').textContent()).toMatch(/and \d{1,3}(,\d{3})* more/);
      expect(await page.locator('#listed tbody tr').first().textContent()).toContain('185.250.200.0/22');
      expect(await page.locator('#map-caption').textContent()).toMatch(/^185\.250\.0\.0\/16 · 2,000 allocations · /);

      // The map is to scale: the first /24 (256 addresses) fills a 16×16-cell square at the origin,
      // 2 px per cell on a 512 px canvas; free space is the light grey.
      const pixel = (x: number, y: number) =>
        page.evaluate(
          `Array.from(document.getElementById('map').getContext('2d').getImageData(${x}, ${y}, 1, 1).data)`,
        ) as Promise<number[]>;
      const first = report.find((r) => r.label === '185.250.0.0/24');
      expect(first).toBeDefined();
      expect(await pixel(2, 2)).not.toEqual([227, 232, 238, 255]);

      // Hover: the tooltip names the allocation under the pointer.
      const box = (await page.locator('#map').boundingBox())!;
      await page.mouse.move(box.x + 5, box.y + 5);
      await page.locator('#map-tip:has-text("185.250.0.0/24")').waitFor();
      expect(await page.locator('#map-tip').textContent()).toContain('map-0');

      await page.selectOption('#colour', 'provider');
      expect(await page.locator('#legend').textContent()).toContain('aws-eu');
      await page.selectOption('#colour', 'rpki');
      await page.mouse.move(box.x + 260, box.y + 300);
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
      expect(problems).toEqual([]);
    });
  });
});
