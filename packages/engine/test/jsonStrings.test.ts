// Long strings as raw JSON: JSON.stringify writes the same text, a string is admitted on its
// second sighting, and what is kept is bounded.
import { describe, expect, it } from 'vitest';
import { JsonStringCache, rawJsonSupported } from '../src/jsonStrings.ts';

describe('JsonStringCache', () => {
  it('gives raw JSON for a string seen before, which JSON.stringify writes as the string itself', () => {
    expect(rawJsonSupported).toBe(true);
    const cache = new JsonStringCache(4, 1000);
    const tricky = 'quote " backslash \\ newline \n tab \t control \u0001 lone surrogate \ud800 emoji 😀 Кириллица';
    expect(cache.jsonOf(tricky)).toBe(tricky); // first sighting: the string itself
    const raw = cache.jsonOf(tricky);
    expect(typeof raw).toBe('object');
    expect(cache.jsonOf(tricky)).toBe(raw); // kept
    const data = { a: raw, b: [raw, 'x'], c: tricky };
    expect(JSON.stringify(data)).toBe(JSON.stringify({ a: tricky, b: [tricky, 'x'], c: tricky }));
    expect(JSON.parse(JSON.stringify(data)).a).toBe(tricky);
  });

  it('keeps at most maxChars characters of strings, emptied when the next would not fit', () => {
    const cache = new JsonStringCache(4, 100);
    const s = (i: number) => `${i}`.padEnd(40, '-');
    cache.jsonOf(s(1));
    cache.jsonOf(s(2));
    expect(cache.size).toBe(2);
    cache.jsonOf(s(3)); // 120 > 100: emptied first
    expect(cache.size).toBe(1);
    expect(cache.jsonOf(s(1))).toBe(s(1)); // forgotten: a first sighting again
    expect(typeof cache.jsonOf(s(3))).toBe('object');
  });
});
