/**
 * The web catalog driven in a real headless Chromium (Debian's package, through playwright-core)
 * against the node served on a loopback port: what a visitor does, with and without scripts,
 * at 320 px. Screenshots of the front page and an artifact page go to test-results/web/.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNode, type TestNode } from '../support/node.js';
import { HOT_SHA256, seedCatalog, type SeededCatalog } from './catalog-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = 'test-results/web';

let node: TestNode;
let seeded: SeededCatalog;
let server: ServerType;
let base: string;
let browser: Browser;
let profile: string;

beforeAll(async () => {
  node = await createTestNode();
  seeded = await seedCatalog(node);
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: node.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // playwright gives each launch a fresh profile directory of its own (it refuses --user-data-dir);
  // TMPDIR points it at ours, so nothing is left behind.
  if (!existsSync(CHROMIUM)) throw new Error(`the browser tests drive Debian's Chromium at ${CHROMIUM}: install it with apt-get install -y chromium (.ci/run does)`);
  profile = mkdtempSync(join(tmpdir(), 'catalog-chromium-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    env: { ...process.env, TMPDIR: profile },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  // Unset when the set-up stopped first (no Chromium): its own error is the one to read.
  if (profile) rmSync(profile, { recursive: true, force: true });
  await node?.close();
});

/** A fresh browser profile state (cookies) per test, failing on any script error or CSP violation. */
async function visit(options: { javaScriptEnabled?: boolean; width?: number } = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true, viewport: { width: options.width ?? 1200, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { context, page, problems };
}

describe('in a browser', { timeout: 120_000 }, () => {
  it('searches with type-ahead, narrows by a facet, opens an artifact and downloads its blob', async () => {
    const { context, page, problems } = await visit();
    await page.goto(base + '/');
    await page.screenshot({ path: `${SCREENSHOTS}/front-page.png`, fullPage: true });
    const box = page.getByLabel('Search the catalog');
    await box.pressSequentially('web', { delay: 20 });
    // The script fills the datalist from /search/suggest.
    await expect.poll(() => page.locator('#q-suggestions option').evaluateAll((os) => os.map((o) => o.getAttribute('value')))).toEqual(['web-server']);
    // While the suggestion list is open, Enter or a click may only close it: close it first.
    await page.getByRole('heading', { level: 1 }).click();
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/search\?q=web/);
    expect(await page.locator('li.result').count()).toBe(2);

    await page.getByRole('link', { name: 'Apache-2.0' }).first().click();
    await page.waitForURL(/license=Apache-2.0/);
    expect(await page.getByRole('link', { name: /Remove filter license: Apache-2.0/ }).count()).toBe(1);

    await page.getByRole('link', { name: 'web-server' }).first().click();
    // Both versions match equally well: either may come first.
    await page.waitForURL(new RegExp(`/browse/heat_templates/(${seeded.webServer1.id}|${seeded.webServer2.id})$`));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('web-server');
    await expect.poll(() => page.locator('dd.mono').first().textContent()).toBe(HOT_SHA256);
    await page.screenshot({ path: `${SCREENSHOTS}/artifact-page.png`, fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Download template of web-server/ }).click()]);
    const saved = await download.path();
    expect(createHash('sha256').update(readFileSync(saved)).digest('hex')).toBe(HOT_SHA256);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('works without JavaScript: search form, facets and paging are plain links and forms', async () => {
    const { context, page } = await visit({ javaScriptEnabled: false });
    await page.goto(base + '/');
    await page.getByLabel('Search the catalog').fill('cirros');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=cirros/);
    await page.getByRole('link', { name: 'cirros', exact: true }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('cirros');
    await context.close();
  });

  it('signs in with a token, sees the project’s private artifact, and signs out', async () => {
    const { context, page, problems } = await visit();
    await page.goto(`${base}/browse/heat_templates/${seeded.secret.id}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Not found');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Token').fill(await node.token({ project: 'p2', user: 'carol' }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(new RegExp(`/browse/heat_templates/${seeded.secret.id}$`));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('secret-stack');
    expect(await page.getByText('carol').count()).toBeGreaterThan(0);
    // The token never reaches scripts.
    expect(await page.evaluate('document.cookie')).toBe('');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Download template of secret-stack/ }).click()]);
    expect(createHash('sha256').update(readFileSync(await download.path())).digest('hex')).toBe(HOT_SHA256);

    // Rate and comment through the page's forms; the comment's markup stays text.
    await page.getByLabel('Your rating of secret-stack').selectOption('3');
    await page.getByRole('button', { name: 'Rate' }).click();
    await page.waitForURL(/#community$/);
    expect(await page.getByText('3.0 of 5 (1 rating)').count()).toBe(1);
    await page.getByLabel('Add a comment').fill('Deploys cleanly. <img src=x onerror="window.__xss=5">');
    await page.getByRole('button', { name: 'Post comment' }).click();
    await page.waitForURL(/#community$/);
    expect(await page.getByRole('article', { name: 'Comment by carol' }).textContent()).toContain('Deploys cleanly. <img src=x onerror="window.__xss=5">');
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    // The author edits it in place (a details element: no script needed).
    await page.getByText('Edit my comment').click();
    await page.getByLabel('Edited comment').fill('Deploys cleanly, tested twice.');
    await page.getByRole('button', { name: 'Save comment' }).click();
    await page.waitForURL(/#community$/);
    expect(await page.getByRole('article', { name: 'Comment by carol' }).textContent()).toContain('Deploys cleanly, tested twice.');
    expect(await page.getByRole('article', { name: 'Comment by carol' }).textContent()).toContain('edited');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(base + '/');
    await page.goto(`${base}/browse/heat_templates/${seeded.secret.id}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Not found');
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await context.close();
  });

  it('lets an admin hide a comment and show it again, without JavaScript', async () => {
    const { context, page } = await visit({ javaScriptEnabled: false });
    const signInAs = async (token: string, next: string) => {
      await page.goto(`${base}/sign-in?next=${encodeURIComponent(next)}`);
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(base + next);
    };
    const path = `/browse/images/${seeded.cirros.id}`;
    await signInAs(await node.token({ project: 'p4', user: 'gina' }), path);
    await page.getByLabel('Add a comment').fill('Spam, spam, spam.');
    await page.getByRole('button', { name: 'Post comment' }).click();
    await page.waitForURL(/#community$/);
    await page.getByRole('button', { name: 'Sign out' }).click();

    await signInAs(await node.token({ project: 'admin-project', user: 'root', roles: ['admin'] }), path);
    const comment = page.getByRole('article', { name: 'Comment by gina' });
    await comment.getByRole('button', { name: 'Hide this comment' }).click();
    await page.waitForURL(/#community$/);
    expect(await comment.textContent()).toContain('hidden');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(base + path);
    expect(await page.getByText('Spam, spam, spam.').count()).toBe(0);

    await signInAs(await node.token({ project: 'admin-project', user: 'root', roles: ['admin'] }), path);
    await comment.getByRole('button', { name: 'Show this comment again' }).click();
    await page.waitForURL(/#community$/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(base + path);
    expect(await page.getByText('Spam, spam, spam.').count()).toBe(1);
    await context.close();
  });

  it('keeps hostile names, descriptions and links inert', async () => {
    const { context, page, problems } = await visit();
    for (const path of ['/search?q=script', `/browse/heat_templates/${seeded.hostile.id}`]) {
      await page.goto(base + path);
      expect(await page.evaluate('window.__xss')).toBeUndefined();
      expect(await page.locator('script:not([src])').count()).toBe(0);
    }
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('<script>window.__xss=1</script>');
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('reads at 320 px without horizontal scrolling, and is usable by keyboard', async () => {
    const { context, page } = await visit({ width: 320 });
    for (const path of ['/', '/search?q=web', `/browse/heat_templates/${seeded.webServer1.id}`, `/browse/heat_templates/${seeded.hostile.id}`, '/browse/images', '/sign-in']) {
      await page.goto(base + path);
      const { scroll, client } = await page.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
      // What overflows, to say so when this fails.
      const wide = await page.evaluate<string[]>(
        "[...document.querySelectorAll('body *')].filter((e) => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0).map((e) => e.tagName + ': ' + e.textContent.slice(0, 40)).slice(0, 8)",
      );
      expect(scroll, `${path}: ${wide.join(' ')}`).toBeLessThanOrEqual(client);
    }
    await page.goto(base + '/');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    await context.close();
  });
});
