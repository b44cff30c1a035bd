/**
 * The sandbox's whole mutable state: one slice per emulated service, rebuilt from the seed on
 * reset. The object identity stays the same across resets so holders of `state` keep working.
 */
import { createAmplitudeState, type AmplitudeState } from './services/amplitude.ts';
import { createHubspotState, type HubspotState } from './services/hubspot.ts';
import { createMixpanelState, type MixpanelState } from './services/mixpanel.ts';
import { createStripeState, type StripeConfig, type StripeState } from './services/stripe.ts';
import { createTelegramState, type TelegramConfig, type TelegramState } from './services/telegram.ts';
import { createToncenterState, type ToncenterState } from './services/toncenter.ts';

export interface SandboxState {
  telegram: TelegramState;
  stripe: StripeState;
  hubspot: HubspotState;
  mixpanel: MixpanelState;
  amplitude: AmplitudeState;
  toncenter: ToncenterState;
}

/** Start-up configuration that survives a reset (webhook receivers given at start). */
export interface SandboxConfig {
  telegram: TelegramConfig;
  stripe: StripeConfig;
}

export function createSandboxState(config: SandboxConfig): SandboxState {
  return {
    telegram: createTelegramState(config.telegram),
    stripe: createStripeState(config.stripe),
    hubspot: createHubspotState(),
    mixpanel: createMixpanelState(),
    amplitude: createAmplitudeState(),
    toncenter: createToncenterState(),
  };
}

/**
 * Back to the seed data. Webhook registrations and the counters receivers de-duplicate on
 * (update_id, invoice numbers, TON lt) carry over: they are wiring, not demo data, and a
 * receiver that already saw update 500 would silently drop a "new" update 1.
 */
export function resetSandboxState(state: SandboxState, config: SandboxConfig): void {
  const next = createSandboxState(config);
  next.telegram.webhook = state.telegram.webhook;
  next.telegram.nextUpdateId = Math.max(next.telegram.nextUpdateId, state.telegram.nextUpdateId);
  next.telegram.invoiceSeq = Math.max(next.telegram.invoiceSeq, state.telegram.invoiceSeq);
  next.stripe.webhook = state.stripe.webhook;
  if (state.toncenter.lastLt > next.toncenter.lastLt) next.toncenter.lastLt = state.toncenter.lastLt;
  Object.assign(state, next);
}
