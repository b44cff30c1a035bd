/**
 * The environment contract (DESIGN.md "Configuration"). Every variable the
 * product reads is parsed here, once, with zod, and checked against the
 * fail-closed rules below; every problem is listed at once and the process
 * refuses to start, naming each variable.
 *
 * A service is live when its credential is set. Without one it runs against
 * the local sandbox with the sandbox's public demo credentials, except in
 * production (`NODE_ENV=production`), where a sandbox value is never used: a
 * service without credentials is switched off and its fields answer
 * SERVICE_NOT_CONFIGURED. The connector code is the same in every mode.
 */
import { z } from 'zod';
import { resolve } from 'node:path';
import { SANDBOX_CREDENTIALS } from './demo/credentials.ts';

const onOff = z.enum(['on', 'off']);
/** An empty value counts as unset: `STRIPE_WEBHOOK_SECRET=` must not look configured. */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const optionalNumber = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.coerce.number().pipe(schema).optional());
const positiveInt = (fallback: number) => optionalNumber(z.number().int().min(1)).transform((v) => v ?? fallback);
const commaList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

export const MIN_INTERNAL_JWT_SECRET_LENGTH = 32;

const EnvSchema = z.object({
  PORT: optionalNumber(z.number().int().min(0).max(65535)).transform((v) => v ?? 4000),
  HOST: z.string().default('127.0.0.1'),
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_WEBHOOK_SECRET: optionalString.pipe(
    // Telegram's own rule for secret_token (setWebhook): 1-256 characters of A-Z, a-z, 0-9, _ and -.
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, 'only A-Z, a-z, 0-9, _ and - (1-256 characters), as Telegram requires')
      .optional(),
  ),
  TELEGRAM_API_URL: optionalString,
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  STRIPE_API_URL: optionalString,
  HUBSPOT_TOKEN: optionalString,
  HUBSPOT_API_URL: optionalString,
  /** The HubSpot app's client secret: verifies its webhook signatures (v3). */
  HUBSPOT_WEBHOOK_SECRET: optionalString,
  MIXPANEL_TOKEN: optionalString,
  MIXPANEL_API_URL: optionalString,
  /** OAuth token of Mixpanel's GDPR API (user data deletions). */
  MIXPANEL_GDPR_TOKEN: optionalString,
  AMPLITUDE_API_KEY: optionalString,
  AMPLITUDE_API_URL: optionalString,
  /** Amplitude secret key (with the API key: the User Privacy API that deletes a user's data). */
  AMPLITUDE_SECRET_KEY: optionalString,
  TONCENTER_API_URL: optionalString,
  TONCENTER_API_KEY: optionalString,
  TON_WALLET_ADDRESS: optionalString,
  /** How often the payments subgraph polls toncenter for incoming TON transfers (0 = never). */
  TON_POLL_INTERVAL_MS: optionalNumber(z.number().int().min(0)).transform((v) => v ?? 5_000),
  /** How many unpaid (PENDING) invoices one user may hold; createInvoice refuses more. */
  MAX_PENDING_INVOICES_PER_USER: positiveInt(20),
  /** Where the sandbox listens; the default base of every connector without credentials (never in production). */
  SANDBOX_URL: z.string().default('http://127.0.0.1:4100'),

  OPERATOR_USER_IDS: z
    .string()
    .default('')
    .transform(
      (v) =>
        new Set(
          v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ),
    ),
  /** Seconds an initData stays acceptable after its auth_date (Telegram leaves this to us). */
  INIT_DATA_MAX_AGE_SECONDS: positiveInt(86_400),
  /** HS256 key the gateway signs internal identity tokens with; subgraphs verify with it. */
  INTERNAL_JWT_SECRET: optionalString.pipe(
    z.string().min(MIN_INTERNAL_JWT_SECRET_LENGTH, `must be at least ${MIN_INTERNAL_JWT_SECRET_LENGTH} characters`).optional(),
  ),

  DATA_DIR: z.string().default('./data'),
  SUPERGRAPH_PATH: optionalString,
  PERSISTED_DOCUMENTS: z.enum(['off', 'allow', 'enforce']).default('allow'),
  /** Extra persisted-document manifests (comma-separated paths) next to the generated one. */
  PERSISTED_DOCUMENTS_MANIFESTS: commaList,
  RESPONSE_CACHE: onOff.default('on'),
  REQUEST_COLLAPSING: onOff.default('on'),
  REDIS_URL: optionalString,
  /** Partner API keys of /public/graphql: `name:sha256hex[:scope+scope][:rpm]`, comma-separated (gateway/src/partners/keys.ts). */
  PARTNER_API_KEYS: optionalString,
  DATABASE_URL: optionalString,
  /** OTLP/HTTP collector base URL (`http://collector:4318`); tracing is on only when set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
  /** On SIGTERM: how long in-flight requests may take to finish before connections are cut (ms). */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** Open subscription streams (SSE + WebSocket) one user may hold on one gateway replica. */
  SUBSCRIPTIONS_PER_USER: z.coerce.number().int().min(1).max(1000).default(10),
  /** Which executor serves federated operations: our own (fast) or stock @apollo/gateway. */
  GATEWAY_ENGINE: z.enum(['fast', 'apollo']).default('fast'),

  // --- limits and operations (README "Running in production") ---
  /** Largest request body on the GraphQL endpoints, in bytes. */
  MAX_REQUEST_BYTES: positiveInt(128 * 1024),
  /** Query limits, checked once per document before anything executes. */
  MAX_QUERY_DEPTH: positiveInt(10),
  MAX_QUERY_ALIASES: positiveInt(30),
  MAX_QUERY_TOKENS: positiveInt(2_000),
  MAX_QUERY_COST: positiveInt(5_000),
  /** Size assumed for a list field without a `first`/`last` argument, in the cost estimate. */
  QUERY_COST_DEFAULT_LIST_SIZE: positiveInt(20),
  RATE_LIMIT_USER_PER_MINUTE: positiveInt(600),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: positiveInt(300),
  /** Per-user budget of each costly mutation (createInvoice, openTicket, sendMessage, trackEvents). */
  RATE_LIMIT_COSTLY_MUTATION_PER_MINUTE: positiveInt(30),
  /** Reverse proxies in front of the gateway whose X-Forwarded-For entries are trusted (0: use the socket address). */
  TRUSTED_PROXY_HOPS: optionalNumber(z.number().int().min(0).max(10)).transform((v) => v ?? 0),
  /** Origins allowed by CORS on the GraphQL endpoints (comma-separated); empty: any origin. */
  CORS_ORIGINS: commaList,
  /** In production /metrics is served here (on HOST) instead of the public port. */
  METRICS_PORT: optionalNumber(z.number().int().min(0).max(65535)),
  /** Introspection of /graphql: on by default outside production, off in production. */
  INTROSPECTION: onOff.optional(),
  /** Query planner of the fast engine: Hive Router's (hive) or Apollo's (apollo, the reference stock uses). */
  GATEWAY_PLANNER: z.enum(['hive', 'apollo']).default('hive'),
  /** Deadline of one subgraph request of the fast engine, in ms. */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  /** Per-subgraph deadlines overriding SUBGRAPH_TIMEOUT_MS: `name=ms,name=ms`. */
  SUBGRAPH_TIMEOUTS: z
    .string()
    .default('')
    .refine((v) => /^\s*([A-Za-z0-9_-]+\s*=\s*[1-9][0-9]*\s*(,\s*|$))*$/.test(v), 'expected name=ms,name=ms')
    .transform((v) =>
      Object.fromEntries(
        v
          .split(',')
          .filter((p) => p.trim())
          .map((p) => p.split('=').map((x) => x.trim()))
          .map(([k, ms]) => [k!, Number(ms)]),
      ),
    ),
  /** Largest subgraph response body the fast engine accepts, in bytes. */
  SUBGRAPH_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
});

