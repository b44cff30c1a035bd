/**
 * The example Mini App in a real browser (headless Chromium via playwright-core):
 * built with Vite, served over HTTP, opened with a Telegram.WebApp object
 * injected the way a Telegram client provides it (signed initData, theme
 * parameters, openInvoice). The purchase goes through the sandbox, which plays
 * Telegram's pre_checkout_query and successful_payment against the gateway.
 * Screenshots are kept in test/artifacts/ (gitignored). Also renders the
 * development explorer and checks it loads nothing from outside the gateway.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/lib/stack.ts';
import { SEED_USERS } from '../sandbox/src/seed.ts';
import { initDataFor, stack } from './helpers/client.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test/artifacts');
// Outside CI a machine without Chromium skips this file; CI installs it (.ci/run), so there it must run.
const available = existsSync(CHROMIUM) || process.env.CI === 'true';

const THEME = {
  bg_color: '#17212b',
  text_color: '#f5f5f5',
  hint_color: '#708499',
  button_color: '#5288c1',
  button_text_color: '#ffffff',
  secondary_bg_color: '#232e3c',
};
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

function serveStatic(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })),
  );
}

describe.skipIf(!available)('example Mini App in Chromium', { timeout: 180_000 }, () => {
  let browser: Browser;
  let site: { server: Server; url: string };
  let devGateway: ExtraGateway;

  beforeAll(async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'tma-miniapp-'));
    await build({ configFile: join(ROOT, 'examples/miniapp/vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    site = await serveStatic(outDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    site?.server.close();
    await devGateway?.stop();
  });

  it('signs in from initData, shows the user and the catalog, buys with Stars and shows the payment turning PAID', async () => {
    const user = SEED_USERS[7]!;
    const initData = initDataFor(user.id, { user: { first_name: user.first_name, ...(user.username ? { username: user.username } : {}) } });
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    // telegram-web-app.js is Telegram's; here the test plays Telegram and provides Telegram.WebApp itself.
    await page.route('https://telegram.org/**', (route) => route.fulfill({ contentType: 'text/javascript', body: '' }));
    const invoices: string[] = [];
    await page.exposeFunction('__sandboxCheckout', async (invoiceLink: string) => {
      invoices.push(invoiceLink);
      const res = await fetch(`${stack().sandboxUrl}/telegram/__sandbox/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invoiceLink, userId: user.id }),
      });
      return ((await res.json()) as { ok: boolean }).ok;
    });
    await page.addInitScript(
      ({ initData, user, theme }) => {
        const w = globalThis as unknown as Record<string, unknown> & { __sandboxCheckout(link: string): Promise<boolean> };
        w.Telegram = {
          WebApp: {
            initData,
            initDataUnsafe: { user },
            themeParams: theme,
            colorScheme: 'dark',
            platform: 'tdesktop',
            version: '8.0',
            ready() {},
            expand() {},
            onEvent() {},
            // Telegram shows its payment sheet, charges, then calls back with the outcome.
            openInvoice(url: string, callback?: (status: string) => void) {
              void w.__sandboxCheckout(url).then((ok) => callback?.(ok ? 'paid' : 'failed'));
            },
          },
        };
      },
      { initData, user: { id: user.id, first_name: user.first_name }, theme: THEME },
    );

    await page.goto(`${site.url}/?gateway=${encodeURIComponent(stack().gatewayUrl)}`);
    await page.locator('#greeting', { hasText: `Hello, ${user.first_name}` }).waitFor();
    await expect.poll(() => page.locator('#account').textContent()).toContain(`Telegram id ${user.id}`);
    const item = page.locator('li[data-product-id="prod_coins_100"]');
    await item.waitFor();
    expect(await item.textContent()).toMatch(/Buy for 100 ⭐/);
    expect(await page.locator('#catalog li').count()).toBeGreaterThan(1);
    // Styled by Telegram's theme parameters.
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(23, 33, 43)');
    expect(await page.evaluate("getComputedStyle(document.querySelector('button')).backgroundColor")).toBe('rgb(82, 136, 193)');

    await item.locator('button').click();
    await page.locator('[data-payment-status="PAID"]').waitFor({ timeout: 60_000 });
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatch(/^https:\/\/t\.me\/\$/);
    expect(await page.locator('#payment-via').textContent()).toMatch(/status followed by (subscription|polling)/);
    // miniapp_opened, purchase_started, purchase_paid
    await expect.poll(() => page.locator('#events').getAttribute('data-tracked')).toBe('3');
    expect(failures).toEqual([]);
    expect(await page.locator('#error').isHidden()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'miniapp.png'), fullPage: true });

    // What the page showed is what the gateway has: the payment is PAID for this user.
    const paymentId = await page.locator('#payment-id').textContent();
    const res = await fetch(stack().gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `tma ${initData}` },
      body: JSON.stringify({ query: 'query ($id: ID!) { payment(id: $id) { status provider } }', variables: { id: paymentId } }),
    });
    expect(((await res.json()) as { data: { payment: unknown } }).data.payment).toEqual({ status: 'PAID', provider: 'STARS' });
    await page.close();
  });

  it('renders the development explorer from the gateway alone (no other host contacted)', async () => {
    devGateway = await startExtraGateway({ NODE_ENV: 'development' });
    const page = await browser.newPage();
    const hosts = new Set<string>();
    page.on('request', (r) => hosts.add(new URL(r.url()).host));
    await page.goto(devGateway.url);
    await page.locator('.graphiql-container').waitFor({ timeout: 60_000 });
    await page.locator('#signin button[type="submit"]').click();
    await page.locator('#signed-as', { hasText: 'signed in as' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'explorer.png') });
    expect([...hosts]).toEqual([new URL(devGateway.url).host]);
    await page.close();
  });
});
