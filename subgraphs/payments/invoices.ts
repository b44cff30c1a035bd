/**
 * `Mutation.createInvoice`: a PENDING payment in the ledger plus what the
 * client needs to pay it (Stars invoice link, Stripe client secret, TON
 * transfer). Money rules:
 *
 * - The price comes from the catalog, never from the client.
 * - Insert-first idempotency: `INSERT ... ON CONFLICT (user_id, idempotency_key)
 *   DO NOTHING` makes one row however many concurrent calls share a key; the
 *   invoice is stored on that row (`invoice jsonb`) and returned on repeats.
 *   The same key with another product or provider is a CONFLICT.
 * - The provider call is keyed by the payment id (Stripe `Idempotency-Key`), so
 *   a retry after a crash or timeout never creates a second PaymentIntent; in
 *   one process, concurrent repeats share one provider call.
 * - A user holds at most `maxPendingPerUser` PENDING payments
 *   (MAX_PENDING_INVOICES_PER_USER): past it a new key is refused with
 *   TOO_MANY_PENDING_INVOICES, while a repeated key still gets its invoice.
 */
import { randomBytes } from 'node:crypto';
import { badInput, conflict, notFound, appError, ErrorCode } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { BotApiError, type BotApi } from '../shared/connectors/telegramBotApi.ts';
import { StripeApiError, type Stripe } from '../shared/connectors/stripe.ts';
import type { Catalog, Product } from './catalog.ts';
import type { Ledger, PaymentProvider, PaymentRecord } from './ledger.ts';

export interface InvoiceServices {
  ledger: Ledger;
  catalog: Catalog;
  bot: BotApi;
  stripe: Stripe;
  tonWalletAddress: string;
  /** How many PENDING payments one user may hold at once. */
  maxPendingPerUser: number;
  log: Logger;
}

export interface CreateInvoiceInput {
  productId: string;
  provider: PaymentProvider;
  idempotencyKey: string;
  /** A monthly Stars subscription instead of a one-off payment. */
  subscription?: boolean | null;
}

/** The only period Telegram accepts for Stars subscriptions (30 days), and its price cap. */
export const STARS_SUBSCRIPTION_PERIOD = 2_592_000;
export const STARS_SUBSCRIPTION_MAX_PRICE = 10_000n;

export interface InvoiceView {
  payment: PaymentRecord;
  starsInvoiceLink: string | null;
  stripeClientSecret: string | null;
  tonTransfer: { address: string; amount: string; comment: string } | null;
}

const PROVIDERS: ReadonlySet<string> = new Set(['STARS', 'TON', 'STRIPE']);
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export function newPaymentId(): string {
  return `pay_${randomBytes(15).toString('base64url')}`;
}

/** The currency (and exact amount) a product is sold for through a provider. */
export function priceFor(product: Product, provider: PaymentProvider): { amount: bigint; currency: string } | undefined {
  if (provider === 'STARS') {
    const amount = product.priceBy.get('XTR');
    return amount === undefined ? undefined : { amount, currency: 'XTR' };
  }
  if (provider === 'TON') {
    const amount = product.priceBy.get('TON');
    return amount === undefined ? undefined : { amount, currency: 'TON' };
  }
  for (const [currency, amount] of product.priceBy) {
    if (currency !== 'XTR' && currency !== 'TON') return { amount, currency };
  }
  return undefined;
}

function view(payment: PaymentRecord): InvoiceView {
  const inv = payment.invoice ?? {};
  const ton = inv.tonTransfer as InvoiceView['tonTransfer'] | undefined;
  return {
    payment,
    starsInvoiceLink: typeof inv.starsInvoiceLink === 'string' ? inv.starsInvoiceLink : null,
    stripeClientSecret: typeof inv.stripeClientSecret === 'string' ? inv.stripeClientSecret : null,
    tonTransfer: ton ?? null,
  };
}

