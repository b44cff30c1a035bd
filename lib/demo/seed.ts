/**
 * Deterministic demo data shared by the sandbox services and by code that runs in sandbox mode
 * (for example the analytics subgraph seeds its store from SEED_EVENTS). Everything is computed
 * from indexes, never from Math.random or the clock, so two runs (and two processes) agree on ids.
 */
import { SANDBOX_CREDENTIALS } from './credentials.ts';

const DAY_MS = 86_400_000;

/** Start of the demo analytics window: events are spread over the 30 days that follow. */
export const SEED_EPOCH_MS = Date.UTC(2026, 9, 1); // 2026-10-01T00:00:00Z

// ---------------------------------------------------------------------------------------------
// Telegram

export interface SeedUser {
  id: number;
  is_bot: false;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code: string;
  is_premium?: true;
}

/** The bot behind SANDBOX_CREDENTIALS.telegramBotToken (the id is the token's numeric prefix). */
export const SEED_BOT = {
  id: Number(SANDBOX_CREDENTIALS.telegramBotToken.split(':')[0]),
  is_bot: true,
  first_name: 'TMA Sandbox Bot',
  username: 'tma_sandbox_bot',
} as const;

const FIRST_NAMES = [
  'Anna',
  'Boris',
  'Carmen',
  'Dmitri',
  'Elena',
  'Farid',
  'Greta',
  'Hiro',
  'Ines',
  'Jonas',
  'Kateryna',
  'Luca',
  'Maya',
  'Nikita',
  'Olga',
  'Pedro',
  'Qi',
  'Rosa',
  'Sven',
  'Tanya',
] as const;
const LAST_NAMES = [
  'Ivanova',
  'Petrov',
  'Garcia',
  'Smirnov',
  'Kuznetsova',
  'Rahimi',
  'Muller',
  'Tanaka',
  'Silva',
  'Berg',
  'Shevchenko',
  'Rossi',
  'Cohen',
  'Volkov',
  'Orlova',
  'Santos',
  'Wang',
  'Lopez',
  'Larsen',
  'Popova',
] as const;
const LANGUAGES = ['en', 'ru', 'es', 'de', 'pt-br', 'uk', 'id', 'fa', 'tr', 'it'] as const;

function at<T>(list: readonly T[], index: number): T {
  return list[index % list.length] as T;
}

function makeUser(i: number): SeedUser {
  const first = at(FIRST_NAMES, i * 7);
  const last = at(LAST_NAMES, i * 11);
  const user: SeedUser = { id: 100_000_000 + i, is_bot: false, first_name: first, language_code: at(LANGUAGES, i) };
  // Real users often lack a last name or a username: keep a few of each so consumers handle absence.
  if (i % 5 !== 0) user.last_name = last;
  if (i % 6 !== 0) user.username = `${first}_${last.slice(0, 1)}_${i}`.toLowerCase();
  if (i % 4 === 0) user.is_premium = true;
  return user;
}

/** 60 users: Ivan (the initData test vectors' user) first, then ids 100000001..100000059. */
export const SEED_USERS: readonly SeedUser[] = [
  { id: 279058397, is_bot: false, first_name: 'Ivan', last_name: 'Test', username: 'ivan_test', language_code: 'en', is_premium: true },
  ...Array.from({ length: 59 }, (_, k) => makeUser(k + 1)),
];

// ---------------------------------------------------------------------------------------------
// Stripe products (the catalog). Stars and TON prices live in metadata, as a shop would keep them.

export interface SeedProduct {
  id: string;
  name: string;
  description: string;
  /** Physical goods cannot be sold for Stars (Telegram policy), so they have no stars_price. */
  shippable: boolean;
  created: number;
  metadata: { stars_price?: string; ton_price_nanotons: string };
  price: { id: string; unit_amount: number; currency: 'usd' };
}

const CATALOG_CREATED = Math.floor(Date.UTC(2026, 0, 15) / 1000);

