// Long strings of a response that is serialized right away (the `serializeData` option), given
// to JSON.stringify as text it copies instead of escaping again.
//
// JSON.stringify checks every character of every string it writes for escaping. On the
// federation benchmark, 67 of the 87 KB of each response are 450-character review bodies,
// and that check was a third of the time JSON.stringify took (115 → 75 µs once those
// strings were JSON.rawJSON values). The same long strings come back in response after
// response (entities fetched once and shared by the requests in flight, descriptions
// that every user reads), so their JSON text is kept, keyed by the string's value: a pure
// function of the value, never of who asked.
//
// A string is admitted on its second sighting, so strings that never repeat cost a map
// entry, not a second escaping; the map is bounded in characters and emptied when full.

/** A JSON.rawJSON value: JSON.stringify writes its text as it is. */
export type RawJson = object;

const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => RawJson }).rawJSON;

/** Whether this runtime has JSON.rawJSON (V8 11.4+, so Node 21+: every runtime `engines` allows). */
export const rawJsonSupported = typeof rawJSON === 'function';

export class JsonStringCache {
  /** value → its JSON text as a raw JSON value, or `true` when seen once */
  private readonly entries = new Map<string, RawJson | true>();
  private chars = 0;
  /** strings shorter than this are left alone: escaping them costs less than the lookup */
  readonly minLength: number;
  /** bound of the characters kept (keys and texts together are about twice that many) */
  readonly maxChars: number;

  constructor(minLength = 64, maxChars = 512 * 1024) {
    this.minLength = minLength;
    this.maxChars = maxChars;
  }

  /** What to put in the response instead of `value` (a long string): its raw JSON once it repeats. */
  jsonOf(value: string): string | RawJson {
    const known = this.entries.get(value);
    if (known === undefined) {
      this.remember(value);
      return value;
    }
    if (known !== true) return known;
    const raw = rawJSON!(JSON.stringify(value));
    this.entries.set(value, raw); // in place of the mark, already counted
    return raw;
  }

  private remember(value: string): void {
    if (this.chars + value.length > this.maxChars) {
      this.entries.clear();
      this.chars = 0;
    }
    this.entries.set(value, true);
    this.chars += value.length;
  }

  /** strings known (tests) */
  get size(): number {
    return this.entries.size;
  }
}
