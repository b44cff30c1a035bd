/**
 * Relay-style cursor connections. Cursors are opaque base64url of the
 * position (a sortable key) so clients cannot depend on their shape.
 */
import { badInput } from '../../lib/errors.ts';

export const MAX_PAGE_SIZE = 100;

export function encodeCursor(position: string): string {
  return Buffer.from(position, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): string | undefined {
  if (cursor === null || cursor === undefined || cursor === '') return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded || encodeCursor(decoded) !== cursor) throw badInput('`after` is not a cursor this API returned', 'after');
  return decoded;
}

export function pageSize(first: number | null | undefined, fallback = 20): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE_SIZE) throw badInput(`\`first\` must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  return n;
}

/** Builds a connection from `first + 1` fetched rows (the extra row tells whether there is a next page). */
export function connection<T>(rows: T[], first: number, positionOf: (row: T) => string) {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: encodeCursor(positionOf(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
