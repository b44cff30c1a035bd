// Validity of a subgraph's value for the built-in scalars, as @apollo/federation-internals'
// isValidLeafValue decides it (which the result shaper used for every Int, Float and ID): a
// number is a valid Int or ID when String(number) matches /^-?(?:0|[1-9][0-9]*)$/, which holds
// exactly for the integers below 1e21 in magnitude (from there, String() writes an exponent).
// Decided without the string and the regular expression: the shaper checks every leaf of every
// response (540 numbers in each response of the federation benchmark).

const EXPONENT_FROM = 1e21;

function isIntegerLiteral(v: number): boolean {
  return Number.isInteger(v) && Math.abs(v) < EXPONENT_FROM;
}

export const isValidInt = (v: unknown): boolean => typeof v === 'number' && isIntegerLiteral(v);
export const isValidFloat = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
export const isValidId = (v: unknown): boolean => typeof v === 'string' || (typeof v === 'number' && isIntegerLiteral(v));
