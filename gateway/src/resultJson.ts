// Apollo Server's stringifyResult for the gateway: a result whose data the engine
// already serialized (SerializedData, packages/engine/src/serializedData.ts) is not
// stringified again.
import type { FormattedExecutionResult } from 'graphql';
import { SerializedData } from '@tma/engine';

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
  // the usual answer, data alone: the engine's text as it is
  if (before === '' && after === '') return data.response;
  return `{${before}"data":${data.json}${after}}`;
}
