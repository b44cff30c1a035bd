// Data handed to the host already serialized, as UTF-8 bytes (the `serializeData` option).
//
// Under load, the requests waiting on one shared subgraph fetch resume together and go
// through the rest of Apollo Server's pipeline (plugins, error formatting, stringifyResult)
// interleaved, so whatever a response is made of waits for the whole wave. As an object
// tree, half of the trees lived through a young-generation collection and were copied and
// promoted; as a JSON string (87 KB on the benchmark), nearly all of them were promoted,
// and the old generation, growing by a response per request, was marked and compacted
// several times a second; as a fresh Buffer per response, the growing off-heap memory
// triggered the same collections. So the text is encoded, in the same synchronous step
// as the shaping, into a buffer from a pool that the host gives back once the response is
// written: nothing of the response survives on the V8 heap, and the off-heap memory does
// not grow.

const PREFIX_BYTES = '{"data":'.length;

/**
 * Reusable buffers for serialized responses. Bounded: at most `maxFree` kept, `slabBytes` each (64 × 256 KB
 * = 16 MB by default, of which only what responses wrote is touched); one per response in flight is enough.
 */
export class ResponseBufferPool {
  private readonly free: Buffer[] = [];
  readonly slabBytes: number;
  readonly maxFree: number;

  constructor(slabBytes = 256 * 1024, maxFree = 64) {
    this.slabBytes = slabBytes;
    this.maxFree = maxFree;
  }

  acquire(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes);
  }

  release(slab: Buffer): void {
    if (this.free.length < this.maxFree) this.free.push(slab);
  }

  /** buffers kept for reuse (tests) */
  get size(): number {
    return this.free.length;
  }
}

export class SerializedData {
  /** JSON.stringify({ data }) as UTF-8: the whole response when the result has no errors and no extensions */
  readonly response: Buffer;
  private returnToPool: (() => void) | undefined;

  constructor(response: Buffer, returnToPool?: () => void) {
    this.response = response;
    this.returnToPool = returnToPool;
  }

  /** The data's own JSON (a view into `response`). */
  get json(): Buffer {
    return this.response.subarray(PREFIX_BYTES, this.response.length - 1);
  }

  /**
   * Gives the buffer back to its pool: call it once `response` (or `json`) is written or copied
   * and no longer read. Not calling it is safe: the buffer is then garbage like any other.
   */
  release(): void {
    const giveBack = this.returnToPool;
    this.returnToPool = undefined;
    giveBack?.();
  }

  /** Whoever still calls JSON.stringify on the result gets the same data (parsed back: correct, slow). */
  toJSON(): unknown {
    return (JSON.parse(this.response.toString('utf8')) as { data: unknown }).data;
  }
}

export function serializeData(data: Record<string, unknown>, pool: ResponseBufferPool): SerializedData {
  const text = JSON.stringify({ data });
  if (text.length <= pool.slabBytes) {
    const slab = pool.acquire();
    const length = slab.write(text, 0, 'utf8');
    // write() stops before a character that does not fit (at most 4 bytes): with more room left, all fit
    if (length < pool.slabBytes - 4) return new SerializedData(slab.subarray(0, length), () => pool.release(slab));
    pool.release(slab);
  }
  return new SerializedData(Buffer.from(text, 'utf8'));
}
