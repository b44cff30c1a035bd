/**
 * Dead letters as operators see them through GraphQL (`webhookDeadLetters`,
 * `analyticsDeadLetters`): the stored last error is a raw exception message,
 * which may name an internal address, a URL with a token in its path, or a
 * credential. Those are cut out; the rest says why the item failed.
 */
const PATTERNS: [RegExp, string][] = [
  [/\bhttps?:\/\/[^\s"')]+/gi, '<url>'],
  // Telegram bot tokens (`123456:AA…`), bearer tokens and Stripe/HubSpot-style keys.
  [/\b\d{5,}:[A-Za-z0-9_-]{20,}\b/g, '<token>'],
  [/\bBearer\s+[^\s"')]+/gi, 'Bearer <token>'],
  [/\b(?:sk|rk|pk|whsec|pat)_[A-Za-z0-9_-]{8,}\b/g, '<token>'],
  // IPv4 and IPv6 addresses, with a port when there is one.
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<address>'],
  [/\[[0-9a-f:.]+\](?::\d+)?/gi, '<address>'],
  [/(?<![\w:])[0-9a-f]{0,4}::[0-9a-f:.]*/gi, '<address>'],
];

/** The last error of a dead letter without addresses, URLs or credentials; at most 500 characters. */
export function operatorSafeError(text: string | null | undefined): string | null {
  if (!text) return null;
  let safe = text;
  for (const [pattern, replacement] of PATTERNS) safe = safe.replace(pattern, replacement);
  return safe.slice(0, 500);
}
