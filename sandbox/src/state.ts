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

export function resetSandboxState(state: SandboxState, config: SandboxConfig): void {
  Object.assign(state, createSandboxState(config));
}
