import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's headless Chromium (`.ci/run` installs `chromium-headless-shell`); another with LDK_CHROMIUM. */
export const CHROMIUM = process.env.LDK_CHROMIUM ?? '/usr/bin/chromium-headless-shell';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** The system browser, headless, with a fresh profile that is removed on close. */
export async function startBrowser(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'ldk-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    return {
      context,
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}

export interface OpenedReport {
  page: Page;
  /** Every request the page made (the file itself included), and every fetch its policy blocked. */
  requests: string[];
  blocked(): Promise<string[]>;
  /** Uncaught errors and console errors. */
  errors: string[];
  /** From navigation start to the first frame after the page said it was drawn (the page's clock). */
  renderedMs: number;
}

/** Opens a report file and waits until its charts are drawn. */
export async function openReport(browser: Browser, file: string, timeoutMs = 60_000): Promise<OpenedReport> {
  const page = await browser.context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  // A fetch the page's Content-Security-Policy stops never becomes a request: count those too.
  // (Code for the page is a string here: this package's types have no DOM.)
  await page.addInitScript(
    "window.__blocked = []; document.addEventListener('securitypolicyviolation', (e) => window.__blocked.push(e.blockedURI));",
  );
  await page.goto(pathToFileURL(file).href, { timeout: timeoutMs });
  await page.waitForFunction("document.documentElement.dataset.rendered === 'true'", null, { timeout: timeoutMs });
  const renderedMs = await page.evaluate<number>(
    'new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))))',
  );
  return {
    page,
    requests,
    errors,
    renderedMs,
    blocked: () => page.evaluate<string[]>('window.__blocked'),
  };
}
