/**
 * The payment flow suite against a real PostgreSQL server: a dedicated
 * sandbox + payments subgraph + gateway with DATABASE_URL=TEST_DATABASE_URL
 * (the ledger in schema `payments`, reset first). Skipped only when
 * TEST_DATABASE_URL is unset; CI sets it.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { stack } from './helpers/client.ts';
import { definePaymentFlows, defineStripeOutageFlow } from './helpers/paymentFlows.ts';
import { startPaymentsStack, type PaymentsStack } from './helpers/paymentsStack.ts';

const url = process.env.TEST_DATABASE_URL;

describe.skipIf(!url)('payments (PostgreSQL ledger)', () => {
  let ps: PaymentsStack;
  beforeAll(async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('DROP SCHEMA IF EXISTS payments CASCADE');
    await client.end();
    ps = await startPaymentsStack({ env: { DATABASE_URL: url! } });
  });
  afterAll(async () => {
    await ps?.stop();
  });
  const target = () => ({
    gatewayUrl: ps.gatewayUrl,
    gatewayBase: ps.gatewayBase,
    sandboxUrl: ps.sandboxUrl,
    operatorId: stack().operatorId,
  });
  definePaymentFlows(target, { a: 100000044, b: 100000045, c: 100000046, d: 100000049 });
  // This stack has a sandbox of its own, so injecting Stripe faults disturbs no other test.
  defineStripeOutageFlow(target, 100000046);
});
