/** Write side of the payments subgraph: createInvoice, refundPayment, and the internal webhook routes. */
import type { SubgraphContext } from '../shared/context.ts';
import { requireOperator, requireUser } from '../shared/context.ts';
import { forbidden } from '../../lib/errors.ts';
import type { Invoices, CreateInvoiceInput } from './invoices.ts';
import type { Refunds } from './refunds.ts';
import type { Subscriptions } from './subscriptions.ts';
import type { Resolvers } from './generated/resolvers.ts';
import type { Inbox, RouteResult, StripeEvent, TelegramUpdate } from './inbox.ts';

export interface MutationServices {
  invoices: Invoices;
  refunds: Refunds;
  subscriptions: Subscriptions;
  inbox: Inbox;
}
type Ctx = SubgraphContext<MutationServices>;

export const mutationResolvers: Resolvers<Ctx> = {
  Mutation: {
    createInvoice: (_: unknown, args: { input: CreateInvoiceInput }, ctx: Ctx) =>
      ctx.services.invoices.createInvoice(requireUser(ctx), args.input),
    refundPayment: (_: unknown, args: { id: string }, ctx: Ctx) => {
      requireOperator(ctx);
      return ctx.services.refunds.refund(args.id);
    },
    cancelSubscription: (_: unknown, args: { id: string }, ctx: Ctx) => ctx.services.subscriptions.cancel(requireUser(ctx), args.id),
  },
};

/** Paths the gateway hands verified webhooks to. Only the gateway's own `system` identity may call them. */
export const WEBHOOK_ROUTES = { telegram: '/internal/webhooks/telegram', stripe: '/internal/webhooks/stripe' } as const;

function systemOnly(ctx: Ctx): RouteResult | undefined {
  if (ctx.identity.roles.includes('system')) return undefined;
  return {
    status: 403,
    body: { errors: [{ message: forbidden('Webhook hand-off is for the gateway only').message, extensions: { code: 'FORBIDDEN' } }] },
  };
}

export function webhookRoutes(services: MutationServices) {
  return {
    [WEBHOOK_ROUTES.telegram]: async (body: unknown, ctx: Ctx) => systemOnly(ctx) ?? services.inbox.telegram(body as TelegramUpdate),
    [WEBHOOK_ROUTES.stripe]: async (body: unknown, ctx: Ctx) => systemOnly(ctx) ?? services.inbox.stripe(body as StripeEvent),
  };
}