export const SEED_PRODUCTS: readonly SeedProduct[] = [
  {
    id: 'prod_premium_month',
    name: 'Premium, 1 month',
    description: 'Ad-free app with premium features for 30 days.',
    shippable: false,
    created: CATALOG_CREATED,
    metadata: { stars_price: '250', ton_price_nanotons: '1500000000' },
    price: { id: 'price_premium_month_usd', unit_amount: 499, currency: 'usd' },
  },
  {
    id: 'prod_coins_100',
    name: '100 coins',
    description: 'In-app currency pack.',
    shippable: false,
    created: CATALOG_CREATED + 60,
    metadata: { stars_price: '100', ton_price_nanotons: '500000000' },
    price: { id: 'price_coins_100_usd', unit_amount: 199, currency: 'usd' },
  },
  {
    id: 'prod_sticker_pack',
    name: 'Sticker pack',
    description: 'Twelve animated stickers.',
    shippable: false,
    created: CATALOG_CREATED + 120,
    metadata: { stars_price: '150', ton_price_nanotons: '800000000' },
    price: { id: 'price_sticker_pack_usd', unit_amount: 299, currency: 'usd' },
  },
  {
    id: 'prod_boost_week',
    name: 'Boost, 1 week',
    description: 'Double rewards for seven days.',
    shippable: false,
    created: CATALOG_CREATED + 180,
    metadata: { stars_price: '75', ton_price_nanotons: '400000000' },
    price: { id: 'price_boost_week_usd', unit_amount: 149, currency: 'usd' },
  },
  {
    id: 'prod_hoodie',
    name: 'TMA hoodie',
    description: 'Black cotton hoodie with the app logo (shipped).',
    shippable: true,
    created: CATALOG_CREATED + 240,
    metadata: { ton_price_nanotons: '12000000000' },
    price: { id: 'price_hoodie_usd', unit_amount: 3900, currency: 'usd' },
  },
];

// ---------------------------------------------------------------------------------------------
// HubSpot: one contact per user among the first 50, plus a few support tickets.

export interface SeedContact {
  id: string;
  telegramUserId: number;
  createdAt: string;
  properties: Record<string, string>;
}

const LIFECYCLE_STAGES = ['customer', 'lead', 'subscriber', 'opportunity', 'customer', 'lead'] as const;

function contactTags(i: number, user: SeedUser): string {
  const tags: string[] = [];
  if (i < 10) tags.push('early_adopter');
  if (user.is_premium) tags.push('premium');
  if (i % 3 === 0) tags.push('newsletter');
  if (i % 7 === 0) tags.push('support');
  return (tags.length > 0 ? tags : ['new']).join(';');
}

export const SEED_CONTACTS: readonly SeedContact[] = SEED_USERS.slice(0, 50).map((user, i) => {
  const createdAt = new Date(Date.UTC(2026, 0, 1) + i * DAY_MS + i * 3_600_000).toISOString();
  const emailName = i === 0 ? 'ivan.test' : `${user.first_name}.${user.last_name ?? 'tg'}.${i}`.toLowerCase();
  const properties: Record<string, string> = {
    email: `${emailName}@example.com`,
    firstname: user.first_name,
    phone: `+1555555${String(i).padStart(4, '0')}`,
    lifecyclestage: at(LIFECYCLE_STAGES, i),
    telegram_user_id: String(user.id),
    tma_tags: contactTags(i, user),
  };
  if (user.last_name) properties.lastname = user.last_name;
  return { id: String(1001 + i), telegramUserId: user.id, createdAt, properties };
});

export interface SeedTicket {
  id: string;
  contactId: string;
  createdAt: string;
  properties: Record<string, string>;
}

const TICKET_SPECS = [
  {
    contact: 0,
    subject: 'Stars payment not credited',
    content: 'Paid 250 Stars for Premium but the app still shows the free plan.',
    priority: 'HIGH',
  },
  { contact: 0, subject: 'How do I change my language?', content: 'The app opens in English, I want Russian.', priority: 'LOW' },
  { contact: 2, subject: 'Refund request: sticker pack', content: 'Bought the sticker pack twice by mistake.', priority: 'MEDIUM' },
  { contact: 6, subject: 'TON transfer pending', content: 'Sent 0.8 TON with the invoice comment an hour ago.', priority: 'HIGH' },
  { contact: 11, subject: 'Hoodie size exchange', content: 'Received size M, need L.', priority: 'MEDIUM' },
  { contact: 24, subject: 'Boost did not double rewards', content: 'Rewards look the same since I bought the boost.', priority: 'LOW' },
] as const;

