/**
 * The part of Telegram's Mini App API (`window.Telegram.WebApp`, from
 * telegram-web-app.js) this app uses, typed, and the theme applied as CSS
 * variables (`--tg-theme-bg-color`, …) that style.css reads.
 */
export type InvoiceStatus = 'paid' | 'cancelled' | 'failed' | 'pending';

export interface WebApp {
  /** The raw, signed launch parameters: sent to the gateway as `Authorization: tma <initData>`. */
  initData: string;
  /** The same, parsed, unverified: fine for a first paint, never for decisions (the gateway verifies). */
  initDataUnsafe: { user?: { id: number; first_name: string; last_name?: string; username?: string; language_code?: string } };
  themeParams: Record<string, string | undefined>;
  colorScheme?: 'light' | 'dark';
  ready(): void;
  expand(): void;
  openInvoice(url: string, callback?: (status: InvoiceStatus) => void): void;
  onEvent(event: 'themeChanged', handler: () => void): void;
}

declare global {
  interface Window {
    Telegram?: { WebApp?: WebApp };
  }
}

/** Telegram.WebApp when the page runs inside Telegram (initData present), else undefined. */
export function webApp(): WebApp | undefined {
  const app = window.Telegram?.WebApp;
  return app && app.initData ? app : undefined;
}

/** themeParams `bg_color` → `--tg-theme-bg-color`, as Telegram's own script does; re-applied when the theme changes. */
export function applyTheme(app: WebApp): void {
  const apply = () => {
    for (const [key, value] of Object.entries(app.themeParams)) {
      if (value) document.documentElement.style.setProperty(`--tg-theme-${key.replaceAll('_', '-')}`, value);
    }
  };
  apply();
  app.onEvent('themeChanged', apply);
}
