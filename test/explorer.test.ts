/**
 * The development explorer: GraphiQL served by the gateway from npm packages
 * (no CDN), a sandbox initData helper, `/` pointing to it; none of it in
 * production. (test/miniapp.browser.test.ts also renders it in Chromium.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';

let dev: ExtraGateway;
let production: ExtraGateway;
beforeAll(async () => {
  dev = await startExtraGateway({ NODE_ENV: 'development' });
  production = await startExtraGateway({
    NODE_ENV: 'production',
    TELEGRAM_BOT_TOKEN: '7000000001:live-token-for-this-test-only',
    TELEGRAM_WEBHOOK_SECRET: 'webhook-secret-for-this-test-only',
  });
});
afterAll(async () => Promise.all([dev?.stop(), production?.stop()]));

const html = { accept: 'text/html,application/xhtml+xml' };
const baseOf = (g: ExtraGateway) => g.url.replace(/\/graphql$/, '');

describe('explorer (development)', () => {
  it('GET /graphql from a browser answers GraphiQL whose every script and style the gateway serves itself', async () => {
    const res = await fetch(dev.url, { headers: html });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const page = await res.text();
    expect(page).not.toMatch(/https?:\/\//); // nothing from a CDN
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(
      expect.arrayContaining(['/graphql/explorer/graphiql.js', '/graphql/explorer/graphiql.css', '/graphql/explorer/explorer.js']),
    );
    for (const path of assets) {
      const asset = await fetch(`${baseOf(dev)}${path}`);
      expect(asset.status, path).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, path).toBeGreaterThan(500);
    }
    // API clients still get GraphQL on the same URL.
    const api = await fetch(dev.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ products { id } }"}',
    });
    expect(api.status).toBe(200);
  });

  it('signs sandbox initData the gateway accepts', async () => {
    const res = await fetch(`${baseOf(dev)}/graphql/explorer/initdata?userId=279058397`);
    const { initData } = (await res.json()) as { initData: string };
    const me = await fetch(dev.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `tma ${initData}` },
      body: '{"query":"{ me { id } }"}',
    });
    expect(((await me.json()) as { data: { me: { id: string } } }).data.me.id).toBe('279058397');
    expect((await fetch(`${baseOf(dev)}/graphql/explorer/initdata?userId=nope`)).status).toBe(400);
  });

  it('GET / points to the explorer', async () => {
    const browser = await fetch(`${baseOf(dev)}/`, { headers: html, redirect: 'manual' });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('/graphql');
    expect(((await (await fetch(`${baseOf(dev)}/`)).json()) as { graphql: string }).graphql).toBe('/graphql');
  });

  it('is off in production: no page, no assets, no signing, no /', async () => {
    const page = await fetch(production.url, { headers: html });
    expect(page.headers.get('content-type')).toMatch(/json/);
    expect(page.status).toBe(400);
    for (const path of ['/graphql/explorer/graphiql.js', '/graphql/explorer/initdata?userId=1', '/']) {
      expect((await fetch(`${baseOf(production)}${path}`)).status, path).toBe(404);
    }
  });
});
