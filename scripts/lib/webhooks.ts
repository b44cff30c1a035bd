/**
 * Points the sandbox's Telegram and Stripe webhooks at a gateway, so the demo
 * flow (and the tests) get real webhook deliveries: Telegram `setWebhook` with
 * the secret token, Stripe's sandbox endpoint registration with the signing
 * secret. Only for services running against the sandbox (no live credentials).
 */
import { SANDBOX_CREDENTIALS } from '../../lib/demo/credentials.ts';

export async function registerSandboxWebhooks(options: {
  sandboxUrl: string;
  /** `http://host:port` of the gateway. */
  gatewayBaseUrl: string;
  env: Record<string, string | undefined>;
}): Promise<void> {
  const { sandboxUrl, gatewayBaseUrl, env } = options;
  if (!env.TELEGRAM_BOT_TOKEN) {
    const res = await fetch(`${sandboxUrl}/telegram/bot${SANDBOX_CREDENTIALS.telegramBotToken}/setWebhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        url: `${gatewayBaseUrl}/webhooks/telegram`,
        secret_token: env.TELEGRAM_WEBHOOK_SECRET || SANDBOX_CREDENTIALS.telegramWebhookSecret,
        allowed_updates: ['message', 'pre_checkout_query'],
      }),
    });
    if (!res.ok) throw new Error(`sandbox setWebhook failed: HTTP ${res.status} ${await res.text()}`);
  }
  if (!env.STRIPE_SECRET_KEY) {
    const res = await fetch(`${sandboxUrl}/stripe/__sandbox/webhook_endpoint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        url: `${gatewayBaseUrl}/webhooks/stripe`,
        secret: env.STRIPE_WEBHOOK_SECRET || SANDBOX_CREDENTIALS.stripeWebhookSecret,
      }),
    });
    if (!res.ok) throw new Error(`sandbox webhook endpoint registration failed: HTTP ${res.status} ${await res.text()}`);
  }
}
