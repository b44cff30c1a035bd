/**
 * The user directory: what the bot knows about Telegram users. A Mini App
 * backend learns profiles from verified initData (each signed-in request
 * refreshes the caller's row) and, for users it has not seen, from the Bot
 * API's getChat. Lookups are batched: one SQL query per request, whatever the
 * number of users it touches.
 */
import type { Database } from '../shared/db.ts';
import type { BotApi, TelegramChat } from '../shared/connectors/telegramBotApi.ts';
import { BotApiError } from '../shared/connectors/telegramBotApi.ts';
import type { Identity, TelegramProfile } from '../../lib/internalToken.ts';
import type { Logger } from '../../lib/logger.ts';

export interface UserRecord {
  id: string;
  firstName: string;
  lastName: string | null;
  username: string | null;
  languageCode: string | null;
  isPremium: boolean;
  photoUrl: string | null;
}

export const USERS_MIGRATIONS = [
  `CREATE TABLE users (
     id text PRIMARY KEY,
     first_name text NOT NULL,
     last_name text,
     username text,
     language_code text,
     is_premium boolean NOT NULL DEFAULT false,
     photo_url text,
     source text NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
];

interface Row {
  id: string;
  first_name: string;
  last_name: string | null;
  username: string | null;
  language_code: string | null;
  is_premium: boolean;
  photo_url: string | null;
}

const toRecord = (r: Row): UserRecord => ({
  id: r.id,
  firstName: r.first_name,
  lastName: r.last_name,
  username: r.username,
  languageCode: r.language_code,
  isPremium: r.is_premium,
  photoUrl: r.photo_url,
});

export function profileToRecord(id: string, p: TelegramProfile): UserRecord {
  return {
    id,
    firstName: p.firstName,
    lastName: p.lastName ?? null,
    username: p.username ?? null,
    languageCode: p.languageCode ?? null,
    isPremium: p.isPremium,
    photoUrl: p.photoUrl ?? null,
  };
}

export function createUserDirectory(db: Database, bot: BotApi, log: Logger) {
  // Profiles already written this process, so a busy user costs one write, not one per request.
  const written = new Map<string, string>();

  async function save(user: UserRecord, source: 'initData' | 'getChat'): Promise<void> {
    await db.query(
      `INSERT INTO users (id, first_name, last_name, username, language_code, is_premium, photo_url, source, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
         username = EXCLUDED.username, language_code = EXCLUDED.language_code, is_premium = EXCLUDED.is_premium,
         photo_url = COALESCE(EXCLUDED.photo_url, users.photo_url), source = EXCLUDED.source, updated_at = now()`,
      [user.id, user.firstName, user.lastName, user.username, user.languageCode, user.isPremium, user.photoUrl, source],
    );
  }

  return {
    /** Records the caller's verified profile (from initData) when it changed. */
    async remember(identity: Identity): Promise<UserRecord | undefined> {
      if (!identity.userId || !identity.profile) return undefined;
      const record = profileToRecord(identity.userId, identity.profile);
      const fingerprint = JSON.stringify(record);
      if (written.get(record.id) !== fingerprint) {
        await save(record, 'initData');
        if (written.size > 50_000) written.clear();
        written.set(record.id, fingerprint);
      }
      return record;
    },

    /** One SQL query for all ids; unknown ids are looked up with getChat (and remembered). */
    async loadMany(ids: readonly string[]): Promise<(UserRecord | null)[]> {
      const rows = await db.query<Row>('SELECT * FROM users WHERE id = ANY($1::text[])', [ids as string[]]);
      const found = new Map(rows.map((r) => [r.id, toRecord(r)]));
      const missing = ids.filter((id) => !found.has(id));
      await Promise.all(
        missing.map(async (id) => {
          try {
            const chat = await bot.call<TelegramChat>('getChat', { chat_id: Number(id) }, { idempotent: true });
            if (chat.type !== 'private' || !chat.first_name) return;
            const record: UserRecord = {
              id,
              firstName: chat.first_name,
              lastName: chat.last_name ?? null,
              username: chat.username ?? null,
              languageCode: null,
              isPremium: false,
              photoUrl: null,
            };
            await save(record, 'getChat');
            found.set(id, record);
          } catch (error) {
            // A user who never talked to the bot is unknown to Telegram too: resolve to null, not an error.
            if (!(error instanceof BotApiError)) throw error;
            log.debug({ userId: id, reason: error.description }, 'getChat found no user');
          }
        }),
      );
      return ids.map((id) => found.get(id) ?? null);
    },
  };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;
