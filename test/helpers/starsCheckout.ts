/**
 * A Telegram Stars purchase as the tests drive it: the invoice is created through a gateway (as a
 * Mini App does), then the sandbox plays Telegram's checkout for it (pre_checkout_query, then
 * successful_payment, sent to that stack's payment webhook).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { gql } from './client.ts';

export interface StarsInvoice {
  /** The payment's id. */
  id: string;
  /** The `t.me/$…` invoice link Telegram returned. */
  link: string;
}

/** What the sandbox's checkout reports: whether it went through and how each update was delivered. */
export interface SandboxCheckout {
  ok: boolean;
  chargeId?: string;
  errorMessage?: string;
  updates: { status: number | null; delivered: boolean; attempts: number; update_id: number }[];
}

/** Buys `prod_coins_100` with Stars for `userId` through the gateway at `gatewayUrl` (the shared stack's when omitted). */
export async function createStarsInvoice(userId: number, gatewayUrl?: string): Promise<StarsInvoice> {
  const res = await gql<{ createInvoice: { payment: { id: string }; starsInvoiceLink: string } }>(
    `mutation ($input: CreateInvoiceInput!) { createInvoice(input: $input) { payment { id } starsInvoiceLink } }`,
    {
      userId,
      url: gatewayUrl,
      variables: { input: { productId: 'prod_coins_100', provider: 'STARS', idempotencyKey: randomUUID() } },
    },
  );
  expect(res.body.errors).toBeUndefined();
  return { id: res.body.data!.createInvoice.payment.id, link: res.body.data!.createInvoice.starsInvoiceLink };
}

/** The sandbox at `sandboxUrl` pays `invoiceLink` as `userId` (no assertion: declines are a result too). */
export async function checkoutInSandbox(sandboxUrl: string, invoiceLink: string, userId: number): Promise<SandboxCheckout> {
  const res = await fetch(`${sandboxUrl}/telegram/__sandbox/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ invoiceLink, userId }),
  });
  return (await res.json()) as SandboxCheckout;
}
