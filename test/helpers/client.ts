/** What tests use to talk to the running stack over real HTTP. */
import { inject } from 'vitest';
import { signInitData } from '../../gateway/src/auth/initData.ts';
import { SANDBOX_CREDENTIALS } from '../../sandbox/src/credentials.ts';

export const stack = () => inject('stack');

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };
}

export interface UserFields {
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: boolean;
  photo_url?: string;
}

/** A Telegram-signed initData for `userId` (sandbox bot token, auth_date now unless given). */
export function initDataFor(userId: string | number, options: { authDate?: number; user?: UserFields; token?: string } = {}): string {
  const user = { id: Number(userId), first_name: `User${userId}`, language_code: 'en', ...options.user };
  return signInitData(
    { user: JSON.stringify(user), auth_date: String(options.authDate ?? Math.floor(Date.now() / 1000)), chat_type: 'sender' },
    options.token ?? SANDBOX_CREDENTIALS.telegramBotToken,
  );
}

export async function gql<T = Record<string, unknown>>(
  query: string,
  options: {
    variables?: Record<string, unknown>;
    initData?: string;
    userId?: string | number;
    headers?: Record<string, string>;
    url?: string;
  } = {},
): Promise<GqlResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const initData = options.initData ?? (options.userId !== undefined ? initDataFor(options.userId) : undefined);
  if (initData) headers.authorization = `tma ${initData}`;
  const res = await fetch(options.url ?? stack().gatewayUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const text = await res.text();
  let body: GqlResponse<T>['body'];
  try {
    body = JSON.parse(text) as GqlResponse<T>['body'];
  } catch {
    throw new Error(`non-JSON response ${res.status}: ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body };
}

export interface JournalEntry {
  /** Increasing, unique for the life of the sandbox: entries after a mark are the ones since then. */
  seq: number;
  service: string;
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

/**
 * The shared stack's sandbox journal. Test files run in parallel against it: read only what came after your
 * own `mark()` and filter by what your test owns (ids, names); never clear it under the other files.
 */
export const sandbox = {
  async requests(service?: string, options: { after?: number } = {}): Promise<JournalEntry[]> {
    const res = await fetch(`${stack().sandboxUrl}/__sandbox/requests${service ? `?service=${service}` : ''}`);
    const entries = (await res.json()) as JournalEntry[];
    return options.after === undefined ? entries : entries.filter((e) => e.seq > options.after!);
  },
  /** The journal position now (for `requests(service, { after })`). */
  async mark(): Promise<number> {
    const entries = await sandbox.requests();
    return entries.length > 0 ? entries[entries.length - 1]!.seq : 0;
  },
};
