/**
 * Payments end to end on the shared stack (embedded PGlite ledger): Stars,
 * Stripe and TON through the gateway's GraphQL and webhook endpoints against
 * the sandbox. The same suite runs against PostgreSQL in payments.postgres.test.ts.
 */
import { describe } from 'vitest';
import { stack } from './helpers/client.ts';
import { definePaymentFlows } from './helpers/paymentFlows.ts';

describe('payments (embedded ledger)', () => {
  definePaymentFlows(
    () => {
      const s = stack();
      return { gatewayUrl: s.gatewayUrl, gatewayBase: new URL(s.gatewayUrl).origin, sandboxUrl: s.sandboxUrl, operatorId: s.operatorId };
    },
    { a: 100000041, b: 100000042, c: 100000043, d: 100000048 },
  );
});
