// Apollo Server's stringifyResult for the gateway. A result whose data the engine already
// serialized (SerializedData, packages/engine/src/serializedData.ts) is answered as bytes:
// Apollo Server passes the body through untouched (HTTPGraphQLResponse body.string) to
// writeApolloResponse, which writes bytes as well as strings and gives the engine's pooled
// buffer back once they are written. Typed as the string Apollo Server expects.
import type { FormattedExecutionResult } from 'graphql';
import { SerializedData } from '@tma/engine';
import { releaseAfterWrite } from '../../lib/http/apollo.ts';

export function stringifyResult(value: FormattedExecutionResult): string {
  const data = value.data as unknown;
  if (!(data instanceof SerializedData)) return JSON.stringify(value);
  // the result's own key order (Apollo Server's: errors, data, extensions), as JSON.stringify would write it
  let before = '';
  let after = '';
  let dataSeen = false;
  for (const [key, field] of Object.entries(value)) {
    if (key === 'data') {
      dataSeen = true;
      continue;
    }
    if (field === undefined) continue;
    const member = `${JSON.stringify(key)}:${JSON.stringify(field)}`;
    if (dataSeen) after += `,${member}`;
    else before += `${member},`;
  }
  let body: Buffer;
  if (before === '' && after === '') {
    // the usual answer, data alone: the engine's bytes as they are
    body = data.response;
    releaseAfterWrite(body, () => data.release());
  } else {
    body = Buffer.concat([Buffer.from(`{${before}"data":`), data.json, Buffer.from(`${after}}`)]);
    data.release(); // copied
  }
  return body as unknown as string;
}
