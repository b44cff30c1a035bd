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
  /** The HubSpot app's client secret: the key of its webhook signatures (v3). */
  hubspotWebhookSecret: 'sandbox-hubspot-client-secret',
  mixpanelToken: 'sandbox-mixpanel-token',
  amplitudeApiKey: 'sandbox-amplitude-key',
  /** Mixpanel GDPR API (data deletions) OAuth token. */
  mixpanelGdprToken: 'sandbox-mixpanel-gdpr-token',
  /** Amplitude secret key: with the API key, basic auth of the User Privacy (deletion) API. */
  amplitudeSecretKey: 'sandbox-amplitude-secret',
  tonWalletAddress: '0:' + 'ab'.repeat(32),
} as const;
