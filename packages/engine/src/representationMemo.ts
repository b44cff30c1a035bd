// The subgraph request an entity fetch built, reused by the next requests of
// the same wave while it is in flight.
//
// Concurrent requests of one operation share their subgraph responses (in-flight
// dedup): after a shared fetch settles, every waiting request reaches the next
// fetch with the very same entity objects, read through the very same layers
// (merge.ts: the received entities, shared as well). Their representations, and
// so the request body, are then equal. Each of them used to build its own
// representations and serialize its own copy of the body (tens of KB), only for
// the dedup hook to find that body already in flight. A memo site keeps what the
// first request built while that request's fetch is in flight, and a request
// whose entity lists and layers are identical (by reference) takes it as is.
//
// Only for representations that are a function of the entity and its layers
// alone: the builder reads no nested object (whose layers could differ) and no
// variable (see `readsOnlyTheEntity` in representations.ts), and the fetch uses
// no client variable. A request-owned layer (a merge conflict) never matches
// another request's, so such a request builds its own.
import type { Layers, ObjectLayers } from './merge.ts';

interface Entry<T> {
  readonly lists: readonly (readonly unknown[])[];
  /** per list, per entity: the entity's layers when built (a copy when it is a list, which grows) */
  readonly layers: readonly (readonly ObjectLayers[])[];
  readonly value: T;
}

/** What a fetch sends, and what to call once that fetch has settled. */
export interface MemoizedRequest<T> {
  readonly value: T;
  readonly release: () => void;
}

const NOTHING_TO_RELEASE = (): void => {};

export class RepresentationMemo<T> {
  private entry: Entry<T> | undefined;
  /** false where representations are not a function of the entities and their layers alone: never reused */
  private readonly enabled: boolean;

  constructor(enabled = true) {
    this.enabled = enabled;
  }

  /**
   * The remembered value when these lists and their layers are the entry's, else `build()`,
   * remembered until its fetch settles. Undefined when `build()` has nothing to send.
   */
  obtain(lists: readonly (readonly unknown[])[], layers: Layers, build: () => T | undefined): MemoizedRequest<T> | undefined {
    const known = this.enabled ? this.lookup(lists, layers) : undefined;
    if (known !== undefined) return { value: known, release: NOTHING_TO_RELEASE };
    const value = build();
    if (value === undefined) return undefined;
    return { value, release: this.enabled ? this.remember(lists, layers, value) : NOTHING_TO_RELEASE };
  }

  /** What was built for these entity lists, if they and their layers are the ones of the entry. */
  lookup(lists: readonly (readonly unknown[])[], layers: Layers): T | undefined {
    const entry = this.entry;
    if (entry === undefined || entry.lists.length !== lists.length) return undefined;
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l]!;
      const known = entry.lists[l]!;
      const knownLayers = entry.layers[l]!;
      if (list.length !== known.length) return undefined;
      for (let i = 0; i < list.length; i++) {
        const entity = list[i];
        if (entity !== known[i] || !sameLayers(layers.get(entity as object), knownLayers[i])) return undefined;
      }
    }
    return entry.value;
  }

  /**
   * Keeps `value` for these lists until the returned release is called (when the
   * fetch that sends it settles): the memo never outlives its in-flight request.
   */
  remember(lists: readonly (readonly unknown[])[], layers: Layers, value: T): () => void {
    const entry: Entry<T> = {
      lists,
      layers: lists.map((list) =>
        list.map((entity) => {
          const l = layers.get(entity as object);
          return Array.isArray(l) ? l.slice() : l;
        }),
      ),
      value,
    };
    this.entry = entry;
    return () => {
      if (this.entry === entry) this.entry = undefined;
    };
  }
}

function sameLayers(current: ObjectLayers, known: ObjectLayers): boolean {
  if (current === known) return true;
  if (!Array.isArray(current) || !Array.isArray(known) || current.length !== known.length) return false;
  for (let i = 0; i < current.length; i++) if (current[i] !== known[i]) return false;
  return true;
}
