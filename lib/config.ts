/**
 * The environment contract (DESIGN.md "Configuration"). Every variable the
 * product reads is parsed here, once, with zod, so a typo fails at start with a
 * clear message instead of deep inside a request.
 *
 * Sandbox rule: a service whose credentials are not set runs against the local
 * sandbox with the sandbox's public demo credentials. Setting the credentials
 * (and optionally the *_API_URL) switches that connector to the live service;
 * the connector code is the same either way.
 */
import { z } from 'zod';
import { resolve } from 'node:path';
import { SANDBOX_CREDENTIALS } from '../sandbox/src/credentials.ts';

const onOff = z.enum(['on', 'off']);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_WEBHOOK_SECRET: optionalString,
  TELEGRAM_API_URL: optionalString,
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  STRIPE_API_URL: optionalString,
  HUBSPOT_TOKEN: optionalString,
  HUBSPOT_API_URL: optionalString,
  MIXPANEL_TOKEN: optionalString,
  MIXPANEL_API_URL: optionalString,
  AMPLITUDE_API_KEY: optionalString,
  AMPLITUDE_API_URL: optionalString,
  TONCENTER_API_URL: optionalString,
  TONCENTER_API_KEY: optionalString,
  TON_WALLET_ADDRESS: optionalString,
  /** How often the payments subgraph polls toncenter for incoming TON transfers (0 = never). */
  TON_POLL_INTERVAL_MS: z.coerce.number().int().min(0).default(5_000),
  /** Where the sandbox listens; the default base of every connector without credentials. */
  SANDBOX_URL: z.string().default('http://127.0.0.1:4100'),

  OPERATOR_USER_IDS: z
    .string()
    .default('')
    .transform((v) => new Set(v.split(',').map((s) => s.trim()).filter(Boolean))),
  /** Seconds an initData stays acceptable after its auth_date (Telegram leaves this to us). */
  INIT_DATA_MAX_AGE_SECONDS: z.coerce.number().int().min(1).default(86_400),
  /** HS256 key the gateway signs internal identity tokens with; subgraphs verify with it. */
  INTERNAL_JWT_SECRET: optionalString,

  DATA_DIR: z.string().default('./data'),
  SUPERGRAPH_PATH: optionalString,
  PERSISTED_DOCUMENTS: z.enum(['off', 'allow', 'enforce']).default('allow'),
  RESPONSE_CACHE: onOff.default('on'),
  REQUEST_COLLAPSING: onOff.default('on'),
  REDIS_URL: optionalString,
  /** Partner API keys of /public/graphql: `name:sha256hex[:scope+scope][:rpm]`, comma-separated (gateway/src/public/keys.ts). */
  PARTNER_API_KEYS: optionalString,
  DATABASE_URL: optionalString,
  /** Open subscription streams (SSE + WebSocket) one user may hold on one gateway replica. */
  SUBSCRIPTIONS_PER_USER: z.coerce.number().int().min(1).max(1000).default(10),
  /** Which executor serves federated operations: our own (fast) or stock @apollo/gateway. */
  GATEWAY_ENGINE: z.enum(['fast', 'apollo']).default('fast'),
});

export type Env = z.infer<typeof EnvSchema>;

export interface ServiceEndpoint {
  baseUrl: string;
  /** true when no credentials were configured and the sandbox stands in. */
  sandbox: boolean;
}

export interface Config extends Env {
  dataDir: string;
  telegram: ServiceEndpoint & { botToken: string; webhookSecret: string };
  stripe: ServiceEndpoint & { secretKey: string; webhookSecret: string };
  hubspot: ServiceEndpoint & { token: string };
  mixpanel: ServiceEndpoint & { token: string };
  amplitude: ServiceEndpoint & { apiKey: string };
  toncenter: ServiceEndpoint & { apiKey: string | undefined; walletAddress: string };
  /** true when every external service runs against the sandbox. */
  allSandbox: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function endpoint(
  credential: string | undefined,
  url: string | undefined,
  liveUrl: string,
  sandboxUrl: string,
): ServiceEndpoint {
  if (credential === undefined) return { baseUrl: url ?? sandboxUrl, sandbox: true };
  return { baseUrl: url ?? liveUrl, sandbox: false };
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const sb = env.SANDBOX_URL.replace(/\/+$/, '');
  const c = SANDBOX_CREDENTIALS;

  const telegram = {
    ...endpoint(env.TELEGRAM_BOT_TOKEN, env.TELEGRAM_API_URL, 'https://api.telegram.org', `${sb}/telegram`),
    botToken: env.TELEGRAM_BOT_TOKEN ?? c.telegramBotToken,
    webhookSecret: env.TELEGRAM_WEBHOOK_SECRET ?? c.telegramWebhookSecret,
  };
  const stripe = {
    ...endpoint(env.STRIPE_SECRET_KEY, env.STRIPE_API_URL, 'https://api.stripe.com', `${sb}/stripe`),
    secretKey: env.STRIPE_SECRET_KEY ?? c.stripeSecretKey,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? c.stripeWebhookSecret,
  };
  const hubspot = {
    ...endpoint(env.HUBSPOT_TOKEN, env.HUBSPOT_API_URL, 'https://api.hubapi.com', `${sb}/hubspot`),
    token: env.HUBSPOT_TOKEN ?? c.hubspotToken,
  };
  const mixpanel = {
    ...endpoint(env.MIXPANEL_TOKEN, env.MIXPANEL_API_URL, 'https://api.mixpanel.com', `${sb}/mixpanel`),
    token: env.MIXPANEL_TOKEN ?? c.mixpanelToken,
  };
  const amplitude = {
    ...endpoint(env.AMPLITUDE_API_KEY, env.AMPLITUDE_API_URL, 'https://api2.amplitude.com', `${sb}/amplitude`),
    apiKey: env.AMPLITUDE_API_KEY ?? c.amplitudeApiKey,
  };
  const toncenter = {
    ...endpoint(env.TON_WALLET_ADDRESS, env.TONCENTER_API_URL, 'https://toncenter.com', `${sb}/toncenter`),
    apiKey: env.TONCENTER_API_KEY,
    walletAddress: env.TON_WALLET_ADDRESS ?? c.tonWalletAddress,
  };
  const services = [telegram, stripe, hubspot, mixpanel, amplitude, toncenter];
  return {
    ...env,
    dataDir: resolve(env.DATA_DIR),
    telegram,
    stripe,
    hubspot,
    mixpanel,
    amplitude,
    toncenter,
    allSandbox: services.every((s) => s.sandbox),
  };
}

/** The internal JWT key; a process that must verify or sign identities cannot run without it. */
export function requireInternalJwtSecret(config: Config): string {
  if (!config.INTERNAL_JWT_SECRET || config.INTERNAL_JWT_SECRET.length < 32) {
    throw new ConfigError(
      'INTERNAL_JWT_SECRET must be set (at least 32 characters): the gateway signs, and the subgraphs verify, ' +
        'the identity they exchange with it. `npm start` generates one for the local stack.',
    );
  }
  return config.INTERNAL_JWT_SECRET;
}
