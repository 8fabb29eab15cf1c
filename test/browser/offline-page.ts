import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** A page opened with every non-file request blocked, and what went wrong while loading it. */
export interface OfflinePage {
  context: BrowserContext;
  page: Page;
  /** URLs of requests that were blocked (anything not `file:`); a self-contained page makes none. */
  blockedRequests: string[];
  /** Text of `console.error` messages (CSP violations are reported there too). */
  consoleErrors: string[];
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** Closes the context (and its page). */
  close(): Promise<void>;
}

/**
 * Opens a local HTML file in a new context of `browser` with the network cut off: every request
 * whose URL is not `file:` is aborted and recorded. Console errors and page errors are recorded
 * from before the navigation. Waits for the `load` event.
 *
 * @param file absolute or relative path of the HTML file
 * @param viewport page size in CSS pixels (default 1400 x 1000)
 */
export async function openOffline(
  browser: Browser,
  file: string,
  viewport = { width: 1400, height: 1000 },
): Promise<OfflinePage> {
  const context = await browser.newContext({ viewport, offline: false });
  const blockedRequests: string[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  await context.route('**', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    blockedRequests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { context, page, blockedRequests, consoleErrors, pageErrors, close: () => context.close() };
}
