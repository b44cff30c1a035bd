/**
 * Example Mini App: greets the Telegram user, lists the catalog, buys with
 * Telegram Stars and shows the payment turning PAID, tracking a few events.
 * Open it inside Telegram (or see test/miniapp.browser.test.ts for how a
 * Telegram client is emulated). `?gateway=<url>` overrides the gateway URL.
 */
import './style.css';
import {
  CatalogDocument,
  CreateInvoiceDocument,
  MeDocument,
  PaymentDocument,
  TrackEventsDocument,
} from '../../../schema/client/graphql.ts';
import { applyTheme, webApp } from './telegram.ts';
import { createGateway, GatewayError } from './gateway.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function showError(message: string): void {
  const el = $('error');
  el.textContent = message;
  el.hidden = false;
}

const gatewayUrl =
  new URLSearchParams(location.search).get('gateway') ?? import.meta.env.VITE_GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql';
const app = webApp();

if (!app) {
  $('greeting').textContent = 'Open this app from Telegram';
  showError('No Telegram.WebApp initData: this page must be opened as a Telegram Mini App.');
} else {
  app.ready();
  app.expand();
  applyTheme(app);
  void run(app.initData);
}

async function run(initData: string): Promise<void> {
  const gateway = createGateway(gatewayUrl, initData);
  let tracked = 0;
  const track = async (name: string, properties: Record<string, unknown> = {}) => {
    const { trackEvents } = await gateway.request(TrackEventsDocument, { events: [{ insertId: crypto.randomUUID(), name, properties }] });
    tracked += trackEvents.accepted;
    $('events').textContent = `${tracked} event(s) tracked`;
    $('events').dataset.tracked = String(tracked);
  };

  try {
    // First paint from the unverified copy, then the verified profile from the gateway.
    const unsafe = app!.initDataUnsafe.user;
    if (unsafe) $('greeting').textContent = `Hello, ${unsafe.first_name}`;
    const [{ me }, { products }] = await Promise.all([gateway.request(MeDocument), gateway.request(CatalogDocument)]);
    if (me) {
      $('greeting').textContent = `Hello, ${me.firstName}`;
      $('account').textContent = `Telegram id ${me.id}${me.username ? ` · @${me.username}` : ''}${me.isPremium ? ' · Premium' : ''}`;
    }
    const list = $('catalog');
    for (const product of products ?? []) {
      const stars = product.prices.find((p) => p.currency === 'XTR');
      if (!stars) continue; // Stars only in this example
      const item = document.createElement('li');
      item.dataset.productId = product.id;
      const text = document.createElement('div');
      text.innerHTML = '<div class="title"></div><div class="hint"></div>';
      text.querySelector('.title')!.textContent = product.title;
      text.querySelector('.hint')!.textContent = product.description ?? '';
      const buy = document.createElement('button');
      buy.textContent = `Buy for ${stars.amount} ⭐`; // XTR amounts are whole Stars
      buy.addEventListener('click', () => void purchase(product.id, buy));
      item.append(text, buy);
      list.append(item);
    }
    await track('miniapp_opened', { products: products?.length ?? 0 });
  } catch (error) {
    showError(error instanceof GatewayError ? `${error.code}: ${error.message}` : String(error));
  }

  async function purchase(productId: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await track('purchase_started', { productId });
      const { createInvoice } = await gateway.request(CreateInvoiceDocument, {
        input: { productId, provider: 'STARS', idempotencyKey: crypto.randomUUID() },
      });
      const payment = createInvoice.payment;
      $('purchase').hidden = false;
      $('payment-id').textContent = payment.id;
      const status = $('payment-status');
      const show = (value: string) => {
        status.textContent = value;
        status.dataset.paymentStatus = value;
      };
      show(payment.status);
      // Telegram shows its payment sheet; the gateway learns the outcome from Telegram's webhook.
      app!.openInvoice(createInvoice.starsInvoiceLink!, (result) => {
        if (result !== 'paid') show(`${payment.status} (invoice ${result})`);
      });
      const via = await gateway.watchPayment(
        payment.id,
        (update) => {
          show(update.status);
          return update.status === 'PENDING';
        },
        async () => (await gateway.request(PaymentDocument, { id: payment.id })).payment,
      );
      $('payment-via').textContent = `status followed by ${via}`;
      if (status.dataset.paymentStatus === 'PAID') await track('purchase_paid', { productId, paymentId: payment.id });
    } catch (error) {
      showError(error instanceof GatewayError ? `${error.code}: ${error.message}` : String(error));
    } finally {
      button.disabled = false;
    }
  }
}
