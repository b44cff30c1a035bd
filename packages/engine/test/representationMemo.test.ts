// RepresentationMemo: what one request built for a fetch is taken by another only for
// the very same entities read through the very same layers, and only while in flight.
import { describe, expect, it } from 'vitest';
import { RepresentationMemo } from '../src/representationMemo.ts';
import type { Layers } from '../src/merge.ts';

type Obj = Record<string, unknown>;
/** a request's layers: entity -> the objects merged into it */
const layersOf = (...entries: [object, Obj | Obj[]][]): Layers => new Map(entries);

const a = { upc: '1' };
const b = { upc: '2' };
const priceA: Obj = { price: 10 };
const weightA: Obj = { weight: 3 };

describe('RepresentationMemo', () => {
  it('matches the same entities with the same layers, by reference', () => {
    const memo = new RepresentationMemo<string>();
    const layers = layersOf([a, [priceA, weightA]]);
    memo.remember([[a, b], []], layers, 'body');
    const other = layersOf([a, [priceA, weightA]]);
    expect(memo.lookup([[a, b], []], other)).toBe('body');
    expect(memo.lookup([[a, b]], other)).toBeUndefined(); // another number of lists
    expect(memo.lookup([[b, a], []], other)).toBeUndefined(); // another order
    expect(memo.lookup([[a, { upc: '2' }], []], other)).toBeUndefined(); // equal, not the same
    expect(memo.lookup([[a, b], []], layersOf([a, priceA]))).toBeUndefined(); // fewer layers
    expect(memo.lookup([[a, b], []], layersOf([a, [priceA, { ...weightA }]]))).toBeUndefined(); // a layer of its own
    expect(memo.lookup([[a, b], []], layersOf([a, [priceA, weightA]], [b, priceA]))).toBeUndefined();
  });

  it('keeps a copy of a list of layers, which grows after the build', () => {
    const memo = new RepresentationMemo<string>();
    const list = [priceA];
    const layers = layersOf([a, list]);
    memo.remember([[a]], layers, 'body');
    list.push(weightA); // a later merge of the same request
    expect(memo.lookup([[a]], layersOf([a, [priceA]]))).toBe('body');
    expect(memo.lookup([[a]], layers)).toBeUndefined();
  });

  it('forgets on release, and an older release does not drop a newer entry', () => {
    const memo = new RepresentationMemo<string>();
    const none = layersOf();
    const releaseFirst = memo.remember([[a]], none, 'first');
    const releaseSecond = memo.remember([[b]], none, 'second');
    expect(memo.lookup([[a]], none)).toBeUndefined();
    releaseFirst();
    expect(memo.lookup([[b]], none)).toBe('second');
    releaseSecond();
    expect(memo.lookup([[b]], none)).toBeUndefined();
  });

  it('obtain builds once while in flight, and a disabled memo builds every time', () => {
    for (const enabled of [true, false]) {
      const memo = new RepresentationMemo<string>(enabled);
      const none = layersOf();
      let builds = 0;
      const build = () => `body${++builds}`;
      const first = memo.obtain([[a]], none, build)!;
      const second = memo.obtain([[a]], none, build)!;
      expect([first.value, second.value]).toEqual(enabled ? ['body1', 'body1'] : ['body1', 'body2']);
      second.release(); // a reused entry's release leaves the entry to its builder
      expect(memo.obtain([[a]], none, build)!.value).toBe(enabled ? 'body1' : 'body3');
      first.release();
      expect(memo.obtain([[a]], none, build)!.value).toBe(enabled ? 'body2' : 'body4');
      expect(memo.obtain([[b]], none, () => undefined)).toBeUndefined(); // nothing to send
    }
  });
});
