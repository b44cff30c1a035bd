/**
 * Nesting bounds on raw request text, checked before anything recursive
 * (JSON variable coercion, the GraphQL parser) sees the input: a 5,000-deep
 * input must be a 400, not a RangeError. Both scans are iterative.
 */

/** Deeper than any real variables object; far below what recursive coercion survives. */
export const MAX_JSON_DEPTH = 64;
/** Deeper than any real operation; far below what the recursive parser survives. */
export const MAX_DOCUMENT_DEPTH = 128;

/**
 * Whether JSON text nests brackets deeper than `limit`. An iterative scan that
 * stops at the first level over the limit: it never recurses, whatever the input.
 */
export function jsonDepthExceeds(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

/** The same for GraphQL text: skips strings, block strings and comments; counts `{`, `[` and `(`. */
export function documentDepthExceeds(text: string, limit = MAX_DOCUMENT_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x23 /* # */) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a) i++;
    } else if (c === 0x22 /* " */) {
      if (text.startsWith('"""', i)) {
        const end = text.indexOf('"""', i + 3);
        i = end === -1 ? text.length : end + 2;
      } else {
        for (i++; i < text.length; i++) {
          const s = text.charCodeAt(i);
          if (s === 0x5c) i++;
          else if (s === 0x22 || s === 0x0a) break;
        }
      }
    } else if (c === 0x7b || c === 0x5b || c === 0x28 /* ( */) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d || c === 0x29 /* ) */) depth--;
  }
  return false;
}

/** The refusal for JSON nested deeper than MAX_JSON_DEPTH (shared by every GraphQL endpoint). */
export const INPUT_TOO_DEEP = {
  status: 400,
  code: 'INPUT_TOO_DEEP',
  message: `JSON input (variables, extensions) is nested more than ${MAX_JSON_DEPTH} levels deep: send flatter variables`,
} as const;
