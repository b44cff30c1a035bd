/**
 * `npm run keys -- <command>`: partner API keys in the key store (PostgreSQL
 * with DATABASE_URL, else the embedded SQLite file under DATA_DIR; see
 * gateway/src/partners/keyStore.ts). Safe while the stack runs: every
 * gateway replica picks changes up within seconds.
 *
 *   create --name <name> --scopes <a,b> [--rpm <n>] [--quota <n|none>]
 *   list [--json]
 *   revoke <name|id>
 *   rotate <name|id> [--grace-hours <n>]
 *
 * The key is printed once, by create and rotate; only its SHA-256 is stored.
 */
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../lib/config.ts';
import { DEFAULT_RPM } from '../gateway/src/partners/keys.ts';
import { KNOWN_SCOPES } from '../gateway/src/partners/scopes.ts';
import {
  DEFAULT_ROTATION_GRACE_MS,
  KeyStoreError,
  monthOf,
  openKeyStore,
  type KeyStore,
  type StoredKey,
} from '../gateway/src/partners/keyStore.ts';

/** Requests per UTC month a new key may make unless `--quota` says otherwise. */
export const DEFAULT_MONTHLY_QUOTA = 1_000_000;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const USAGE = `usage: npm run keys -- create --name <name> --scopes <${[...KNOWN_SCOPES].join(',')}> [--rpm <n>] [--quota <n|none>]
       npm run keys -- list [--json]
       npm run keys -- revoke <name|id>
       npm run keys -- rotate <name|id> [--grace-hours <n>]`;

class UsageError extends Error {}

function positiveInt(value: string, what: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value)))
    throw new UsageError(`${what} must be a positive integer`);
  return Number(value);
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

function status(key: Omit<StoredKey, 'hash'>, now: number): string {
  if (key.revokedAt !== null) return `revoked ${iso(key.revokedAt)}`;
  if (key.expiresAt !== null) return key.expiresAt > now ? `rotated, valid until ${iso(key.expiresAt)}` : `expired ${iso(key.expiresAt)}`;
  return 'active';
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

function printNewKey(verb: string, key: string, record: StoredKey): void {
  console.log(
    `${verb} key ${record.id} for "${record.name}": scopes ${record.scopes.join(',')}, ${record.rpm} requests/minute, ${record.monthlyQuota ?? 'no'} requests/month quota.`,
  );
  console.log('The key is shown this once (only its SHA-256 is stored); send it as the X-Api-Key header:');
  console.log(key);
}

async function run(store: KeyStore, command: string | undefined, args: string[]): Promise<void> {
  const now = Date.now();
  switch (command) {
    case 'create': {
      const { values } = parseArgs({
        args,
        options: { name: { type: 'string' }, scopes: { type: 'string' }, rpm: { type: 'string' }, quota: { type: 'string' } },
      });
      if (!values.name || !NAME.test(values.name)) throw new UsageError('--name is required: 1-64 letters, digits, "_", "-" or "."');
      const scopes = (values.scopes ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (scopes.length === 0) throw new UsageError(`--scopes is required: any of ${[...KNOWN_SCOPES].join(', ')}`);
      for (const scope of scopes)
        if (!KNOWN_SCOPES.has(scope)) throw new UsageError(`unknown scope "${scope}": any of ${[...KNOWN_SCOPES].join(', ')}`);
      const rpm = values.rpm === undefined ? DEFAULT_RPM : positiveInt(values.rpm, '--rpm');
      const monthlyQuota =
        values.quota === undefined ? DEFAULT_MONTHLY_QUOTA : values.quota === 'none' ? null : positiveInt(values.quota, '--quota');
      const { key, record } = await store.create({ name: values.name, scopes: [...new Set(scopes)], rpm, monthlyQuota });
      return printNewKey('Created', key, record);
    }
    case 'list': {
      const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
      const [keys, usage] = await Promise.all([store.list(), store.usage(monthOf(now))]);
      // Never the hash either: it is not secret like the key, but nobody needs it here.
      const view = keys.map(({ hash: _hash, ...k }) => ({ ...k, status: status(k, now), requestsThisMonth: usage.get(k.name) ?? 0 }));
      if (values.json) return console.log(JSON.stringify(view, null, 2));
      if (view.length === 0)
        return console.log('No partner keys in the store (keys in PARTNER_API_KEYS are configuration and not listed).');
      printTable([
        ['NAME', 'ID', 'SCOPES', 'LIMIT', 'CREATED', 'LAST USED', 'STATUS'],
        ...view.map((k) => [
          k.name,
          k.id,
          k.scopes.join(','),
          `${k.rpm}/min, ${k.requestsThisMonth}/${k.monthlyQuota ?? '∞'} this month`,
          iso(k.createdAt),
          iso(k.lastUsedAt),
          status(k, now),
        ]),
      ]);
      return;
    }
    case 'revoke': {
      const ref = args[0];
      if (!ref) throw new UsageError('revoke needs a key name or id');
      for (const key of await store.revoke(ref, now))
        console.log(`Revoked key ${key.id} ("${key.name}"): refused by every gateway within seconds.`);
      return;
    }
    case 'rotate': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'grace-hours': { type: 'string' } } });
      const ref = positionals[0];
      if (!ref) throw new UsageError('rotate needs a key name or id');
      const graceMs =
        values['grace-hours'] === undefined ? DEFAULT_ROTATION_GRACE_MS : positiveInt(values['grace-hours'], '--grace-hours') * 3600_000;
      const { key, record, previous } = await store.rotate(ref, graceMs, now);
      printNewKey('Rotated: new', key, record);
      console.log(`The old key ${previous.id} keeps working until ${iso(previous.expiresAt)}.`);
      return;
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'no command');
  }
}

const [command, ...rest] = process.argv.slice(2);
let store: KeyStore | undefined;
try {
  const config = loadConfig();
  store = await openKeyStore({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir });
  await run(store, command, rest);
} catch (error) {
  if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`);
  else if (
    error instanceof KeyStoreError ||
    error instanceof ConfigError ||
    (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
  )
    console.error((error as Error).message);
  else console.error(`keys: ${(error as Error).message}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
} finally {
  await store?.close();
}
