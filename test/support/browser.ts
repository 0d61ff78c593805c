import type { Page } from 'playwright-core';

/**
 * Waits until `expression`, evaluated in the page, is truthy. Not page.waitForFunction: Playwright
 * re-checks its predicate with `eval` from a requestAnimationFrame callback, which our pages' CSP
 * (`script-src 'self'`, no 'unsafe-eval') refuses; only the first check, made inside the DevTools
 * call, is allowed. So it passed when the page was already in the state waited for, and failed with
 * an EvalError when it had to wait (a Node 24 CI run). page.evaluate compiles the expression through
 * the DevTools protocol every time, which the page's CSP does not govern.
 */
export async function waitForExpression(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
