import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { testEnv } from '../helpers/env.js';

/** Debian's Chromium; the test set-up installs it (scripts/test-ui.sh). */
export const CHROMIUM = process.env.BERTH_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go: git-ignored, kept by CI as artifacts. */
export const ARTIFACTS = path.join(testEnv.root, 'test-artifacts', 'e2e-ui');

/**
 * Headless Chromium in a fresh temporary profile (Playwright makes one per launch), with every
 * background service off so nothing reaches beyond 127.0.0.1.
 */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught page errors and console errors other than the browser's own "Failed to load resource" notes. */
  errors: string[];
  /** The browser's notes on non-2xx API answers (expected when a test provokes a 4xx). */
  failedLoads: string[];
}

export async function openPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const errors: string[] = [];
  const failedLoads: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (m.text().startsWith('Failed to load resource')) failedLoads.push(m.text());
    else errors.push(`console: ${m.text()}`);
  });
  return { page, context, errors, failedLoads };
}

/** Polls `read` until `ok` holds or the timeout passes; returns every distinct value seen, in order. */
export async function watchUntil<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read().catch(() => undefined as T);
    if (v !== undefined && seen[seen.length - 1] !== v) seen.push(v);
    if (v !== undefined && ok(v)) return seen;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * page.goto that tries again when Chromium aborts a navigation with ERR_NETWORK_CHANGED: on a
 * shared engine, other containers' networks come and go, and Chromium notices every interface.
 */
export async function goto(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url, { timeout: 30_000 });
      return;
    } catch (error) {
      if (attempt >= 5 || !String(error).includes('ERR_NETWORK_CHANGED')) throw error;
    }
  }
}

/** Controls with no accessible name: inputs without a label or aria-label, buttons and links without text. */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const bad = [];
    for (const el of document.querySelectorAll('input, select, textarea, button, a[href]')) {
      const aria = (el.getAttribute('aria-label') || '').trim();
      const labelled = el.id && document.querySelector('label[for="' + el.id + '"]');
      const wrapped = el.closest('label');
      const text = (el.textContent || '').trim();
      const named = ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) ? Boolean(aria || labelled || wrapped) : Boolean(aria || text);
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  })()`);
}
