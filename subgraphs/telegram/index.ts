/**
 * The telegram subgraph: Telegram users (`User` entity, `Query.me`) and bot
 * actions. Talks to the Bot API through its connector and keeps the user
 * directory in its own database.
 */
import { GraphQLError } from 'graphql';
import { defineSubgraph } from '../shared/subgraph.ts';
import { openDatabase, type Database } from '../shared/db.ts';
import { createBotApi, BotApiError, type BotApi } from '../shared/connectors/telegramBotApi.ts';
import { requireUser, requireOperator, type SubgraphContext } from '../shared/context.ts';
import { badInput, appError, ErrorCode } from '../../lib/errors.ts';
import type { Resolvers } from './generated/resolvers.ts';
import { createUserDirectory, USERS_MIGRATIONS, type UserDirectory, type UserRecord } from './users.ts';

interface Services {
  db: Database;
  bot: BotApi;
  users: UserDirectory;
  close(): Promise<void>;
}

type Ctx = SubgraphContext<Services>;

function userLoader(ctx: Ctx) {
  return ctx.loaders.get<string, UserRecord | null>('telegram.user', (ids) => ctx.services.users.loadMany(ids));
}

/** Telegram refusing a bot action is the caller's problem to see, with Telegram's own reason. */
function botActionError(error: unknown): never {
  if (error instanceof BotApiError) {
    throw appError(ErrorCode.UPSTREAM_ERROR, error.message, { service: 'telegram', method: error.method });
  }
  throw error;
}

export default defineSubgraph<Services>({
  name: 'telegram',
  defaultPort: 4001,
  schemaUrl: new URL('./schema.graphql', import.meta.url),

  async createServices({ config, log }) {
    const db = await openDatabase({
      name: 'telegram',
      dataDir: config.dataDir,
      databaseUrl: config.DATABASE_URL,
      migrations: USERS_MIGRATIONS,
      log,
    });
    const bot = createBotApi({ baseUrl: config.telegram.baseUrl, token: config.telegram.botToken, sandbox: config.telegram.sandbox, log });
    return {
      db,
      bot,
      users: createUserDirectory(db, bot, log),
      async close() {
        await bot.close();
        await db.close();
      },
    };
  },

  resolvers: (): Resolvers<Ctx> => ({
    Query: {
      async me(_root: unknown, _args: unknown, ctx: Ctx) {
        const userId = requireUser(ctx);
        // The verified initData is the freshest profile there is; it also fills the directory.
        const fresh = await ctx.services.users.remember(ctx.identity);
        if (fresh) {
          userLoader(ctx).prime(userId, fresh);
          return fresh;
        }
        const known = await userLoader(ctx).load(userId);
        if (!known) throw new GraphQLError('Caller profile unavailable', { extensions: { code: ErrorCode.NOT_FOUND } });
        return known;
      },
      async user(_root: unknown, args: { id: string }, ctx: Ctx) {
        requireOperator(ctx);
        if (!/^\d{1,20}$/.test(args.id)) throw badInput('`id` must be a Telegram user id', 'id');
        return userLoader(ctx).load(args.id);
      },
    },
    User: {
      async __resolveReference(ref: { id: string }, ctx: Ctx) {
        if (ref.id === ctx.identity.userId) await ctx.services.users.remember(ctx.identity);
        return userLoader(ctx).load(ref.id);
      },
    },
    Mutation: {
      async sendMessage(_root: unknown, args: { text: string }, ctx: Ctx) {
        const userId = requireUser(ctx);
        const text = args.text.trim();
        if (text.length < 1 || text.length > 4096) throw badInput('`text` must be 1-4096 characters', 'text');
        try {
          const message = await ctx.services.bot.call<{ message_id: number; date: number }>('sendMessage', {
            chat_id: Number(userId),
            text,
          });
          return { messageId: String(message.message_id), sentAt: new Date(message.date * 1000).toISOString() };
        } catch (error) {
          botActionError(error);
        }
      },
      async prepareShareMessage(_root: unknown, args: { input: { title: string; text: string } }, ctx: Ctx) {
        const userId = requireUser(ctx);
        const { title, text } = args.input;
        if (title.length < 1 || title.length > 64) throw badInput('`title` must be 1-64 characters', 'title');
        if (text.length < 1 || text.length > 4096) throw badInput('`text` must be 1-4096 characters', 'text');
        try {
          const prepared = await ctx.services.bot.call<{ id: string; expiration_date: number }>('savePreparedInlineMessage', {
            user_id: Number(userId),
            result: { type: 'article', id: `share-${Date.now()}`, title, input_message_content: { message_text: text } },
            allow_user_chats: true,
            allow_group_chats: true,
          });
          return { id: prepared.id, expiresAt: new Date(prepared.expiration_date * 1000).toISOString() };
        } catch (error) {
          botActionError(error);
        }
      },
    },
  }),
});
