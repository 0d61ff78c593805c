import { existsSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { waitForExpression } from '../support/browser';

const CHROMIUM = '/usr/bin/chromium';

/**
 * The browser tests wait on pages served with `script-src 'self'` (the dashboard, Swagger UI).
 * page.waitForFunction fails there as soon as it has to wait (its re-checks use eval); the
 * harness's waitForExpression must not.
 */
(existsSync(CHROMIUM) ? describe : describe.skip)('waiting on a page under a strict CSP', () => {
  let server: http.Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.setHeader('Content-Security-Policy', "script-src 'self'");
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end('<!doctype html><title>csp</title><p>waiting</p>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('page.waitForFunction refuses to wait (why the harness does not use it)', async () => {
    const later = new Promise((resolve) => setTimeout(resolve, 200)).then(() => page.evaluate('window.first = 1'));
    await expect(page.waitForFunction('window.first === 1', undefined, { timeout: 5_000 })).rejects.toThrow(
      /unsafe-eval/,
    );
    await later;
  });

  it('waitForExpression waits for a state that arrives later', async () => {
    const later = new Promise((resolve) => setTimeout(resolve, 200)).then(() => page.evaluate('window.second = 1'));
    await waitForExpression(page, 'window.second === 1', 5_000);
    await later;
    expect(await page.evaluate('window.second')).toBe(1);
  });

  it('waitForExpression gives up with the expression in its message', async () => {
    await expect(waitForExpression(page, 'window.never === 1', 300)).rejects.toThrow(/window\.never === 1/);
  });
});
