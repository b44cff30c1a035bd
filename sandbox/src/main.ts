/**
 * CLI entry: `npm run sandbox`. Environment:
 *   SANDBOX_PORT (default 4100), SANDBOX_HOST (default 127.0.0.1), SANDBOX_LOG=0 to silence request lines,
 *   SANDBOX_TELEGRAM_WEBHOOK_URL / SANDBOX_STRIPE_WEBHOOK_URL to pre-register webhook receivers
 *   (signed with the sandbox credentials' webhook secrets).
 */
import { SANDBOX_CREDENTIALS } from './credentials.ts';
import { SERVICE_NAMES } from './http.ts';
import { startSandbox } from './server.ts';

const ENV_NAMES: Record<string, string> = {
  telegram: 'TELEGRAM_API_URL',
  stripe: 'STRIPE_API_URL',
  hubspot: 'HUBSPOT_API_URL',
  mixpanel: 'MIXPANEL_API_URL',
  amplitude: 'AMPLITUDE_API_URL',
  toncenter: 'TONCENTER_API_URL',
};

const port = Number(process.env.SANDBOX_PORT ?? '4100');
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`SANDBOX_PORT must be a port number, got ${process.env.SANDBOX_PORT}`);
  process.exit(1);
}
const telegramWebhookUrl = process.env.SANDBOX_TELEGRAM_WEBHOOK_URL;
const stripeWebhookUrl = process.env.SANDBOX_STRIPE_WEBHOOK_URL;

const sandbox = await startSandbox({
  port,
  host: process.env.SANDBOX_HOST ?? '127.0.0.1',
  log: process.env.SANDBOX_LOG !== '0',
  ...(telegramWebhookUrl ? { telegramWebhook: { url: telegramWebhookUrl, secretToken: SANDBOX_CREDENTIALS.telegramWebhookSecret } } : {}),
  ...(stripeWebhookUrl ? { stripeWebhook: { url: stripeWebhookUrl, secret: SANDBOX_CREDENTIALS.stripeWebhookSecret } } : {}),
});

console.log(`sandbox  listening on ${sandbox.url} (admin: ${sandbox.url}/__sandbox/health)`);
for (const name of SERVICE_NAMES) console.log(`sandbox  ${ENV_NAMES[name]}=${sandbox.url}/${name}`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`sandbox  ${signal}: shutting down`);
  await sandbox.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
