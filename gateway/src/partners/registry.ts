/**
 * The live set of partner keys a gateway replica accepts: PARTNER_API_KEYS
 * (configuration) plus the usable keys of the key store (`npm run keys`),
 * re-read every REFRESH_MS so a key created, rotated or revoked anywhere
 * takes effect on every replica within seconds, without a restart.
 *
 * The same loop writes this replica's usage back: requests per name for the
 * monthly quota (summed over replicas in the database) and each key's last
 * use. Requests are never a database round trip of their own: they count in
 * memory and flush once per tick, so the quota may overshoot by what the
 * replicas admit within one tick — a month-long quota does not need better.
 *
 * Lookup is by the SHA-256 of the presented key in a Map. A hash-table probe
 * by digest leaks nothing useful through timing: the caller cannot steer the
 * digest of a guess toward a stored one.
 */
import type { Logger } from '../../../lib/logger.ts';
import { hashApiKey, type PartnerKey } from './keys.ts';
import { monthOf, nextMonthStart, type KeyStore, type StoredKey } from './keyStore.ts';

export const REFRESH_MS = 2_000;
/** Start-up waits this long for the first read of the store; then it serves configured keys and keeps trying. */
const FIRST_LOAD_WAIT_MS = 5_000;
/** A refresh that hangs (database unresponsive) is given up after this, so the next tick can try again. */
const TICK_DEADLINE_MS = 10_000;

export type QuotaDecision = { allowed: true } | { allowed: false; limit: number; resetAt: number };

export interface PartnerRegistry {
  /** Resolves once the store was read for the first time (or FIRST_LOAD_WAIT_MS passed): await before identify. */
  ready(): Promise<void>;
  identify(presented: string, now?: number): PartnerKey | undefined;
  /** The monthly quota of the key's name, counting this replica's unflushed requests. */
  checkQuota(key: PartnerKey, now?: number): QuotaDecision;
  /** One admitted request: counts toward the quota and moves the key's last use. */
  recordUse(key: PartnerKey, now?: number): void;
  /** Re-reads keys and usage now (the timer does this every REFRESH_MS). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  configured: readonly PartnerKey[];
  /** Opens the key store; retried on every tick while it fails (database down at start). */
  openStore: () => Promise<KeyStore>;
  log: Logger;
  refreshMs?: number;
}

function fromStore(key: StoredKey): PartnerKey {
  return {
    id: key.id,
    name: key.name,
    scopes: new Set(key.scopes),
    rpm: key.rpm,
    hash: key.hash,
    monthlyQuota: key.monthlyQuota,
    expiresAt: key.expiresAt,
  };
}

export function createPartnerRegistry(options: RegistryOptions): PartnerRegistry {
  const { log } = options;
  const configured = new Map(options.configured.map((k) => [k.hash, k]));
  let byHash = new Map(configured);
  let store: KeyStore | undefined;
  let storeFailing = false;
  // Usage: requests per name already in the database for `month`, and what this replica has not flushed yet.
  let month = monthOf(Date.now());
  let flushed = new Map<string, number>();
  let pending = new Map<string, number>();
  let lastUsed = new Map<string, number>();
  let running: Promise<void> | undefined;

  async function flush(s: KeyStore): Promise<void> {
    if (pending.size === 0 && lastUsed.size === 0) return;
    const [requests, used, flushMonth] = [pending, lastUsed, month];
    pending = new Map();
    lastUsed = new Map();
    try {
      await s.recordUsage(flushMonth, requests, used);
    } catch (error) {
      // Put the counts back (nothing admitted goes uncounted), unless the month rolled over meanwhile.
      if (flushMonth === month) for (const [name, n] of requests) pending.set(name, (pending.get(name) ?? 0) + n);
      for (const [id, at] of used) if ((lastUsed.get(id) ?? 0) < at) lastUsed.set(id, at);
      throw error;
    }
  }

  async function tick(): Promise<void> {
    try {
      store ??= await options.openStore();
      const now = Date.now();
      if (monthOf(now) !== month) {
        await flush(store); // the old month's tail
        month = monthOf(now);
        pending = new Map();
      }
      await flush(store);
      const [keys, usage] = await Promise.all([store.usable(now), store.usage(month)]);
      const next = new Map(configured);
      for (const key of keys) if (!next.has(key.hash)) next.set(key.hash, fromStore(key));
      byHash = next;
      flushed = usage;
      if (storeFailing) log.info('partner key store reachable again');
      storeFailing = false;
    } catch (error) {
      // Keep serving the last known keys; say so once per outage, not once per tick.
      if (!storeFailing) log.warn({ reason: (error as Error).message }, 'partner key store unavailable: serving the last known keys');
      storeFailing = true;
    }
  }

  async function withDeadline(work: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        log.warn('partner key store: refresh timed out, serving the last known keys');
        resolve();
      }, TICK_DEADLINE_MS);
      timer.unref();
    });
    try {
      await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
    }
  }
  const refresh = () => (running ??= withDeadline(tick()).finally(() => (running = undefined)));
  // Not awaited here: gateway start-up does not wait on the database; the first partner request does (bounded).
  const firstLoad = Promise.race([refresh(), new Promise<void>((r) => setTimeout(r, FIRST_LOAD_WAIT_MS).unref())]).then(() =>
    log.info(
      { configured: configured.size, stored: byHash.size - configured.size, store: store?.kind ?? 'unavailable' },
      'partner keys loaded',
    ),
  );
  const timer = setInterval(() => void refresh(), options.refreshMs ?? REFRESH_MS);
  timer.unref();

  return {
    ready: () => firstLoad,
    identify(presented, now = Date.now()) {
      const key = byHash.get(hashApiKey(presented));
      // A rotated-out key stops at its expiry even between two refreshes.
      if (!key || (key.expiresAt != null && key.expiresAt <= now)) return undefined;
      return key;
    },
    checkQuota(key, now = Date.now()) {
      if (key.monthlyQuota == null) return { allowed: true };
      const used = (monthOf(now) === month ? (flushed.get(key.name) ?? 0) : 0) + (pending.get(key.name) ?? 0);
      return used < key.monthlyQuota ? { allowed: true } : { allowed: false, limit: key.monthlyQuota, resetAt: nextMonthStart(now) };
    },
    recordUse(key, now = Date.now()) {
      pending.set(key.name, (pending.get(key.name) ?? 0) + 1);
      if (key.id) lastUsed.set(key.id, now);
    },
    refresh,
    async stop() {
      clearInterval(timer);
      await firstLoad;
      await running;
      if (!store) return;
      await flush(store).catch((error: unknown) => log.warn({ reason: (error as Error).message }, 'partner usage not flushed at stop'));
      await store.close();
    },
  };
}
