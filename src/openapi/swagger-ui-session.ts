interface SwaggerUiBrowser {
  ui?: {
    getSystem(): { getStore?: () => { subscribe(listener: () => void): void } };
    authSelectors: { authorized(): { toJS(): Record<string, { value?: string }> } };
    authActions: { authorize(payload: Record<string, unknown>): void };
    specActions: { updateSpec(text: string): void };
  };
  location: { pathname: string };
  sessionStorage: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
    removeItem(key: string): void;
  };
  fetch(
    url: string,
    init: { headers: Record<string, string> },
  ): Promise<{ ok: boolean; status: number; text(): Promise<string> }>;
  setTimeout(fn: () => void, ms: number): unknown;
  ipleaseSession?: boolean;
}

/**
 * Runs in the browser, inside Swagger UI: @nestjs/swagger serialises it (Function#toString) into
 * swagger-ui-init.js, so it loads as a script file under the Content-Security-Policy. It must not
 * use anything from this module's scope.
 *
 * - The key given to Authorize is kept for the tab (sessionStorage): a reload keeps it, closing the
 *   tab forgets it.
 * - Installed once per page (Swagger UI calls onComplete again after each spec update).
 * - The public document carries placeholders instead of ids (issue 10 item 4: no live ids without a
 *   key). Once authorized, the document is fetched again with the key, so the request examples name
 *   a real lessor, region and provider at once, without a reload (issue 10 item 12).
 */
export function keepAuthorizationForTheTab(): void {
  const STORAGE_KEY = 'iplease.swagger.bearer';
  const SCHEME = 'bearer';
  const browser = globalThis as unknown as SwaggerUiBrowser;
  // Swagger UI calls onComplete again after every updateSpec: install once per page.
  if (browser.ipleaseSession) return;
  browser.ipleaseSession = true;
  const specUrl = `${browser.location.pathname.replace(/\/docs(\/.*)?$/, '')}/docs-json`;
  const whenReady = (attempt: number): void => {
    const ui = browser.ui;
    if (!ui) {
      if (attempt < 400) browser.setTimeout(() => whenReady(attempt + 1), 25);
      return;
    }
    let current: string | undefined;
    let shown = '';
    const refresh = () => {
      browser
        .fetch(specUrl, { headers: current ? { Authorization: `Bearer ${current}` } : {} })
        .then((res) => (res.ok ? res.text() : Promise.reject(new Error(`${specUrl}: ${res.status}`))))
        .then((text) => {
          // Only when the examples changed: an update re-renders every operation.
          if (text !== shown) ui.specActions.updateSpec(text);
          shown = text;
        })
        .catch(() => undefined);
    };
    const onChange = () => {
      const token = ui.authSelectors.authorized().toJS()[SCHEME]?.value;
      if (token === current) return;
      current = token;
      if (token) browser.sessionStorage.setItem(STORAGE_KEY, token);
      else browser.sessionStorage.removeItem(STORAGE_KEY);
      refresh();
    };
    const saved = browser.sessionStorage.getItem(STORAGE_KEY);
    if (saved) {
      ui.authActions.authorize({
        [SCHEME]: { name: SCHEME, schema: { type: 'http', scheme: 'bearer' }, value: saved },
      });
    }
    ui.getSystem().getStore?.()?.subscribe(onChange);
    onChange();
  };
  whenReady(0);
}
