/**
 * End to end: the web page in Debian's Chromium (playwright-core, headless): ask, watch the answer stream in,
 * click a citation chip, see the cited span highlighted in the sources panel; upload by drag-and-drop. Saves a
 * screenshot (to the test's temp folder; to bench/results/web-ask.png with RALM_SAVE_SCREENSHOT=1). Skipped when
 * /usr/bin/chromium is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { RunningServer } from '../../src/server/index.js';
import { repoRoot } from '../helpers/shared.js';
import { makeRoot, serve } from './helpers.js';

// The callbacks passed to page.evaluate run in the browser; this project compiles against Node's types only.
declare const document: any;
declare const window: any;
declare const getComputedStyle: any;
declare const DataTransfer: any;
declare const DragEvent: any;

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`[skip] ${CHROMIUM} is missing (apt-get install -y chromium): the browser test is skipped`);

let server: RunningServer;
let browser: BrowserContext;
let cleanup: () => void;
let profile: string;

describe.skipIf(!available)('web page in Chromium', () => {
  beforeAll(async () => {
    let root: string;
    ({ root, cleanup } = await makeRoot());
    server = await serve({ root });
    profile = mkdtempSync(join(tmpdir(), 'ralm-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 720 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    cleanup?.();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('asks, streams a cited answer, highlights the cited span on a chip click, uploads by drag-and-drop', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const remote: string[] = [];
    page.on('request', (r) => !r.url().startsWith(server.url) && remote.push(r.url()));
    await page.goto(server.url + '/');
    await expect.poll(() => page.locator('#collection option').count()).toBeGreaterThan(0);
    expect(await page.locator('#generator option').allTextContents()).toEqual(['extractive']);
    await page.fill('#question', 'When is a commit durable?');
    await page.click('#ask');
    const chip = page.locator('#answer button.cite').first();
    await chip.waitFor({ state: 'visible', timeout: 10_000 }).catch(async (e) => { throw new Error(`${e.message}; status: ${await page.locator('#status').innerText()}; answer: ${await page.locator('#answer').innerHTML()}; errors: ${errors.join(' | ')}`); });
    await expect.poll(() => page.locator('#answer').innerText()).toMatch(/write-ahead log is synced to disk/);
    await page.locator('article.source').first().waitFor();
    await chip.click();
    const active = page.locator('article.source.active');
    await active.waitFor();
    expect(await active.locator('mark').innerText()).toMatch(/write-ahead log is synced to disk/);
    const background = await active.locator('mark').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe('rgb(255, 210, 63)');
    expect(await active.locator('a').getAttribute('href')).toMatch(/^\/collections\/docs\/documents\/wal\.md\?start=\d+&end=\d+$/);
    const shot = process.env.RALM_SAVE_SCREENSHOT === '1' ? join(repoRoot, 'bench', 'results', 'web-ask.png') : join(tmpdir(), `ralm-web-ask-${process.pid}.png`);
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(1000);

    // drag-and-drop upload with a progress bar, then the new document answers
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(['The lighthouse keeper logs the fog horn at dawn.'], 'lighthouse.md', { type: 'text/markdown' }));
      const drop = document.getElementById('drop')!;
      drop.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      drop.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => page.locator('#upload-progress').evaluate((el) => (el as any).value), { timeout: 10_000 }).toBe(100);
    expect(await page.locator('#upload-status').innerText()).toMatch(/succeeded: 1 document/);
    await page.fill('#question', 'Who logs the fog horn?');
    await page.click('#ask');
    await expect.poll(() => page.locator('article.source').first().innerText(), { timeout: 10_000 }).toMatch(/lighthouse\.md/);

    expect(errors).toEqual([]);
    expect(remote).toEqual([]);
  });

  it('renders a hostile answer safely: no script runs, no remote image loads', async () => {
    const page = await browser.newPage();
    const remote: string[] = [];
    page.on('request', (r) => !r.url().startsWith(server.url) && remote.push(r.url()));
    await page.goto(server.url + '/');
    const fired = await page.evaluate(() => {
      (window as unknown as { fired: boolean }).fired = false;
      const answer = document.getElementById('answer')!;
      // the page's own renderer, applied to what a hostile document could make an LLM say
      answer.innerHTML = (window as unknown as { renderMarkdown: (t: string, o: object) => string }).renderMarkdown(
        '<img src="https://evil.example/x.png" onerror="window.fired=true"> ![p](https://evil.example/p.png) [x](javascript:window.fired=true)',
        { citations: [], links: [] },
      );
      return new Promise((resolve) => setTimeout(() => resolve((window as unknown as { fired: boolean }).fired), 300));
    });
    expect(fired).toBe(false);
    expect(remote).toEqual([]);
    expect(await page.locator('#answer img').count()).toBe(0);
    expect(await page.locator('#answer a').count()).toBe(0);
  });
});