export type Env = z.infer<typeof EnvSchema>;

/**
 * `live`: real credentials are set. `sandbox`: the local emulator with its public demo credentials
 * (never in production). `off`: production without credentials; every call fails with SERVICE_NOT_CONFIGURED.
 */
export type ServiceMode = 'live' | 'sandbox' | 'off';

export interface ServiceEndpoint {
  baseUrl: string;
  mode: ServiceMode;
  /** true when no credentials were configured and the sandbox stands in. */
  sandbox: boolean;
  /** false when the service is switched off (production without credentials). */
  enabled: boolean;
}

export interface Config extends Omit<Env, 'INTROSPECTION'> {
  production: boolean;
  introspection: boolean;
  dataDir: string;
  telegram: ServiceEndpoint & { botToken: string; webhookSecret: string };
  stripe: ServiceEndpoint & { secretKey: string; webhookSecret: string };
  hubspot: ServiceEndpoint & { token: string; webhookSecret: string };
  /** `deletionUrl`: base of the GDPR (data deletion) API, another host than ingestion when live. */
  mixpanel: ServiceEndpoint & { token: string; gdprToken: string; deletionUrl: string };
  amplitude: ServiceEndpoint & { apiKey: string; secretKey: string; deletionUrl: string };
  toncenter: ServiceEndpoint & { apiKey: string | undefined; walletAddress: string };
  /** true when every external service runs against the sandbox. */
  allSandbox: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration (the process will not start):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Variables whose value must never be one of the sandbox's public demo values in production. */
const SANDBOX_VALUES: Record<string, string> = {
  TELEGRAM_BOT_TOKEN: SANDBOX_CREDENTIALS.telegramBotToken,
  TELEGRAM_WEBHOOK_SECRET: SANDBOX_CREDENTIALS.telegramWebhookSecret,
  STRIPE_SECRET_KEY: SANDBOX_CREDENTIALS.stripeSecretKey,
  STRIPE_WEBHOOK_SECRET: SANDBOX_CREDENTIALS.stripeWebhookSecret,
  HUBSPOT_TOKEN: SANDBOX_CREDENTIALS.hubspotToken,
  HUBSPOT_WEBHOOK_SECRET: SANDBOX_CREDENTIALS.hubspotWebhookSecret,
  MIXPANEL_GDPR_TOKEN: SANDBOX_CREDENTIALS.mixpanelGdprToken,
  AMPLITUDE_SECRET_KEY: SANDBOX_CREDENTIALS.amplitudeSecretKey,
  MIXPANEL_TOKEN: SANDBOX_CREDENTIALS.mixpanelToken,
  AMPLITUDE_API_KEY: SANDBOX_CREDENTIALS.amplitudeApiKey,
  TON_WALLET_ADDRESS: SANDBOX_CREDENTIALS.tonWalletAddress,
};

function endpoint(
  production: boolean,
  credential: string | undefined,
  url: string | undefined,
  liveUrl: string,
  sandboxUrl: string,
): ServiceEndpoint {
  if (credential !== undefined) return { baseUrl: url ?? liveUrl, mode: 'live', sandbox: false, enabled: true };
  if (production) return { baseUrl: '', mode: 'off', sandbox: false, enabled: false };
  return { baseUrl: url ?? sandboxUrl, mode: 'sandbox', sandbox: true, enabled: true };
}

/** The fail-closed rules that zod's per-field checks cannot express. */
function crossFieldProblems(source: NodeJS.ProcessEnv, production: boolean): string[] {
  const problems: string[] = [];
  // Read from the raw source (empty counts as unset), so these are listed even when a field failed to parse.
  const env = Object.fromEntries(Object.entries(source).map(([k, v]) => [k, v?.trim() || undefined]));
  // A live service must never verify its webhooks with the sandbox's public secret.
  if (env.STRIPE_SECRET_KEY && !env.STRIPE_WEBHOOK_SECRET) {
    problems.push(
      'STRIPE_WEBHOOK_SECRET: required when STRIPE_SECRET_KEY is set (live Stripe webhooks must be verified with your endpoint secret)',
    );
  }
  if (env.HUBSPOT_TOKEN && !env.HUBSPOT_WEBHOOK_SECRET) {
    problems.push('HUBSPOT_WEBHOOK_SECRET: required when HUBSPOT_TOKEN is set (the app client secret HubSpot signs its webhooks with)');
  }
  if (env.TELEGRAM_BOT_TOKEN && !env.TELEGRAM_WEBHOOK_SECRET) {
    problems.push('TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_BOT_TOKEN is set (the secret_token given to setWebhook)');
  }
  if (!production) return problems;
  if (!env.TELEGRAM_BOT_TOKEN) problems.push('TELEGRAM_BOT_TOKEN: required in production (initData is verified with it)');
  if (!env.INTERNAL_JWT_SECRET) {
    problems.push(`INTERNAL_JWT_SECRET: required in production (at least ${MIN_INTERNAL_JWT_SECRET_LENGTH} characters)`);
  }
  for (const [name, sandboxValue] of Object.entries(SANDBOX_VALUES)) {
    if (env[name] === sandboxValue) problems.push(`${name}: is the sandbox's public demo value; production needs your own`);
  }
  return problems;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(source);
  const production = (source.NODE_ENV ?? '').trim() === 'production';
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)),
    ...crossFieldProblems(source, production),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;

  const sb = env.SANDBOX_URL.replace(/\/+$/, '');
  // Demo credentials stand in only for a service in sandbox mode; a live or switched-off one never sees them.
  const demo = <T>(endpoint: ServiceEndpoint, value: T): T | '' => (endpoint.mode === 'sandbox' ? value : '');

  const telegramEndpoint = endpoint(production, env.TELEGRAM_BOT_TOKEN, env.TELEGRAM_API_URL, 'https://api.telegram.org', `${sb}/telegram`);
  const telegram = {
    ...telegramEndpoint,
    botToken: env.TELEGRAM_BOT_TOKEN ?? demo(telegramEndpoint, SANDBOX_CREDENTIALS.telegramBotToken),
    webhookSecret: env.TELEGRAM_WEBHOOK_SECRET ?? demo(telegramEndpoint, SANDBOX_CREDENTIALS.telegramWebhookSecret),
  };
  const stripeEndpoint = endpoint(production, env.STRIPE_SECRET_KEY, env.STRIPE_API_URL, 'https://api.stripe.com', `${sb}/stripe`);
  const stripe = {
    ...stripeEndpoint,
    secretKey: env.STRIPE_SECRET_KEY ?? demo(stripeEndpoint, SANDBOX_CREDENTIALS.stripeSecretKey),
    webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? demo(stripeEndpoint, SANDBOX_CREDENTIALS.stripeWebhookSecret),
  };
  const hubspotEndpoint = endpoint(production, env.HUBSPOT_TOKEN, env.HUBSPOT_API_URL, 'https://api.hubapi.com', `${sb}/hubspot`);
  const hubspot = {
    ...hubspotEndpoint,
    token: env.HUBSPOT_TOKEN ?? demo(hubspotEndpoint, SANDBOX_CREDENTIALS.hubspotToken),
    webhookSecret: env.HUBSPOT_WEBHOOK_SECRET ?? demo(hubspotEndpoint, SANDBOX_CREDENTIALS.hubspotWebhookSecret),
  };
  const mixpanelEndpoint = endpoint(production, env.MIXPANEL_TOKEN, env.MIXPANEL_API_URL, 'https://api.mixpanel.com', `${sb}/mixpanel`);
  const mixpanel = {
    ...mixpanelEndpoint,
    token: env.MIXPANEL_TOKEN ?? demo(mixpanelEndpoint, SANDBOX_CREDENTIALS.mixpanelToken),
    gdprToken: env.MIXPANEL_GDPR_TOKEN ?? demo(mixpanelEndpoint, SANDBOX_CREDENTIALS.mixpanelGdprToken),
    /** Base of the GDPR (data deletion) API, another host than ingestion when live. */
    deletionUrl:
      mixpanelEndpoint.sandbox || env.MIXPANEL_API_URL ? mixpanelEndpoint.baseUrl : mixpanelEndpoint.enabled ? 'https://mixpanel.com' : '',
  };
  const amplitudeEndpoint = endpoint(
    production,
    env.AMPLITUDE_API_KEY,
    env.AMPLITUDE_API_URL,
    'https://api2.amplitude.com',
    `${sb}/amplitude`,
  );
  const amplitude = {
    ...amplitudeEndpoint,
    apiKey: env.AMPLITUDE_API_KEY ?? demo(amplitudeEndpoint, SANDBOX_CREDENTIALS.amplitudeApiKey),
    secretKey: env.AMPLITUDE_SECRET_KEY ?? demo(amplitudeEndpoint, SANDBOX_CREDENTIALS.amplitudeSecretKey),
    deletionUrl:
      amplitudeEndpoint.sandbox || env.AMPLITUDE_API_URL
        ? amplitudeEndpoint.baseUrl
        : amplitudeEndpoint.enabled
          ? 'https://amplitude.com'
          : '',
  };
  const toncenterEndpoint = endpoint(production, env.TON_WALLET_ADDRESS, env.TONCENTER_API_URL, 'https://toncenter.com', `${sb}/toncenter`);
  const toncenter = {
    ...toncenterEndpoint,
    apiKey: env.TONCENTER_API_KEY,
    walletAddress: env.TON_WALLET_ADDRESS ?? demo(toncenterEndpoint, SANDBOX_CREDENTIALS.tonWalletAddress),
  };
  const services = [telegram, stripe, hubspot, mixpanel, amplitude, toncenter];
  const { INTROSPECTION, ...rest } = env;
  return {
    ...rest,
    production,
    introspection: INTROSPECTION ? INTROSPECTION === 'on' : !production,
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
  if (!config.INTERNAL_JWT_SECRET) {
    throw new ConfigError([
      `INTERNAL_JWT_SECRET: must be set (at least ${MIN_INTERNAL_JWT_SECRET_LENGTH} characters): the gateway signs, and the subgraphs verify, ` +
        'the identity they exchange with it. `npm start` generates one for the local stack.',
    ]);
  }
  return config.INTERNAL_JWT_SECRET;
}