export function createInvoices(services: InvoiceServices) {
  const { ledger, catalog, bot, stripe, log } = services;
  /** Provider calls in flight, by payment id: concurrent repeats of one key share one call. */
  const inflight = new Map<string, Promise<PaymentRecord>>();

  async function callProvider(payment: PaymentRecord, product: Product): Promise<PaymentRecord> {
    if (payment.provider === 'STARS') {
      let link: string;
      try {
        link = await bot.call<string>('createInvoiceLink', {
          title: product.title.slice(0, 32) || product.id.slice(0, 32),
          description: (product.description || product.title).slice(0, 255),
          payload: payment.id,
          provider_token: '',
          currency: 'XTR',
          prices: [{ label: product.title.slice(0, 32) || 'Price', amount: Number(payment.amount) }],
          ...(payment.subscriptionPeriod ? { subscription_period: payment.subscriptionPeriod } : {}),
        });
      } catch (error) {
        if (error instanceof BotApiError) {
          throw appError(ErrorCode.UPSTREAM_ERROR, `Telegram refused the invoice: ${error.description}`, { service: 'telegram' });
        }
        throw error;
      }
      return ledger.setInvoice(payment.id, { starsInvoiceLink: link }, null);
    }
    if (payment.provider === 'STRIPE') {
      try {
        const intent = await stripe.createPaymentIntent(
          {
            amount: Number(payment.amount),
            currency: payment.currency.toLowerCase(),
            description: product.title,
            metadata: { payment_id: payment.id, user_id: payment.userId, product_id: payment.productId },
          },
          // Derived from the payment id: a retry of this payment can only ever get the same PaymentIntent.
          `tma-payment-${payment.id}`,
        );
        return await ledger.setInvoice(payment.id, { stripeClientSecret: intent.client_secret }, intent.id);
      } catch (error) {
        if (error instanceof StripeApiError) {
          throw appError(ErrorCode.UPSTREAM_ERROR, `Stripe refused the payment: ${error.message}`, { service: 'stripe' });
        }
        throw error;
      }
    }
    // TON needs no provider call; the invoice is written with the row.
    return payment;
  }

  function ensureInvoice(payment: PaymentRecord, product: Product): Promise<PaymentRecord> {
    if (payment.invoice) return Promise.resolve(payment);
    let pending = inflight.get(payment.id);
    if (!pending) {
      pending = invoiceUnlessStored(payment, product).finally(() => inflight.delete(payment.id));
      inflight.set(payment.id, pending);
    }
    return pending;
  }

  /**
   * `payment` may have been read before an earlier call for it stored its invoice and left `inflight`
   * (a repeat of the key that was slow to read): read it again, so that invoice is used instead of
   * asking the provider a second time.
   */
  async function invoiceUnlessStored(payment: PaymentRecord, product: Product): Promise<PaymentRecord> {
    const [current] = await ledger.byIds([payment.id]);
    if (current?.invoice) return current;
    return callProvider(current ?? payment, product);
  }

  return {
    async createInvoice(userId: string, input: CreateInvoiceInput): Promise<InvoiceView> {
      if (!PROVIDERS.has(input.provider)) throw badInput('Unknown payment provider', 'provider');
      if (!IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
        throw badInput('idempotencyKey must be 1-200 printable ASCII characters (a UUID is a good choice)', 'idempotencyKey');
      }
      const product = await catalog.get(input.productId);
      if (!product) throw notFound(`No product ${input.productId}`);
      const price = priceFor(product, input.provider);
      if (!price) throw badInput(`Product ${product.id} is not sold through ${input.provider}`, 'provider');
      const subscription = input.subscription === true;
      if (subscription && input.provider !== 'STARS')
        throw badInput('Subscriptions are Telegram Stars subscriptions: use provider STARS', 'subscription');
      if (subscription && price.amount > STARS_SUBSCRIPTION_MAX_PRICE) {
        throw badInput(`A Stars subscription costs at most ${STARS_SUBSCRIPTION_MAX_PRICE} Stars a month`, 'subscription');
      }

      const id = newPaymentId();
      const ton =
        input.provider === 'TON' ? { address: services.tonWalletAddress, amount: price.amount.toString(), comment: id } : undefined;
      const result = await ledger.insertOrGet(
        {
          id,
          userId,
          productId: product.id,
          provider: input.provider,
          amount: price.amount,
          currency: price.currency,
          idempotencyKey: input.idempotencyKey,
          tonComment: ton?.comment ?? null,
          invoice: ton ? { tonTransfer: ton } : null,
          subscriptionPeriod: subscription ? STARS_SUBSCRIPTION_PERIOD : null,
        },
        services.maxPendingPerUser,
      );
      if ('limited' in result) {
        throw appError(
          ErrorCode.TOO_MANY_PENDING_INVOICES,
          `You have ${services.maxPendingPerUser} unpaid invoices; pay one of them before starting another purchase`,
          { limit: services.maxPendingPerUser },
        );
      }
      const { payment, created } = result;
      if (
        !created &&
        (payment.productId !== input.productId ||
          payment.provider !== input.provider ||
          (payment.subscriptionPeriod !== null) !== subscription)
      ) {
        throw conflict(
          'This idempotencyKey was already used for another product, provider or kind of purchase; use a new key for a new purchase',
        );
      }
      if (created) log.info({ paymentId: payment.id, provider: payment.provider, productId: payment.productId }, 'payment created');
      const withInvoice = await ensureInvoice(payment, product);
      return view(withInvoice);
    },
  };
}
export type Invoices = ReturnType<typeof createInvoices>;
