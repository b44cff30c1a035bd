/**
 * Nesting bounds on request input, checked before anything recursive (Apollo's
 * variable coercion) sees it: variables nested 5,000 deep must be a 400, not a
 * RangeError with a stack trace. Only `variables` and `extensions` are walked
 * (small, and the only JSON that is coerced recursively), never the query text,
 * so the check costs nothing on large queries. The walk is iterative.
 */

/** Deeper than any real variables object; far below what recursive coercion survives. */
export const MAX_JSON_DEPTH = 64;

/** Whether a parsed JSON value nests objects/arrays deeper than `limit` (stops at the first level over it). */
export function valueDepthExceeds(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** `variables` / `extensions` of one GraphQL request (or of each request of a batch) nested too deep. */
export function requestInputTooDeep(body: unknown): boolean {
  for (const request of Array.isArray(body) ? body : [body]) {
    if (request === null || typeof request !== 'object') continue;
    const { variables, extensions } = request as { variables?: unknown; extensions?: unknown };
    if (valueDepthExceeds(variables) || valueDepthExceeds(extensions)) return true;
  }
  return false;
}

/** The refusal for input nested deeper than MAX_JSON_DEPTH (shared by every GraphQL endpoint). */
export const INPUT_TOO_DEEP = {
  status: 400,
  code: 'INPUT_TOO_DEEP',
  message: `JSON input (variables, extensions) is nested more than ${MAX_JSON_DEPTH} levels deep: send flatter variables`,
} as const;
