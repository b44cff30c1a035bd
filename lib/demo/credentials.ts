/**
 * Credentials the sandbox accepts. They are public demo values, not secrets: connectors use them
 * when no real credentials are configured, and every emulated service refuses anything else the way
 * the real service does, so a connector that forgets its auth header fails here as it would live.
 */
export const SANDBOX_CREDENTIALS = {
  telegramBotToken: '123456:SANDBOX-TOKEN',
  telegramWebhookSecret: 'sandbox-webhook-secret',
  stripeSecretKey: 'sk_test_sandbox',
  stripeWebhookSecret: 'whsec_sandbox',
  hubspotToken: 'pat-sandbox',
  mixpanelToken: 'sandbox-mixpanel-token',
  amplitudeApiKey: 'sandbox-amplitude-key',
  tonWalletAddress: '0:' + 'ab'.repeat(32),
} as const;
