// serializeData: the JSON of { data } as UTF-8 bytes, in a pooled buffer when it fits.
import { describe, expect, it } from 'vitest';
import { ResponseBufferPool, serializeData } from '../src/serializedData.ts';

describe('serializeData', () => {
  it('writes JSON.stringify({ data }) as UTF-8, multi-byte characters included, into a pooled buffer', () => {
    const pool = new ResponseBufferPool(1024, 2);
    const data = { user: { name: 'Анна ★ 😀', id: '1' }, list: [1, null, true] };
    const serialized = serializeData(data, pool);
    expect(serialized.response.toString('utf8')).toBe(JSON.stringify({ data }));
    expect(serialized.json.toString('utf8')).toBe(JSON.stringify(data));
    expect(JSON.stringify(serialized)).toBe(JSON.stringify(data)); // toJSON
    expect(pool.size).toBe(0);
    serialized.release();
    serialized.release(); // once only
    expect(pool.size).toBe(1);
    // the next response reuses that buffer
    const next = serializeData({ b: 2 }, pool);
    expect(pool.size).toBe(0);
    expect(next.response.buffer).toBe(serialized.response.buffer);
    expect(next.response.toString('utf8')).toBe('{"data":{"b":2}}');
  });

  it('gives a text that does not fit a buffer of its own, and keeps at most maxFree buffers', () => {
    const pool = new ResponseBufferPool(64, 1);
    // 76 characters; 46 characters but 106 bytes (the encoding stops at the end of the buffer)
    for (const s of ['x'.repeat(60), '★'.repeat(30)]) {
      const expected = JSON.stringify({ data: { s } });
      const big = serializeData({ s }, pool);
      expect(big.response.toString('utf8')).toBe(expected);
      expect(big.response.length).toBe(Buffer.byteLength(expected));
      const kept = pool.size;
      big.release(); // not a pooled buffer: nothing given back
      expect(pool.size).toBe(kept);
    }
    const a = serializeData({ a: 1 }, pool);
    const b = serializeData({ b: 1 }, pool);
    a.release();
    b.release();
    expect(pool.size).toBe(1);
  });
});
