// Data handed to the host already serialized (the `serializeData` option).
//
// Under load, the requests waiting on one shared subgraph fetch resume together and go
// through the rest of Apollo Server's pipeline (plugins, error formatting, stringifyResult)
// interleaved. A big response's object tree waited there for the others: half of the
// trees lived through a young-generation collection, were copied (thousands of small
// objects), then promoted, which made the old generation grow and be marked and compacted
// several times a second. Serialized right after shaping, in the same synchronous step,
// the tree dies young; what waits is one string.

const PREFIX = '{"data":';

export class SerializedData {
  /** JSON.stringify({ data }): the whole response when the result has no errors and no extensions */
  readonly response: string;

  constructor(response: string) {
    this.response = response;
  }

  /** The data's own JSON text (a slice of `response`, not a copy). */
  get json(): string {
    return this.response.slice(PREFIX.length, -1);
  }

  /** Whoever still calls JSON.stringify on the result gets the same data (parsed back: correct, slow). */
  toJSON(): unknown {
    return (JSON.parse(this.response) as { data: unknown }).data;
  }
}

export function serializeData(data: Record<string, unknown>): SerializedData {
  return new SerializedData(JSON.stringify({ data }));
}
