/** Mini App auth over real HTTP: valid, forged, expired, missing initData; subgraphs refuse direct calls. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { gql, initDataFor, stack } from './helpers/client.ts';
import { startExtraGateway, type ExtraGateway } from './helpers/gateway.ts';

const ME = '{ me { id firstName username } }';

describe('Mini App authentication at the gateway', () => {
  it('a valid initData reaches the subgraphs as the verified user', async () => {
    const res = await gql(ME, { initData: initDataFor(279058397, { user: { first_name: 'Ivan', username: 'ivan_test' } }) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { me: { id: '279058397', firstName: 'Ivan', username: 'ivan_test' } } });
  });

  it('a forged initData is refused with 401 UNAUTHENTICATED before any subgraph runs', async () => {
    const forged = initDataFor(279058397).replace('User279058397', 'Mallory');
    const res = await gql(ME, { initData: forged });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.body.data).toBeUndefined();
  });

  it('initData signed with another bot token is refused', async () => {
    const res = await gql(ME, { initData: initDataFor(279058397, { token: '123456:SOMEONE-ELSE' }) });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.message).toMatch(/signature is invalid/);
  });

  it('an expired initData (auth_date older than 24 h) is refused with 401', async () => {
    const res = await gql(ME, { initData: initDataFor(279058397, { authDate: Math.floor(Date.now() / 1000) - 86_401 }) });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED', reason: 'expired' } });
  });

  it('without initData public fields work and user fields answer 401 UNAUTHENTICATED', async () => {
    const catalog = await gql('{ products { id } }');
    expect(catalog.status).toBe(200);
    expect((catalog.body.data as { products: unknown[] }).products.length).toBeGreaterThan(0);
    const me = await gql(ME);
    expect(me.status).toBe(401);
    expect(me.headers.get('www-authenticate')).toBe('tma');
    expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('another Authorization scheme is treated as anonymous, not as a user', async () => {
    const res = await gql(ME, { headers: { authorization: 'Bearer something' } });
    expect(res.status).toBe(401);
  });
});

describe('subgraphs trust only the gateway', () => {
  const body = JSON.stringify({ query: '{ me { id } }' });
  const post = (headers: Record<string, string>) =>
    fetch(stack().subgraphUrls.telegram, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('refuses a request without the internal token', async () => {
    const res = await post({});
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token signed with another key, and an expired one', async () => {
    const forged = await new SignJWT({ roles: ['operator'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('tma-gateway')
      .setAudience('tma-subgraphs')
      .setSubject('279058397')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect((await post({ authorization: `Bearer ${forged}` })).status).toBe(401);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('tma-gateway')
      .setAudience('tma-subgraphs')
      .setSubject('279058397')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(new TextEncoder().encode(stack().internalJwtSecret));
    expect((await post({ authorization: `Bearer ${expired}` })).status).toBe(401);
  });

  // Signed with the real shared key, so only the claim rules stand between them and the subgraph.
  const signed = (build: (jwt: SignJWT) => SignJWT) =>
    build(
      new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('tma-gateway').setAudience('tma-subgraphs').setSubject('279058397'),
    ).sign(new TextEncoder().encode(stack().internalJwtSecret));
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a token without exp, without iat, or living longer than 2 minutes', async () => {
    const noExp = await signed((jwt) => jwt.setIssuedAt());
    const noIat = await signed((jwt) => jwt.setExpirationTime(now() + 60));
    const tenYears = await signed((jwt) => jwt.setIssuedAt().setExpirationTime(now() + 10 * 365 * 86_400));
    const threeMinutes = await signed((jwt) => jwt.setIssuedAt().setExpirationTime(now() + 180));
    for (const token of [noExp, noIat, tenYears, threeMinutes]) {
      const res = await post({ authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
    }
    // The same claims with a proper lifetime are accepted: the refusals above are about the lifetime alone.
    const fine = await signed((jwt) => jwt.setIssuedAt().setExpirationTime(now() + 60));
    expect((await post({ authorization: `Bearer ${fine}` })).status).toBe(200);
  });
});

describe('Ed25519 third-party signature over HTTP', () => {
  // Real Telegram data (EXTERNAL-APIS.md TV2), verified only by its Ed25519 signature: the gateway runs
  // with the bot's id but a different secret, so the HMAC cannot match.
  const RAW =
    'user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F%22%2C%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url%22%3A%22https%3A%5C%2F%5C%2Ft.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg%22%7D&chat_instance=8134722200314281151&chat_type=private&auth_date=1733509682&signature=TYJxVcisqbWjtodPepiJ6ghziUL94-KNpG8Pau-X7oNNLNBM72APCpi_RKiUlBvcqo5L-LAxIc3dnTzcZX_PDg&hash=a433d8f9847bd6addcc563bff7cc82c89e97ea0d90c11fe5729cae6796a36d73';
  let gateway: ExtraGateway;
  let url: string;

  beforeAll(async () => {
    gateway = await startExtraGateway({
      TELEGRAM_BOT_TOKEN: '7342037359:NOT-THE-REAL-SECRET',
      TELEGRAM_WEBHOOK_SECRET: 'a-live-bot-needs-its-own-webhook-secret',
      TELEGRAM_API_URL: `${stack().sandboxUrl}/telegram`,
      INIT_DATA_MAX_AGE_SECONDS: String(10 * 365 * 86_400),
    });
    url = gateway.url;
  });
  afterAll(() => gateway.stop());

  it('accepts real Telegram initData by its Ed25519 signature and rejects it when altered', async () => {
    const ok = await gql<{ me: { id: string; username: string } }>('{ me { id username } }', { initData: RAW, url });
    expect(ok.status).toBe(200);
    expect(ok.body.data?.me).toEqual({ id: '279058397', username: 'vdkfrost' });
    const altered = await gql('{ me { id } }', { initData: RAW.replace('vdkfrost', 'vdkfrosT'), url });
    expect(altered.status).toBe(401);
  });
});