export const SEED_TICKETS: readonly SeedTicket[] = TICKET_SPECS.map((spec, i) => {
  const contact = SEED_CONTACTS[spec.contact] as SeedContact;
  const createdAt = new Date(SEED_EPOCH_MS + (i * 4 + 1) * DAY_MS + 10 * 3_600_000).toISOString();
  return {
    id: String(5001 + i),
    contactId: contact.id,
    createdAt,
    properties: {
      subject: spec.subject,
      content: spec.content,
      hs_pipeline: '0',
      hs_pipeline_stage: '1',
      hs_ticket_priority: spec.priority,
      telegram_user_id: String(contact.telegramUserId),
      createdate: createdAt,
    },
  };
});

// ---------------------------------------------------------------------------------------------
// Analytics: 50 sessions of 4 events. Users 0..24 each have two sessions about 15 days apart, so
// retention and funnels (app_open -> view_product -> purchase) have something to show.

export interface SeedEvent {
  event: string;
  insert_id: string;
  /** Telegram user id as a string (the analytics identity). */
  distinct_id: string;
  /** Milliseconds since the epoch. */
  time: number;
  properties: Record<string, string | number>;
}

const PLATFORMS = ['ios', 'android', 'tdesktop', 'web'] as const;
const PURCHASE_PROVIDERS = ['stars', 'ton', 'stripe'] as const;

function sessionEvents(s: number): SeedEvent[] {
  const user = SEED_USERS[(s * 7) % 25] as SeedUser;
  const start = SEED_EPOCH_MS + Math.floor((s * 30) / 50) * DAY_MS + (9 + ((s * 5) % 12)) * 3_600_000 + s * 1000;
  const product = at(SEED_PRODUCTS, s);
  const other = at(SEED_PRODUCTS, s + 2);
  const common = { platform: at(PLATFORMS, s), app_version: '1.4.0' };
  const provider = product.shippable ? 'stripe' : at(PURCHASE_PROVIDERS, Math.floor(s / 3));
  const purchase: Record<string, string | number> =
    provider === 'stars'
      ? { product_id: product.id, provider, amount: Number(product.metadata.stars_price), currency: 'XTR' }
      : provider === 'ton'
        ? { product_id: product.id, provider, amount: product.metadata.ton_price_nanotons, currency: 'TON' }
        : { product_id: product.id, provider, amount: product.price.unit_amount, currency: 'USD' };
  const steps: Array<[string, number, Record<string, string | number>]> = [
    ['app_open', 0, s % 4 === 0 ? { start_param: 'ref_42' } : {}],
    ['view_product', 20_000, { product_id: product.id }],
    s % 2 === 0 ? ['view_product', 65_000, { product_id: other.id }] : ['share', 65_000, { product_id: product.id }],
    s % 3 === 0 ? ['purchase', 120_000, purchase] : ['app_close', 120_000, {}],
  ];
  return steps.map(([event, offset, props], k) => ({
    event,
    insert_id: `seed-evt-${String(s * 4 + k + 1).padStart(4, '0')}`,
    distinct_id: String(user.id),
    time: start + offset,
    properties: { ...common, ...props },
  }));
}

/** 200 events, oldest first. */
export const SEED_EVENTS: readonly SeedEvent[] = Array.from({ length: 50 }, (_, s) => sessionEvents(s)).flat();

// ---------------------------------------------------------------------------------------------
// TON: a few historical incoming transfers to the shop wallet, so getTransactions is never empty.

export interface SeedTonTransfer {
  /** Raw address `0:<hex>`. */
  source: string;
  value: string;
  comment: string;
  utime: number;
  lt: string;
}

/** The wallet the seeded TON transfers come from (raw form). */
export const SEED_TON_SENDER = '0:' + 'cd'.repeat(32);

export const SEED_TON_TRANSFERS: readonly SeedTonTransfer[] = [
  { source: SEED_TON_SENDER, value: '1500000000', comment: 'seed-order-1', utime: SEED_EPOCH_MS / 1000 + 3 * 86_400, lt: '46000000000001' },
  { source: SEED_TON_SENDER, value: '500000000', comment: 'seed-order-2', utime: SEED_EPOCH_MS / 1000 + 9 * 86_400, lt: '46000000001001' },
  { source: SEED_TON_SENDER, value: '800000000', comment: 'seed-order-3', utime: SEED_EPOCH_MS / 1000 + 17 * 86_400, lt: '46000000002001' },
];
