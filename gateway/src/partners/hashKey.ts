/**
 * Prints the SHA-256 of a partner API key: the value that goes into
 * PARTNER_API_KEYS (the server never stores the key itself).
 *
 *   npm run -s hash-key -- <key>
 *   printf %s "$KEY" | npm run -s hash-key     # keeps the key out of shell history
 *
 * Make a key with e.g. `openssl rand -base64 32`.
 */
import { readFileSync } from 'node:fs';
import { hashApiKey } from './keys.ts';

const fromArgs = process.argv[2];
const key = (fromArgs ?? (process.stdin.isTTY ? '' : readFileSync(0, 'utf8'))).trim();
if (!key) {
  console.error('usage: npm run -s hash-key -- <key>   (or pipe the key on stdin)');
  process.exit(2);
}
console.log(hashApiKey(key));
