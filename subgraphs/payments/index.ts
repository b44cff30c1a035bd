/**
 * The payments subgraph: the product catalog (Stripe), the payment ledger
 * (own database), and payment flows for Telegram Stars, Stripe and TON:
 * invoices (invoices.ts), webhook inbox (inbox.ts), refunds (refunds.ts) and
 * the TON transfer watcher (ton.ts).
 */
import { defineSubgraph } from '../shared/subgraph.ts';
import { openDatabase, type Database } from '../shared/db.ts';
import { createStripe, type Stripe } from '../shared/connectors/stripe.ts';
import { createBotApi, type BotApi } from '../shared/connectors/telegramBotApi.ts';
import { createToncenter } from '../shared/connectors/toncenter.ts';
import { createCatalog } from './catalog.ts';
import { createLedger, LEDGER_MIGRATIONS } from './ledger.ts';
import { readResolvers, type PaymentsServices } from './resolvers.ts';
import { createInvoices } from './invoices.ts';
import { createRefunds } from './refunds.ts';
import { createSubscriptions } from './subscriptions.ts';
import { createInbox } from './inbox.ts';
import { createTonWatcher, type TonWatcher } from './ton.ts';
import { mutationResolvers, webhookRoutes, type MutationServices } from './mutations.ts';
import { createPaymentEvents, type PaymentEvents } from './events.ts';
import { liveResolvers } from './live.ts';

interface Services extends PaymentsServices, MutationServices {
  db: Database;
  stripe: Stripe;
  bot: BotApi;
  ton: TonWatcher;
  events: PaymentEvents;
  close(): Promise<void>;
}

export default defineSubgraph<Services>({
  name: 'payments',
  defaultPort: 4002,
  schemaUrl: new URL('./schema.graphql', import.meta.url),

  async createServices({ config, log }) {
    const db = await openDatabase({
      name: 'payments',
      dataDir: config.dataDir,
      databaseUrl: config.DATABASE_URL,
      migrations: LEDGER_MIGRATIONS,
      log,
    });
    const stripe = createStripe({
      baseUrl: config.stripe.baseUrl,
      secretKey: config.stripe.secretKey,
      sandbox: config.stripe.sandbox,
      log,
    });
    const bot = createBotApi({ baseUrl: config.telegram.baseUrl, token: config.telegram.botToken, sandbox: config.telegram.sandbox, log });
    const toncenter = createToncenter({
      baseUrl: config.toncenter.baseUrl,
      apiKey: config.toncenter.apiKey,
      sandbox: config.toncenter.sandbox,
      log,
    });
    const catalog = createCatalog(stripe);
    const ledger = createLedger(db);
    const inbox = createInbox({
      db,
      bot,
      stripe,
      log,
      // Test hook only (see test/payments.crash.test.ts): acknowledge a stored webhook event, then die before processing it.
      crashAfterStore: process.env.PAYMENTS_TEST_CRASH_AFTER_STORE === '1',
    });
    const ton = createTonWatcher({
      db,
      toncenter,
      wallet: config.toncenter.walletAddress,
      intervalMs: config.toncenter.enabled ? config.TON_POLL_INTERVAL_MS : 0,
      log,
    });
    const events = createPaymentEvents(db, log);
    await events.start();
    inbox.start();
    ton.start();
    return {
      db,
      stripe,
      bot,
      ton,
      catalog,
      ledger,
      inbox,
      invoices: createInvoices({
        ledger,
        catalog,
        bot,
        stripe,
        tonWalletAddress: config.toncenter.walletAddress,
        maxPendingPerUser: config.MAX_PENDING_INVOICES_PER_USER,
        log,
      }),
      refunds: createRefunds({ ledger, bot, stripe, log }),
      subscriptions: createSubscriptions({ ledger, bot }),
      events,
      async close() {
        await events.close();
        await ton.close();
        await inbox.close();
        await stripe.close();
        await bot.close();
        await toncenter.close();
        await db.close();
      },
    };
  },

  resolvers: () => ({ ...readResolvers, ...mutationResolvers, ...liveResolvers }),
  routes: (services) => webhookRoutes(services),
});
