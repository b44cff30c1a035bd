/** Read side of the payments subgraph: catalog, payments, `User.payments`. */
import type { SubgraphContext } from '../shared/context.ts';
import { canSeeUser, isOperator, requireOperator } from '../shared/context.ts';
import { operatorSafeError } from '../shared/deadLetters.ts';
import { connection, decodeCursor, pageSize } from '../shared/paging.ts';
import { appError, ErrorCode, forbidden } from '../../lib/errors.ts';
import { GRAPHQL_INT_MAX, pricesOf, type Catalog, type Product } from './catalog.ts';
import type { Resolvers } from './generated/resolvers.ts';
import { positionOf, type Ledger, type PaymentRecord } from './ledger.ts';
import type { Inbox } from './inbox.ts';

export interface PaymentsServices {
  catalog: Catalog;
  ledger: Ledger;
  inbox: Inbox;
}
type Ctx = SubgraphContext<PaymentsServices>;

function paymentLoader(ctx: Ctx) {
  return ctx.loaders.get<string, PaymentRecord | null>('payments.byId', async (ids) => {
    const rows = await ctx.services.ledger.byIds(ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** First pages of many users' payments in one query (the fan-out case: 50 users → 1 query). */
function firstPageLoader(ctx: Ctx, limit: number) {
  return ctx.loaders.get<string, PaymentRecord[]>(`payments.firstPage.${limit}`, async (userIds) => {
    const pages = await ctx.services.ledger.firstPages(userIds, limit);
    return userIds.map((id) => pages.get(id) ?? []);
  });
}

/** An amount of a payment as GraphQL Money, in the payment's currency. */
function money(p: PaymentRecord, amount: bigint, field: string) {
  if (amount > GRAPHQL_INT_MAX) {
    // GraphQL Int is 32-bit: never report a wrong number. (TON prices above ~2.1 TON hit this.)
    throw appError(ErrorCode.BAD_USER_INPUT, `${field} of payment ${p.id} exceeds GraphQL Int; see the invoice's tonTransfer.amount`, {
      field,
    });
  }
  return { amount: Number(amount), currency: p.currency };
}

/** A payment is visible to its owner and to operators; to anyone else it does not exist. */
function visible(ctx: Ctx, payment: PaymentRecord | null): PaymentRecord | null {
  return payment && canSeeUser(ctx, payment.userId) ? payment : null;
}

export const readResolvers: Resolvers<Ctx> = {
  Query: {
    products: (_: unknown, __: unknown, ctx: Ctx) => ctx.services.catalog.all(),
    product: async (_: unknown, args: { id: string }, ctx: Ctx) => (await ctx.services.catalog.get(args.id)) ?? null,
    async payment(_: unknown, args: { id: string }, ctx: Ctx) {
      if (!ctx.identity.userId) return null;
      return visible(ctx, await paymentLoader(ctx).load(args.id));
    },
    async webhookDeadLetters(_: unknown, args: { first?: number | null }, ctx: Ctx) {
      requireOperator(ctx);
      const rows = await ctx.services.inbox.deadLetters(pageSize(args.first));
      return rows.map((r) => ({
        ...r,
        source: r.source === 'telegram' ? ('TELEGRAM' as const) : ('STRIPE' as const),
        lastError: operatorSafeError(r.lastError),
      }));
    },
  },
  Product: {
    __resolveReference: async (ref: { id: string }, ctx: Ctx) => (await ctx.services.catalog.get(ref.id)) ?? null,
    prices: (product: Product) => pricesOf(product),
  },
  Payment: {
    async __resolveReference(ref: { id: string }, ctx: Ctx) {
      return visible(ctx, await paymentLoader(ctx).load(ref.id));
    },
    amount: (p: PaymentRecord) => money(p, p.amount, 'amount'),
    refundedAmount: (p: PaymentRecord) => money(p, p.refundedAmount, 'refundedAmount'),
    async product(p: PaymentRecord, _: unknown, ctx: Ctx) {
      // A product removed from the catalog still identifies what was bought.
      return (
        (await ctx.services.catalog.get(p.productId)) ?? { id: p.productId, title: p.productId, description: null, priceBy: new Map() }
      );
    },
    user: (p: PaymentRecord) => ({ __typename: 'User', id: p.userId }),
    renewalOf: async (p: PaymentRecord, _: unknown, ctx: Ctx) =>
      p.renewalOf ? visible(ctx, await paymentLoader(ctx).load(p.renewalOf)) : null,
  },
  User: {
    async payments(user: { id: string }, args: { first?: number | null; after?: string | null }, ctx: Ctx) {
      if (!canSeeUser(ctx, user.id))
        throw forbidden(isOperator(ctx) ? 'Not allowed' : "Only the user themself or an operator can read a user's payments");
      const first = pageSize(args.first);
      const after = decodeCursor(args.after);
      const rows = after
        ? await ctx.services.ledger.pageAfter(user.id, after, first + 1)
        : await firstPageLoader(ctx, first + 1).load(user.id);
      return connection(rows, first, positionOf);
    },
  },
};
