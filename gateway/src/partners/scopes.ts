/**
 * Which scope each root field of the partner contract needs. Fail closed: a
 * root field added to the contract but not listed here answers FORBIDDEN to
 * every key until someone decides its scope (test/public.test.ts checks that
 * every contract root field is listed). Introspection needs only a valid key.
 */
export const ROOT_FIELD_SCOPES: Readonly<Record<string, string>> = {
  products: 'catalog:read',
  product: 'catalog:read',
  eventCounts: 'analytics:read',
};

/** The scopes a key can be given (`npm run keys -- create --scopes`). */
export const KNOWN_SCOPES: ReadonlySet<string> = new Set(Object.values(ROOT_FIELD_SCOPES));

export type ScopeCheck = { ok: true } | { ok: false; message: string; requiredScope?: string };

export function checkScopes(rootFields: readonly string[], granted: ReadonlySet<string>): ScopeCheck {
  for (const field of new Set(rootFields)) {
    if (field.startsWith('__')) continue;
    const scope = ROOT_FIELD_SCOPES[field];
    if (scope === undefined) return { ok: false, message: `Query.${field} is not available to API keys` };
    if (!granted.has(scope))
      return { ok: false, message: `This API key lacks the scope "${scope}" needed for Query.${field}`, requiredScope: scope };
  }
  return { ok: true };
}
