// Cache-Control handling of RemoteGraphQLDataSource (honorSubgraphCacheControlHeader):
// every successful subgraph response restricts the request's overall cache policy.
// Absent or unparsable max-age -> maxAge 0; `private` -> PRIVATE; `public` -> PUBLIC.

export interface CacheHint {
  maxAge: number;
  scope?: 'PRIVATE' | 'PUBLIC';
}

interface Restrictable {
  restrict(hint: CacheHint): void;
}

const hintCache = new Map<string, CacheHint>();
const NO_HEADER: CacheHint = { maxAge: 0 };

/** parseCacheControlHeader + hint computation of @apollo/gateway, memoized per header value. */
export function cacheHintFor(header: string | undefined): CacheHint {
  if (!header) return NO_HEADER;
  let hint = hintCache.get(header);
  if (hint) return hint;
  const cc: Record<string, string | true> = {};
  const parts = header.trim().split(/\s*,\s*/);
  for (const part of parts) {
    const [k, v] = part.split(/\s*=\s*/, 2) as [string, string | undefined];
    cc[k] = v === undefined ? true : v.replace(/^"|"$/g, '');
  }
  hint = { maxAge: 0 };
  const maxAge = cc['max-age'];
  if (typeof maxAge === 'string' && /^[0-9]+$/.test(maxAge)) hint.maxAge = +maxAge;
  if (cc['private'] === true) hint.scope = 'PRIVATE';
  if (cc['public'] === true) hint.scope = 'PUBLIC';
  if (hintCache.size < 1000) hintCache.set(header, hint);
  return hint;
}

export function restrictCachePolicy(policy: unknown, header: string | undefined): void {
  if (policy && typeof policy === 'object' && 'restrict' in policy) {
    // restrict() copies fields; pass a fresh object so nobody can mutate the memo
    const h = cacheHintFor(header);
    (policy as Restrictable).restrict(h.scope ? { maxAge: h.maxAge, scope: h.scope } : { maxAge: h.maxAge });
  }
}
