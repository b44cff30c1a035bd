/**
 * Per-request state of a subgraph: who is calling (from the internal token),
 * the process-wide services, and a DataLoader registry that lives exactly as
 * long as the request, so batching and caching never leak across callers.
 */
import DataLoader from 'dataloader';
import type { Identity } from '../../lib/internalToken.ts';
import type { Logger } from '../../lib/logger.ts';
import { forbidden, unauthenticated } from '../../lib/errors.ts';

export interface SubgraphContext<Services> {
  identity: Identity;
  services: Services;
  log: Logger;
  loaders: LoaderRegistry;
}

/** A reference to an entity another subgraph owns: federation resolves the rest by its key. */
export interface EntityRef {
  __typename?: string;
  id: string;
}

/** Lazily creates one DataLoader per name per request. */
export class LoaderRegistry {
  readonly #loaders = new Map<string, DataLoader<unknown, unknown>>();

  get<K, V>(
    name: string,
    batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
    options?: DataLoader.Options<K, V, string>,
  ): DataLoader<K, V, string> {
    let loader = this.#loaders.get(name) as DataLoader<K, V, string> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V, string>(batch, { maxBatchSize: 100, ...options });
      this.#loaders.set(name, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }
}

/** Orders batch results by key, filling the gaps with `null` (DataLoader requires one result per key). */
export function byKeys<K, V>(keys: readonly K[], rows: readonly V[], keyOf: (row: V) => K): (V | null)[] {
  const map = new Map<K, V>();
  for (const row of rows) map.set(keyOf(row), row);
  return keys.map((k) => map.get(k) ?? null);
}

/** The calling user's id, or UNAUTHENTICATED. */
export function requireUser(ctx: SubgraphContext<unknown>): string {
  if (!ctx.identity.userId) throw unauthenticated();
  return ctx.identity.userId;
}

export function isOperator(ctx: SubgraphContext<unknown>): boolean {
  return ctx.identity.roles.includes('operator');
}

export function requireOperator(ctx: SubgraphContext<unknown>): string {
  const userId = requireUser(ctx);
  if (!isOperator(ctx)) throw forbidden('Operators only (OPERATOR_USER_IDS)');
  return userId;
}

/** The user themself or an operator may read data about `userId`. */
export function canSeeUser(ctx: SubgraphContext<unknown>, userId: string): boolean {
  return ctx.identity.userId === userId || isOperator(ctx);
}
